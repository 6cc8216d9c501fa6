"""Body geometry for exercise signals (no ROS imports).

Most signals are taken from BlazePose's world landmarks: metric 3D points around the hips.
An angle between two body segments, or a distance along the body's own axis measured in
a body segment's length, is the same whichever way the camera looks at the person, how
far away it stands and how tall she is. The one image-plane measure left is how high a
group of landmarks is in the image (a whole-body rise in front of a still camera).
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np

Point = Sequence[float]


def _vector(a: Point, b: Point) -> np.ndarray:
    """b - a in 3D; ValueError for non-finite coordinates."""
    va, vb = np.asarray(a, dtype=float)[:3], np.asarray(b, dtype=float)[:3]
    if va.shape != (3,) or vb.shape != (3,):
        raise ValueError(f'points need x, y and z, got {a!r} and {b!r}')
    if not (np.isfinite(va).all() and np.isfinite(vb).all()):
        raise ValueError('a point is not finite')
    return vb - va


def angle_between(u: np.ndarray, v: np.ndarray) -> float:
    """Degrees (0..180) between two 3D vectors; ValueError if either has no length."""
    nu, nv = float(np.linalg.norm(u)), float(np.linalg.norm(v))
    if nu < 1e-6 or nv < 1e-6:
        raise ValueError('angle undefined: a segment has (almost) no length')
    # atan2 of |cross| and dot is accurate near 0 and 180 degrees, where acos is not
    return math.degrees(math.atan2(float(np.linalg.norm(np.cross(u, v))), float(np.dot(u, v))))


def joint_angle(first: Point, vertex: Point, last: Point) -> float:
    """Angle in degrees (0..180) at `vertex` between the segments to `first` and `last`.

    Points are metric 3D (x, y, z[, ...]); 180 is a straight joint. Raises ValueError for
    non-finite points or a segment of (almost) no length.
    """
    return angle_between(_vector(vertex, first), _vector(vertex, last))


def height_along(point: Point, reference: Point, axis_from: Point, axis_to: Point,
                 scale_from: Point, scale_to: Point) -> float:
    """How far `point` is beyond `reference` along the body axis axis_from -> axis_to, in
    lengths of the segment scale_from -> scale_to.

    The axis is the body's own (e.g. hips -> shoulders: "up" for a person standing, sitting
    or lying alike), so neither the camera's tilt nor the person's posture matters.
    Raises ValueError for non-finite points or a zero-length axis or scale.
    """
    axis = _vector(axis_from, axis_to)
    scale = float(np.linalg.norm(_vector(scale_from, scale_to)))
    norm = float(np.linalg.norm(axis))
    if norm < 1e-6 or scale < 1e-6:
        raise ValueError('height undefined: the axis or the scale segment has no length')
    return float(np.dot(_vector(reference, point), axis)) / norm / scale


def image_height(points: Sequence[Point]) -> float:
    """Mean height of normalised image points (x, y, ...) in image heights: 0 at the bottom
    edge, 1 at the top.

    Meaningful only while the camera stands still (the robot does not move while the person
    exercises), and only as a change from the person's own rest level. Raises ValueError for
    an empty list or a non-finite coordinate.
    """
    if not points:
        raise ValueError('image height needs at least one point')
    heights = [1.0 - float(p[1]) for p in points]
    if not all(math.isfinite(h) for h in heights):
        raise ValueError('image height undefined: a point is not finite')
    return sum(heights) / len(heights)
