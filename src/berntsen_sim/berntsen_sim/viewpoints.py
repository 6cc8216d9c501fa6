"""Camera viewpoints around the patient for benchmarks: where a free camera stands, what it
looks at, and which class of view it gives. Pure Python (no MuJoCo, no rclpy).

A viewpoint is a pinhole camera (vertical field of view `fovy`, square pixels, 4:3 by
default) at `position` looking at `lookat` with the world's z up.

Azimuth is measured from the patient's front: 0 deg straight in front, 90 deg fully from the
side (either side: `side` +1 = the patient's left, -1 = her right). Sitting or standing she
faces +x. Lying on her back in bed (head at +y), "front" is the view along the body from the
foot end of the bed and "side" the view square on from the bedside (+x): her sagittal plane
is then in the image, as in a side view of a standing person. Lying exercises are only seen
from above the mattress (camera 0.8-1.6 m high), 1-2.5 m away (as far as the room allows;
BlazePose was seen to lose a lying person at 3+ m), and only from the bedside half-space
(+x), since the other long side of the bed stands at the wall.

Classes for reporting:
- view: `front` (azimuth < 25 deg), `oblique` (25-65 deg), `side` (> 65 deg);
- framing: `whole_body` (head, pelvis and both feet in the image at rest, and at the far
  end of the movement where given: someone standing up from a chair stays in it) or `waist_up`
  (head, shoulders and pelvis in the image, at least one foot out of it; close up, so arms
  raised overhead may leave the frame).
Exercises that move the legs, and all lying exercises, are only sampled whole_body: a
counter cannot be asked to count legs it does not see.

`sample_viewpoint` draws camera height (0.6-1.6 m), horizontal distance (about 1-3.5 m
whole body, 0.8-1.8 m waist up), azimuth, look-at point and field of view for a wanted class
and keeps the first draw whose projection of the patient's rest-pose key points (from
`berntsen_sim.world.patient_keypoints`) really gives that framing.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass

VIEWS = ('front', 'oblique', 'side')
FRAMINGS = ('whole_body', 'waist_up')
VIEW_AZIMUTHS = {'front': (0.0, 25.0), 'oblique': (25.0, 65.0), 'side': (65.0, 90.0)}
HEIGHTS = (0.6, 1.6)
LYING_HEIGHTS = (0.8, 1.6)
DISTANCES = {'whole_body': (1.0, 3.5), 'waist_up': (0.8, 1.8)}
LYING_DISTANCES = (1.0, 2.5)   # the bedroom leaves no more room at the bed's side or foot
FOVY = (50.0, 65.0)         # vertical field of view of webcams at 4:3, degrees
MARGIN = 0.01               # share of the image a point must be inside the border

WHOLE_BODY_POINTS = ('head_top', 'pelvis', 'left_toe', 'right_toe', 'left_heel', 'right_heel')
WAIST_UP_POINTS = ('head_top', 'left_shoulder', 'right_shoulder', 'pelvis')
FEET = ('left_toe', 'right_toe', 'left_heel', 'right_heel')


def view_class(azimuth_deg: float) -> str:
    a = abs(azimuth_deg)
    return 'front' if a < 25.0 else 'oblique' if a <= 65.0 else 'side'


@dataclass(frozen=True)
class Viewpoint:
    position: tuple[float, float, float]
    lookat: tuple[float, float, float]
    fovy: float                 # degrees
    azimuth: float              # degrees from the patient's front, 0..90
    side: int                   # +1: from the patient's left, -1: her right
    lying: bool = False
    framing: str = ''

    @property
    def view(self) -> str:
        return view_class(self.azimuth)

    @property
    def label(self) -> str:
        return f'{self.view}/{self.framing}'

    @property
    def height(self) -> float:
        return self.position[2]

    @property
    def distance(self) -> float:
        """Horizontal distance (m) from the camera to the look-at point."""
        return math.hypot(self.position[0] - self.lookat[0], self.position[1] - self.lookat[1])

    def as_dict(self) -> dict:
        return {'view': self.view, 'framing': self.framing, 'azimuth': round(self.azimuth, 1),
                'side': self.side, 'height': round(self.height, 3),
                'distance': round(self.distance, 3), 'fovy': round(self.fovy, 1),
                'position': [round(v, 3) for v in self.position],
                'lookat': [round(v, 3) for v in self.lookat]}

    def axes(self):
        """(forward, right, up) unit vectors of the camera."""
        f = _unit(tuple(b - a for a, b in zip(self.position, self.lookat)))
        r = _unit((f[1], -f[0], 0.0)) if abs(f[2]) < 0.999 else (1.0, 0.0, 0.0)
        u = (r[1] * f[2] - r[2] * f[1], r[2] * f[0] - r[0] * f[2], r[0] * f[1] - r[1] * f[0])
        return f, r, u

    def project(self, point, width: int = 640, height: int = 480):
        """(u, v) normalised image coordinates (0..1, v down) of a world point, or None behind
        the camera."""
        f, r, u = self.axes()
        d = tuple(p - c for p, c in zip(point, self.position))
        z = sum(a * b for a, b in zip(d, f))
        if z <= 1e-6:
            return None
        focal = 0.5 * height / math.tan(math.radians(self.fovy) / 2.0)
        x = sum(a * b for a, b in zip(d, r)) * focal / z
        y = sum(a * b for a, b in zip(d, u)) * focal / z
        return 0.5 + x / width, 0.5 - y / height

    def in_frame(self, point, width: int = 640, height: int = 480) -> bool:
        uv = self.project(point, width, height)
        return uv is not None and all(MARGIN <= c <= 1.0 - MARGIN for c in uv)


def _unit(v):
    n = math.sqrt(sum(c * c for c in v))
    return tuple(c / n for c in v)


def framing_of(viewpoint: Viewpoint, keypoints: dict, width: int = 640,
               height: int = 480) -> str:
    """'whole_body', 'waist_up' or '' (neither) for these rest-pose key points."""
    inside = {name: viewpoint.in_frame(p, width, height) for name, p in keypoints.items()}
    if all(inside[n] for n in WHOLE_BODY_POINTS):
        return 'whole_body'
    if all(inside[n] for n in WAIST_UP_POINTS) and not all(inside[n] for n in FEET):
        return 'waist_up'
    return ''


def allowed_framings(legs: bool, lying: bool) -> tuple[str, ...]:
    """Framings an exercise is benchmarked in: whole body only where legs move or lying."""
    return ('whole_body',) if legs or lying else FRAMINGS


def classes(legs: bool, lying: bool) -> list[tuple[str, str]]:
    return [(v, f) for v in VIEWS for f in allowed_framings(legs, lying)]


def _centre(keypoints: dict):
    xs = [p[0] for p in keypoints.values()]
    ys = [p[1] for p in keypoints.values()]
    return (0.5 * (min(xs) + max(xs)), 0.5 * (min(ys) + max(ys)))


def sample_viewpoint(rng: random.Random, keypoints: dict, lying: bool, view: str,
                     framing: str, width: int = 640, height: int = 480,
                     tries: int = 400, far_end: dict | None = None) -> Viewpoint:
    """A viewpoint of class (view, framing) for a patient with these rest-pose key points
    (world coordinates; see berntsen_sim.world.patient_keypoints); `far_end`: her key
    points at the far end of the movement, which a whole-body view must hold too."""
    if view not in VIEWS or framing not in FRAMINGS:
        raise ValueError(f'unknown class {view}/{framing}')
    poses = [keypoints] + ([far_end] if far_end and framing == 'whole_body' else [])
    cx, cy = _centre(keypoints)
    top = max(pose['head_top'][2] for pose in poses)
    bottom = min(pose[n][2] for pose in poses for n in FEET)
    pelvis = keypoints['pelvis']
    heights = LYING_HEIGHTS if lying else HEIGHTS
    for _ in range(tries):
        azimuth = rng.uniform(*VIEW_AZIMUTHS[view])
        side = 1 if lying else rng.choice((1, -1))
        distance = rng.uniform(*(LYING_DISTANCES if lying else DISTANCES[framing]))
        cam_z = rng.uniform(*heights)
        fovy = rng.uniform(*FOVY)
        a = math.radians(azimuth)
        if lying:     # 0: from the foot end (-y), 90: from the bedside (+x)
            direction = (math.sin(a), -math.cos(a))
            look = (cx + rng.uniform(-0.1, 0.1), cy + rng.uniform(-0.2, 0.2),
                    rng.uniform(pelvis[2] - 0.1, pelvis[2] + 0.15))
        else:
            direction = (math.cos(a), side * math.sin(a))
            if framing == 'whole_body':
                look_z = 0.5 * (top + bottom) + rng.uniform(-0.15, 0.15)
            else:
                look_z = pelvis[2] + rng.uniform(0.35, 0.75) * (top - pelvis[2])
            look = (pelvis[0] + rng.uniform(-0.1, 0.1), pelvis[1] + rng.uniform(-0.1, 0.1),
                    look_z)
        position = (look[0] + distance * direction[0], look[1] + distance * direction[1], cam_z)
        candidate = Viewpoint(position=position, lookat=look, fovy=fovy, azimuth=azimuth,
                              side=side, lying=lying)
        if all(framing_of(candidate, pose, width, height) == framing for pose in poses):
            return Viewpoint(position=position, lookat=look, fovy=fovy, azimuth=azimuth,
                             side=side, lying=lying, framing=framing)
    raise ValueError(f'no {view}/{framing} viewpoint found in {tries} tries')
