"""Image-space geometry of a detected body: region of interest and skeleton drawing; no rclpy.

BlazePose landmarks are normalised (x by width, y by height) and may lie outside [0, 1]
for body parts out of the frame; both functions clip to the image.
"""
from __future__ import annotations

import cv2
import numpy as np

from .pose_estimator import NUM_LANDMARKS, VISIBILITY

# BlazePose skeleton edges (mediapipe's POSE_CONNECTIONS, without the face)
SKELETON_EDGES = (
    (11, 12), (11, 13), (13, 15), (12, 14), (14, 16), (11, 23), (12, 24), (23, 24),
    (23, 25), (25, 27), (27, 29), (29, 31), (27, 31), (24, 26), (26, 28), (28, 30), (30, 32), (28, 32),
    (15, 17), (15, 19), (15, 21), (16, 18), (16, 20), (16, 22), (0, 11), (0, 12),
)


def _check(landmarks, width: int, height: int) -> np.ndarray:
    landmarks = np.asarray(landmarks, dtype=np.float64)
    if landmarks.shape != (NUM_LANDMARKS, 4):
        raise ValueError(f'expected landmarks of shape ({NUM_LANDMARKS}, 4), got {landmarks.shape}')
    if width <= 0 or height <= 0:
        raise ValueError(f'image size must be positive, got {width}x{height}')
    return landmarks


def body_roi(landmarks, width: int, height: int, min_visibility: float = 0.5,
             margin: float = 0.1) -> tuple[int, int, int, int] | None:
    """(x_offset, y_offset, width, height) in pixels around the visible landmarks.

    The box is widened by `margin` of its size on each side (landmarks sit on joints, not on
    the body's outline) and clipped to the image. None when no landmark is visible enough or
    the box lies outside the image.
    """
    landmarks = _check(landmarks, width, height)
    if margin < 0.0:
        raise ValueError(f'margin must not be negative, got {margin}')
    visible = landmarks[landmarks[:, VISIBILITY] >= min_visibility]
    if len(visible) == 0:
        return None
    xs, ys = visible[:, 0] * width, visible[:, 1] * height
    pad_x, pad_y = margin * (xs.max() - xs.min()), margin * (ys.max() - ys.min())
    left, right = max(0, int(np.floor(xs.min() - pad_x))), min(width, int(np.ceil(xs.max() + pad_x)))
    top, bottom = max(0, int(np.floor(ys.min() - pad_y))), min(height, int(np.ceil(ys.max() + pad_y)))
    if right <= left or bottom <= top:
        return None
    return left, top, right - left, bottom - top


def draw_skeleton(rgb: np.ndarray, landmarks, min_visibility: float = 0.5, label: str = '') -> np.ndarray:
    """A copy of `rgb` with the visible skeleton, its ROI and an optional label drawn on it."""
    if not isinstance(rgb, np.ndarray) or rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError('expected an RGB uint8 array (H, W, 3)')
    height, width = rgb.shape[:2]
    landmarks = _check(landmarks, width, height)
    canvas = rgb.copy()
    points = np.round(landmarks[:, :2] * (width, height)).astype(int)
    visible = landmarks[:, VISIBILITY] >= min_visibility
    thickness = max(1, round(min(width, height) / 240))
    for a, b in SKELETON_EDGES:
        if visible[a] and visible[b]:
            cv2.line(canvas, tuple(map(int, points[a])), tuple(map(int, points[b])), (0, 255, 0), thickness)
    for index in np.flatnonzero(visible):
        cv2.circle(canvas, tuple(map(int, points[index])), thickness + 2, (255, 64, 0), -1)
    roi = body_roi(landmarks, width, height, min_visibility)
    if roi is not None:
        x, y, w, h = roi
        cv2.rectangle(canvas, (x, y), (x + w - 1, y + h - 1), (255, 255, 0), thickness)
        if label:
            cv2.putText(canvas, label, (x, max(12, y - 4)), cv2.FONT_HERSHEY_SIMPLEX,
                        0.5 * thickness, (255, 255, 0), thickness, cv2.LINE_AA)
    return canvas
