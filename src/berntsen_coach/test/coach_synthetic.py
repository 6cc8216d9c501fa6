"""Synthetic landmarks and signals for the coach tests (no real people, no ROS)."""
from __future__ import annotations

import math
import random

from berntsen_coach.exercises import LANDMARK_INDEX

WIDTH, HEIGHT = 640, 480
# Pixel positions of a person facing the camera, hips straight below the shoulders.
_SHOULDER_PX = {'left': (280.0, 150.0), 'right': (360.0, 150.0)}
_HIP_PX = {'left': (280.0, 330.0), 'right': (360.0, 330.0)}
_UPPER_ARM_PX = 90.0


def arm_skeleton(angle_deg: float, visibility: float = 0.9, right_angle_deg: float | None = None,
                 right_visibility: float | None = None, width: int = WIDTH, height: int = HEIGHT):
    """33 (x, y, visibility) landmarks with both arms abducted `angle_deg` from hanging."""
    landmarks = [(0.5, 0.5, visibility)] * 33
    angles = {'left': angle_deg, 'right': angle_deg if right_angle_deg is None else right_angle_deg}
    vis = {'left': visibility, 'right': visibility if right_visibility is None else right_visibility}
    landmarks = list(landmarks)
    for side, outward in (('left', -1.0), ('right', 1.0)):
        sx, sy = _SHOULDER_PX[side]
        hx, hy = _HIP_PX[side]
        a = math.radians(angles[side])
        ex, ey = sx + outward * _UPPER_ARM_PX * math.sin(a), sy + _UPPER_ARM_PX * math.cos(a)
        for name, (px, py) in (('shoulder', (sx, sy)), ('hip', (hx, hy)), ('elbow', (ex, ey))):
            landmarks[LANDMARK_INDEX[f'{side}_{name}']] = (px / width, py / height, vis[side])
    return landmarks


def rep_signal(reps: int, rate: float = 15.0, rest: float = 1.0, rep_time: float = 2.0,
               low: float = 20.0, high: float = 150.0, noise: float = 0.0, seed: int = 1,
               start: float = 0.0):
    """(t, angle) samples: `rest` s down, then `reps` smooth raises of `rep_time` s, each
    followed by `rest` s down. Gaussian `noise` (degrees) is added."""
    rng = random.Random(seed)
    samples = []
    total = rest + reps * (rep_time + rest)
    n = int(total * rate) + 1
    for i in range(n):
        t = i / rate
        value = low
        phase_t = t - rest
        if phase_t >= 0:
            k, within = divmod(phase_t, rep_time + rest)
            if k < reps and within < rep_time:
                value = low + (high - low) * 0.5 * (1 - math.cos(2 * math.pi * within / rep_time))
        samples.append((start + t, value + (rng.gauss(0, noise) if noise else 0.0)))
    return samples


def angle_frame(exercise, value: float | None, width: int = WIDTH, height: int = HEIGHT):
    """A BodyFrame in which every side of an `angle` exercise reads `value` degrees (None:
    nobody seen). Each side's three landmarks get their own place; the rest sit apart."""
    import numpy as np

    from berntsen_coach.exercises import BodyFrame

    if value is None:
        return None
    world = np.zeros((33, 4))
    world[:, 0] = np.linspace(-0.5, 0.5, 33)    # distinct points: no zero-length segment
    world[:, 1] = np.linspace(-0.8, 0.8, 33)
    world[:, 3] = 0.9
    a = math.radians(value)
    for k, side in enumerate(exercise.sides):
        first, vertex, last = side.landmarks
        origin = np.array([0.4 * k - 0.2, 0.0, 2.0])
        world[vertex, :3] = origin
        world[first, :3] = origin + (0.0, 0.3, 0.0)
        world[last, :3] = origin + 0.3 * np.array([math.sin(a), math.cos(a), 0.0])
    image = np.full((33, 4), 0.5)
    image[:, 3] = 0.9
    return BodyFrame(image, world, width, height)


def arm_world(angle_deg: float, visibility: float = 0.9):
    """33 world landmarks (x, y, z m around the hips, visibility) of the same person as
    `arm_skeleton`, both arms abducted `angle_deg` from hanging, facing the camera."""
    world = [(0.0, 0.0, 0.0, visibility)] * 33
    a = math.radians(angle_deg)
    for side, outward in (('left', 1.0), ('right', -1.0)):
        shoulder = (outward * 0.18, -0.5, 0.0)
        elbow = (shoulder[0] + outward * 0.3 * math.sin(a), shoulder[1] + 0.3 * math.cos(a), 0.0)
        for name, point in (('shoulder', shoulder), ('hip', (outward * 0.1, 0.0, 0.0)),
                            ('elbow', elbow)):
            world[LANDMARK_INDEX[f'{side}_{name}']] = (*point, visibility)
    return world


def signal_frame(exercise, value: float | None, width: int = WIDTH, height: int = HEIGHT):
    """A BodyFrame in which the exercise's signal reads `value`: an angle (see
    `angle_frame`) or, for an image-height exercise with `above` landmarks, the height of
    its points above them in image heights."""
    import numpy as np

    from berntsen_coach.exercises import BodyFrame

    if exercise.signal_kind == 'angle' or value is None:
        return angle_frame(exercise, value, width, height)
    image = np.full((33, 4), 0.5)
    image[:, 3] = 0.9
    for side in exercise.sides:
        image[list(side.above), 1] = 0.9
        image[list(side.points), 1] = 0.9 - value
    return BodyFrame(image, None, width, height)
