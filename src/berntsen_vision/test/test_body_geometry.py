"""Region of interest and skeleton drawing from landmarks."""
import numpy as np
import pytest

from berntsen_vision.body_geometry import body_roi, draw_skeleton


def _landmarks(points, visibility=0.9):
    landmarks = np.zeros((33, 4))
    landmarks[:, 3] = 0.0
    for index, (x, y) in points.items():
        landmarks[index] = (x, y, 0.0, visibility)
    return landmarks


def test_roi_covers_visible_landmarks_with_a_margin_and_is_clipped():
    landmarks = _landmarks({11: (0.25, 0.25), 28: (0.75, 0.75)})
    assert body_roi(landmarks, 640, 480, margin=0.0) == (160, 120, 320, 240)
    x, y, w, h = body_roi(landmarks, 640, 480, margin=0.1)
    assert (x, y, w, h) == (128, 96, 384, 288)
    outside = _landmarks({11: (-0.2, 0.5), 28: (0.5, 1.3)})
    assert body_roi(outside, 640, 480, margin=0.0) == (0, 240, 320, 240)


def test_roi_ignores_invisible_landmarks_and_none_when_nothing_visible():
    landmarks = _landmarks({11: (0.25, 0.25), 28: (0.75, 0.75)})
    landmarks[28, 3] = 0.1
    landmarks[0] = (0.9, 0.9, 0.0, 0.2)
    assert body_roi(landmarks, 100, 100, margin=0.0) is None  # a single point has no area
    assert body_roi(np.zeros((33, 4)), 640, 480) is None
    with pytest.raises(ValueError):
        body_roi(np.zeros((5, 4)), 640, 480)
    with pytest.raises(ValueError):
        body_roi(landmarks, 0, 480)


def test_draw_skeleton_draws_only_on_a_copy():
    rgb = np.zeros((120, 160, 3), np.uint8)
    landmarks = _landmarks({11: (0.3, 0.3), 12: (0.7, 0.3), 23: (0.35, 0.7), 24: (0.65, 0.7)})
    drawn = draw_skeleton(rgb, landmarks, label='abcde standing')
    assert rgb.max() == 0
    assert drawn.shape == rgb.shape and drawn[36, 80].tolist() == [0, 255, 0]  # shoulder line
    with pytest.raises(ValueError):
        draw_skeleton(rgb[..., 0], landmarks)
