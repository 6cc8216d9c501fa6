"""Camera calibration files in the camera_calibration_parsers YAML format; no rclpy.

The format `cameracalibrator` writes (ROS camera_calibration / camera_info_manager):

    image_width: 640
    image_height: 480
    camera_name: head_camera
    camera_matrix: {rows: 3, cols: 3, data: [fx, 0, cx, 0, fy, cy, 0, 0, 1]}
    distortion_model: plumb_bob
    distortion_coefficients: {rows: 1, cols: 5, data: [k1, k2, t1, t2, k3]}
    rectification_matrix: {rows: 3, cols: 3, data: [...]}
    projection_matrix: {rows: 3, cols: 4, data: [...]}
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, replace

import yaml

IDENTITY_3X3 = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0)


@dataclass(frozen=True)
class Calibration:
    """Intrinsics in the fields of sensor_msgs/CameraInfo."""

    width: int
    height: int
    k: tuple  # 9, row-major
    d: tuple
    r: tuple  # 9
    p: tuple  # 12
    distortion_model: str = 'plumb_bob'
    camera_name: str = ''

    def scaled_to(self, width: int, height: int) -> Calibration:
        """The calibration for images resized to width x height (same aspect ratio)."""
        if (width, height) == (self.width, self.height):
            return self
        if width <= 0 or height <= 0:
            raise ValueError(f'image size must be positive, got {width}x{height}')
        sx, sy = width / self.width, height / self.height
        if abs(sx - sy) > 0.01 * max(sx, sy):
            raise ValueError(f'calibration for {self.width}x{self.height} does not fit {width}x{height} '
                             '(a different aspect ratio); calibrate at this size')
        k, p = list(self.k), list(self.p)
        k[0], k[2], k[4], k[5] = k[0] * sx, k[2] * sx, k[4] * sy, k[5] * sy
        p[0], p[2], p[3], p[5], p[6] = p[0] * sx, p[2] * sx, p[3] * sx, p[5] * sy, p[6] * sy
        return replace(self, width=width, height=height, k=tuple(k), p=tuple(p))


def pinhole_calibration(width: int, height: int, horizontal_fov_deg: float) -> Calibration:
    """An ideal pinhole camera: no distortion, square pixels, centred principal point."""
    if width <= 0 or height <= 0:
        raise ValueError(f'image size must be positive, got {width}x{height}')
    if not 0.0 < horizontal_fov_deg < 180.0:
        raise ValueError(f'horizontal_fov_deg must be within (0, 180), got {horizontal_fov_deg}')
    f = (width / 2.0) / math.tan(math.radians(horizontal_fov_deg) / 2.0)
    cx, cy = width / 2.0, height / 2.0
    return Calibration(width=width, height=height, k=(f, 0.0, cx, 0.0, f, cy, 0.0, 0.0, 1.0),
                       d=(0.0,) * 5, r=IDENTITY_3X3, p=(f, 0.0, cx, 0.0, 0.0, f, cy, 0.0, 0.0, 0.0, 1.0, 0.0))


def _matrix(doc: dict, key: str, rows: int, cols: int | None, path) -> tuple:
    entry = doc.get(key)
    if not isinstance(entry, dict) or 'data' not in entry:
        raise ValueError(f'{path}: {key} must be a mapping with rows, cols and data')
    data = entry['data']
    if not isinstance(data, list) or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in data):
        raise ValueError(f'{path}: {key}.data must be a list of numbers')
    expected = rows * cols if cols is not None else None
    if expected is not None and len(data) != expected:
        raise ValueError(f'{path}: {key} needs {expected} numbers ({rows}x{cols}), got {len(data)}')
    return tuple(float(v) for v in data)


def load_calibration(path: str | os.PathLike) -> Calibration:
    """Read a camera_calibration_parsers YAML file; ValueError/OSError saying what is wrong."""
    with open(path, encoding='utf-8') as stream:
        try:
            doc = yaml.safe_load(stream)
        except yaml.YAMLError as error:
            raise ValueError(f'{path}: not valid YAML: {error}') from None
    if not isinstance(doc, dict):
        raise ValueError(f'{path}: expected a mapping with image_width, image_height, camera_matrix, ...')
    width, height = doc.get('image_width'), doc.get('image_height')
    if not (isinstance(width, int) and isinstance(height, int) and width > 0 and height > 0):
        raise ValueError(f'{path}: image_width and image_height must be positive integers')
    k = _matrix(doc, 'camera_matrix', 3, 3, path)
    d = _matrix(doc, 'distortion_coefficients', 1, None, path) if 'distortion_coefficients' in doc else (0.0,) * 5
    r = _matrix(doc, 'rectification_matrix', 3, 3, path) if 'rectification_matrix' in doc else IDENTITY_3X3
    if 'projection_matrix' in doc:
        p = _matrix(doc, 'projection_matrix', 3, 4, path)
    else:
        p = (k[0], k[1], k[2], 0.0, k[3], k[4], k[5], 0.0, 0.0, 0.0, 1.0, 0.0)
    return Calibration(width=width, height=height, k=k, d=d, r=r, p=p,
                       distortion_model=str(doc.get('distortion_model', 'plumb_bob')),
                       camera_name=str(doc.get('camera_name', '')))
