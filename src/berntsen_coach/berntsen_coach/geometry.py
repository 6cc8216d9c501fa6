"""Plane geometry on normalised image landmarks (no ROS imports).

Landmarks come as normalised image coordinates (x from the left edge, y from the top,
both 0..1). A 640×480 image squeezes x and y by different factors, so angles are taken
after scaling back to pixels; otherwise a 90° elbow would read as about 82° or 98°.
"""
from __future__ import annotations

import math
from typing import Sequence

Point = Sequence[float]


def joint_angle(first: Point, vertex: Point, last: Point,
                image_width: float = 1.0, image_height: float = 1.0) -> float:
    """Angle in degrees (0..180) at `vertex` between the segments to `first` and `last`.

    Points are (x, y) in normalised image coordinates; `image_width` and `image_height`
    (pixels, or any common unit) scale them so the angle is the one seen in the image.
    Raises ValueError for non-finite coordinates, a non-positive image size, or a
    segment of zero length (the angle is undefined).
    """
    if not (math.isfinite(image_width) and math.isfinite(image_height)) \
            or image_width <= 0 or image_height <= 0:
        raise ValueError(f'image size must be positive, got {image_width}×{image_height}')
    coords = []
    for name, point in (('first', first), ('vertex', vertex), ('last', last)):
        if len(point) < 2:
            raise ValueError(f'{name} point needs x and y, got {point!r}')
        x, y = float(point[0]), float(point[1])
        if not (math.isfinite(x) and math.isfinite(y)):
            raise ValueError(f'{name} point is not finite: ({x}, {y})')
        coords.append((x * image_width, y * image_height))
    (ax, ay), (bx, by), (cx, cy) = coords
    ux, uy = ax - bx, ay - by
    vx, vy = cx - bx, cy - by
    norm_u, norm_v = math.hypot(ux, uy), math.hypot(vx, vy)
    # A tolerance relative to the image keeps coincident landmarks from giving noise angles.
    eps = 1e-9 * max(image_width, image_height)
    if norm_u <= eps or norm_v <= eps:
        raise ValueError('joint angle undefined: a segment has zero length')
    # atan2 of cross and dot is accurate near 0° and 180°, where acos is not.
    cross = ux * vy - uy * vx
    dot = ux * vx + uy * vy
    return math.degrees(math.atan2(abs(cross), dot))


def joint_angle_3d(first: Sequence[float], vertex: Sequence[float], last: Sequence[float],
                   image_width: float = 1.0, image_height: float = 1.0) -> float:
    """Angle in degrees at `vertex` for points (x, y, z) in BlazePose image coordinates.

    BlazePose's z is depth relative to the hips on roughly the scale of x, so x and z are
    scaled by the image width and y by its height. Use it where the movement goes towards
    the camera (an elbow curl or a squat seen from the front), which the 2D angle hides.
    Raises ValueError like `joint_angle`.
    """
    if not (math.isfinite(image_width) and math.isfinite(image_height)) \
            or image_width <= 0 or image_height <= 0:
        raise ValueError(f'image size must be positive, got {image_width}×{image_height}')
    coords = []
    for name, point in (('first', first), ('vertex', vertex), ('last', last)):
        if len(point) < 3:
            raise ValueError(f'{name} point needs x, y and z, got {point!r}')
        x, y, z = (float(c) for c in point[:3])
        if not all(math.isfinite(c) for c in (x, y, z)):
            raise ValueError(f'{name} point is not finite: ({x}, {y}, {z})')
        coords.append((x * image_width, y * image_height, z * image_width))
    a, b, c = coords
    u = [a[i] - b[i] for i in range(3)]
    v = [c[i] - b[i] for i in range(3)]
    norm_u, norm_v = math.hypot(*u), math.hypot(*v)
    eps = 1e-9 * max(image_width, image_height)
    if norm_u <= eps or norm_v <= eps:
        raise ValueError('joint angle undefined: a segment has zero length')
    cross = (u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0])
    dot = sum(u[i] * v[i] for i in range(3))
    return math.degrees(math.atan2(math.hypot(*cross), dot))


def relative_height(point: Point, reference: Point, scale_from: Point, scale_to: Point,
                    image_width: float = 1.0, image_height: float = 1.0) -> float:
    """How far `point` is above `reference`, in lengths of the segment scale_from→scale_to.

    Image y grows downwards, so a positive result means `point` is higher in the image.
    Dividing by a body segment makes the signal independent of the person's distance from
    the camera. Raises ValueError for non-finite input or a zero-length scale segment.
    """
    if not (math.isfinite(image_width) and math.isfinite(image_height)) \
            or image_width <= 0 or image_height <= 0:
        raise ValueError(f'image size must be positive, got {image_width}×{image_height}')
    for p in (point, reference, scale_from, scale_to):
        if len(p) < 2 or not (math.isfinite(p[0]) and math.isfinite(p[1])):
            raise ValueError(f'point is not a finite (x, y): {p!r}')
    scale = math.hypot((scale_to[0] - scale_from[0]) * image_width,
                       (scale_to[1] - scale_from[1]) * image_height)
    if scale <= 1e-6 * max(image_width, image_height):
        raise ValueError('relative height undefined: the scale segment has zero length')
    return (reference[1] - point[1]) * image_height / scale
