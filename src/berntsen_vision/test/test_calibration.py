"""camera_calibration_parsers YAML files and the camera_info built from them."""
import pytest

from berntsen_vision.calibration import load_calibration, pinhole_calibration
from berntsen_vision.camera_node import camera_info_msg

CALIBRATION = """\
image_width: 640
image_height: 480
camera_name: head_camera
camera_matrix: {rows: 3, cols: 3, data: [500.0, 0.0, 321.0, 0.0, 501.0, 239.0, 0.0, 0.0, 1.0]}
distortion_model: plumb_bob
distortion_coefficients: {rows: 1, cols: 5, data: [0.1, -0.05, 0.001, 0.002, 0.0]}
rectification_matrix: {rows: 3, cols: 3, data: [1, 0, 0, 0, 1, 0, 0, 0, 1]}
projection_matrix: {rows: 3, cols: 4, data: [498.0, 0, 320.0, 0, 0, 499.0, 240.0, 0, 0, 0, 1, 0]}
"""


def test_reads_the_standard_format_into_camera_info(tmp_path):
    path = tmp_path / 'head_camera.yaml'
    path.write_text(CALIBRATION)
    calibration = load_calibration(path)
    info = camera_info_msg(calibration, 'camera_optical_frame')
    assert (info.width, info.height, info.distortion_model) == (640, 480, 'plumb_bob')
    assert list(info.k) == [500.0, 0.0, 321.0, 0.0, 501.0, 239.0, 0.0, 0.0, 1.0]
    assert list(info.d) == pytest.approx([0.1, -0.05, 0.001, 0.002, 0.0])
    assert list(info.p)[:3] == [498.0, 0.0, 320.0]
    assert calibration.camera_name == 'head_camera' and info.header.frame_id == 'camera_optical_frame'


def test_scales_to_a_resized_image_of_the_same_aspect(tmp_path):
    path = tmp_path / 'cal.yaml'
    path.write_text(CALIBRATION)
    half = load_calibration(path).scaled_to(320, 240)
    assert half.k[0] == 250.0 and half.k[2] == 160.5 and half.k[4] == 250.5 and half.k[5] == 119.5
    assert half.p[0] == 249.0 and half.d[0] == 0.1
    with pytest.raises(ValueError, match='aspect'):
        load_calibration(path).scaled_to(640, 640)


@pytest.mark.parametrize('text, message', [
    ('image_width: 640\n', 'image_width and image_height'),
    ('[1, 2]', 'mapping'),
    ('image_width: 640\nimage_height: 480\ncamera_matrix: {rows: 3, cols: 3, data: [1, 2]}\n', 'needs 9'),
    ('image_width: 640\nimage_height: 480\ncamera_matrix: 3\n', 'camera_matrix'),
    ('image_width: 640\nimage_height: 480\ncamera_matrix: {data: [a, b]}\n', 'numbers'),
    ('{unclosed', 'YAML'),
])
def test_bad_files_are_clear_errors(tmp_path, text, message):
    path = tmp_path / 'bad.yaml'
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        load_calibration(path)


def test_missing_file_and_pinhole_default():
    with pytest.raises(OSError):
        load_calibration('/nonexistent/cal.yaml')
    pinhole = pinhole_calibration(640, 480, 90.0)
    assert pinhole.k[0] == pytest.approx(320.0) and pinhole.k[2] == 320.0
    with pytest.raises(ValueError):
        pinhole_calibration(0, 480, 60.0)
