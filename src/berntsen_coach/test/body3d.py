"""A small synthetic 3D person for the counting tests (numpy only, no MediaPipe).

A pose is a dict of joint angles in degrees: shoulder_abduction, shoulder_flexion,
elbow_flexion, hip_flexion, hip_abduction, knee_flexion (both sides, or one side with a
'left_' / 'right_' prefix), plus lean (trunk forward, degrees) and rise (whole body up,
metres, e.g. a heel raise). The body is built in its own frame (x to the person's left,
y up, z forward, origin between the hips), placed in the room standing, sitting (hips and
knees at 90 by default; the lower foot stays on the floor where a standing person's is,
so the hips drop and move back to sit or squat) or lying on the back, and seen by a `Camera`: world landmarks as
BlazePose gives them (hip-centred, camera axes x right, y down, z away from the camera)
and a pinhole image (640x480, normalised, visibility 0.95 inside the image, 0.3 outside).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from berntsen_coach.exercises import LANDMARK_INDEX as I, NUM_LANDMARKS, BodyFrame

WIDTH, HEIGHT, FOCAL_PX = 640, 480, 520.0
JOINTS = ('shoulder_abduction', 'shoulder_flexion', 'elbow_flexion', 'hip_flexion',
          'hip_abduction', 'knee_flexion')
POSTURE_DEFAULTS = {'standing': {}, 'lying': {},
                    'sitting': {'hip_flexion': 90.0, 'knee_flexion': 90.0}}
SIDES = (('left', 1.0), ('right', -1.0))
STANDING_HIP_HEIGHT = 0.86   # m above the ankles (thigh 0.44 + shank 0.42)
# Face points in the trunk frame (x for the left side; mirrored for the right).
_FACE = {'eye_inner': (0.015, 0.73, 0.08), 'eye': (0.03, 0.73, 0.075),
         'eye_outer': (0.045, 0.73, 0.07), 'ear': (0.075, 0.71, 0.0)}


def _rx(deg):
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    return np.array([[1, 0, 0], [0, c, -s], [0, s, c]])


def _rz(deg):
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])


DOWN, FORWARD = np.array([0.0, -1.0, 0.0]), np.array([0.0, 0.0, 1.0])


def body_points(pose: dict, posture: str = 'standing', scale: float = 1.0) -> np.ndarray:
    """(33, 3) landmarks in the room (metres; y up; the person faces +z unless lying)."""
    angles = dict(POSTURE_DEFAULTS[posture])
    angles.update(pose)
    p = np.zeros((NUM_LANDMARKS, 3))
    trunk = _rx(angles.get('lean', 0.0))          # leaning forward tilts the trunk to +z
    p[I['nose']] = trunk @ (0.0, 0.70, 0.09)
    for name, x in (('mouth_left', 0.025), ('mouth_right', -0.025)):
        p[I[name]] = trunk @ (x, 0.66, 0.08)
    for side, s in SIDES:
        def get(joint, side=side):
            return angles.get(f'{side}_{joint}', angles.get(joint, 0.0))
        for face, (x, y, z) in _FACE.items():
            p[I[f'{side}_{face}']] = trunk @ (s * x, y, z)
        # arm: abduct (about the forward axis), then flex (about the lateral axis)
        shoulder = trunk @ (s * 0.19, 0.50, 0.0)
        arm = trunk @ _rx(-get('shoulder_flexion')) @ _rz(s * get('shoulder_abduction'))
        d, bend = arm @ DOWN, arm @ FORWARD
        e = math.radians(get('elbow_flexion'))
        fore = d * math.cos(e) + bend * math.sin(e)
        elbow = shoulder + 0.29 * d
        wrist = elbow + 0.26 * fore
        lateral = np.cross(d, bend) * s
        p[I[f'{side}_shoulder']], p[I[f'{side}_elbow']], p[I[f'{side}_wrist']] = shoulder, elbow, wrist
        p[I[f'{side}_pinky']] = wrist + 0.08 * fore + 0.02 * lateral
        p[I[f'{side}_index']] = wrist + 0.09 * fore - 0.01 * lateral
        p[I[f'{side}_thumb']] = wrist + 0.05 * fore + 0.03 * bend
        # leg: abduct, flex; the knee bends backwards
        hip = np.array([s * 0.10, 0.0, 0.0])
        leg = _rx(-get('hip_flexion')) @ _rz(s * get('hip_abduction'))
        d, front = leg @ DOWN, leg @ FORWARD
        k = math.radians(get('knee_flexion'))
        shank = d * math.cos(k) - front * math.sin(k)
        foot = d * math.sin(k) + front * math.cos(k)
        knee = hip + 0.44 * d
        ankle = knee + 0.42 * shank
        p[I[f'{side}_hip']], p[I[f'{side}_knee']], p[I[f'{side}_ankle']] = hip, knee, ankle
        p[I[f'{side}_heel']] = ankle + 0.06 * shank - 0.05 * foot
        p[I[f'{side}_foot_index']] = ankle + 0.06 * shank + 0.15 * foot
    p *= scale
    if posture == 'lying':                        # on the back: chest up, head towards -z
        p = p @ _rx(-90.0).T
    else:   # the lower foot stays where a standing person's is: the body moves over it
        ankle = min(p[I['left_ankle']], p[I['right_ankle']], key=lambda a: a[1])
        p[:, 1:] += np.array([-STANDING_HIP_HEIGHT * scale, 0.0]) - ankle[1:]
    return p + (0.0, angles.get('rise', 0.0), 0.0)


@dataclass(frozen=True)
class Camera:
    """Where the camera stands: azimuth 0 in front of the person, 90 at her left side
    (-90 right); elevation above her hips (degrees, it looks down at them); distance (m)."""

    azimuth: float = 0.0
    elevation: float = 0.0
    distance: float = 2.5

    def axes(self) -> tuple[np.ndarray, np.ndarray]:
        """Rotation room -> camera (rows: x right, y down, z forward) and its position."""
        az, el = math.radians(self.azimuth), math.radians(self.elevation)
        position = self.distance * np.array([math.sin(az) * math.cos(el), math.sin(el),
                                             math.cos(az) * math.cos(el)])
        z = -position / np.linalg.norm(position)   # looking at the hips (room origin)
        x = np.cross(z, (0.0, 1.0, 0.0))
        x /= np.linalg.norm(x)
        return np.array([x, np.cross(z, x), z]), position


def view(points: np.ndarray, camera: Camera, rng: np.random.Generator | None = None,
         noise=0.0, image_noise: float = 0.0, depth_factor: float = 2.0) -> BodyFrame:
    """One frame of room `points` as BlazePose would report it from `camera`.

    `noise`: metres of Gaussian noise on the world landmarks (or a (33, 3) array of unit
    noise times that), `depth_factor` times more along the camera's axis (depth is
    estimated worst); `image_noise` (px) on the image landmarks.
    """
    rotation, position = camera.axes()
    hips = (points[I['left_hip']] + points[I['right_hip']]) / 2
    world = (points - hips) @ rotation.T
    cam = (points - position) @ rotation.T
    if np.ndim(noise) == 0 and noise and rng is not None:
        noise = noise * rng.normal(0.0, 1.0, world.shape)
    world = world + noise * np.array([1.0, 1.0, depth_factor])
    depth = np.maximum(cam[:, 2], 0.05)
    u = FOCAL_PX * cam[:, 0] / depth + WIDTH / 2
    v = FOCAL_PX * cam[:, 1] / depth + HEIGHT / 2
    if rng is not None and image_noise:
        u = u + rng.normal(0.0, image_noise, u.shape)
        v = v + rng.normal(0.0, image_noise, v.shape)
    hip_depth = float(np.mean(depth[[I['left_hip'], I['right_hip']]]))
    inside = (cam[:, 2] > 0.05) & (u >= 0) & (u <= WIDTH) & (v >= 0) & (v <= HEIGHT)
    visibility = np.where(inside, 0.95, 0.3)
    image = np.column_stack([u / WIDTH, v / HEIGHT,
                             (depth - hip_depth) * FOCAL_PX / hip_depth / WIDTH, visibility])
    return BodyFrame(image, np.column_stack([world, visibility]), WIDTH, HEIGHT)


def repetitions(rest: dict, peaks, amplitudes, rep_time: float = 2.0, pause: float = 1.0,
                lead: float = 1.5, tail: float = 1.0, rate: float = 15.0,
                before: dict | None = None, settle: float = 1.5) -> list[tuple[float, dict]]:
    """(t, pose) samples: `lead` s at `rest`, then one repetition per amplitude (rest ->
    rest + amplitude * (peak - rest) -> rest in `rep_time` s, then `pause` s at rest), then
    `tail` s. `peaks`: one pose or a list used in turn (alternating sides). With `before`,
    the person first moves from that pose into the rest pose over `settle` s."""
    peaks = [peaks] if isinstance(peaks, dict) else list(peaks)
    amplitudes = list(amplitudes)
    start = settle if before is not None else 0.0
    total = start + lead + len(amplitudes) * (rep_time + pause) + tail
    samples = []
    for i in range(int(round(total * rate)) + 1):
        t = i / rate
        pose = dict(rest)
        if t < start:
            w = 0.5 * (1 - math.cos(math.pi * t / settle))
            pose = {k: before.get(k, rest.get(k, 0.0)) + w * (rest.get(k, 0.0) - before.get(k, rest.get(k, 0.0)))
                    for k in set(before) | set(rest)}
        k, within = divmod(t - start - lead, rep_time + pause)
        if t >= start + lead and k < len(amplitudes) and within < rep_time:
            peak = peaks[int(k) % len(peaks)]
            s = amplitudes[int(k)] * 0.5 * (1 - math.cos(2 * math.pi * within / rep_time))
            for key, value in peak.items():
                base = rest.get(key, 0.0)   # rest must name every joint that moves
                pose[key] = base + s * (value - base)
        samples.append((t, pose))
    return samples


def render(samples, camera: Camera, posture: str = 'standing', scale: float = 1.0,
           noise: float = 0.01, image_noise: float = 0.5, seed: int = 0, tau: float = 0.0):
    """(t, BodyFrame) for (t, pose) samples seen from `camera`. The world noise (sd `noise`
    m) wanders with time constant `tau` s, as BlazePose's smoothed landmarks do (0: white)."""
    rng = np.random.default_rng(seed)
    frames, unit, last = [], rng.normal(0.0, 1.0, (NUM_LANDMARKS, 3)), None
    for t, pose in samples:
        if tau > 0 and last is not None:   # AR(1) noise with unit variance
            a = math.exp(-(t - last) / tau)
            unit = a * unit + math.sqrt(1 - a * a) * rng.normal(0.0, 1.0, unit.shape)
        elif last is not None:
            unit = rng.normal(0.0, 1.0, unit.shape)
        last = t
        frames.append((t, view(body_points(pose, posture, scale), camera, rng,
                               noise * unit, image_noise)))
    return frames
