"""The default pinhole camera_info the camera node publishes."""
import math

import pytest

from berntsen_vision.camera_node import pinhole_camera_info


def test_pinhole_from_size_and_horizontal_fov():
    info = pinhole_camera_info(640, 480, 90.0, 'camera_optical_frame')
    assert (info.width, info.height, info.header.frame_id) == (640, 480, 'camera_optical_frame')
    fx = info.k[0]
    assert fx == pytest.approx(320.0)  # tan(45 deg) = 1: half width over 1
    assert info.k[4] == fx and (info.k[2], info.k[5]) == (320.0, 240.0)
    assert list(info.p) == [fx, 0.0, 320.0, 0.0, 0.0, fx, 240.0, 0.0, 0.0, 0.0, 1.0, 0.0]
    assert list(info.d) == [0.0] * 5 and info.distortion_model == 'plumb_bob'
    narrow = pinhole_camera_info(640, 480, 60.0, 'cam')
    assert narrow.k[0] == pytest.approx(320.0 / math.tan(math.radians(30.0)))
