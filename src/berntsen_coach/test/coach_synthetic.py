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
