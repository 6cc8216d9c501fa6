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
