import math

import pytest

from berntsen_coach.geometry import joint_angle


def test_right_angle_and_straight_line():
    assert joint_angle((0, 1), (0, 0), (1, 0)) == pytest.approx(90.0)
    assert joint_angle((-1, 0), (0, 0), (1, 0)) == pytest.approx(180.0)
    assert joint_angle((1, 0), (0, 0), (2, 0)) == pytest.approx(0.0)


def test_angle_is_taken_in_pixels_not_normalised_units():
    # 64 px right, and 64 px right + 64 px down in a 640×480 image: 45° in the image.
    first, vertex, last = (0.6, 0.5), (0.5, 0.5), (0.6, 0.5 + 64 / 480)
    assert joint_angle(first, vertex, last, 640, 480) == pytest.approx(45.0)
    # Unscaled, the same normalised points would give a different, wrong angle.
    assert joint_angle(first, vertex, last) == pytest.approx(math.degrees(math.atan2(64 / 480, 0.1)))
    assert abs(joint_angle(first, vertex, last) - 45.0) > 5


def test_accepts_longer_points_and_is_symmetric():
    a, b, c = (0.2, 0.3, 0.9), (0.4, 0.4, 0.9), (0.5, 0.1, 0.9)
    assert joint_angle(a, b, c, 640, 480) == pytest.approx(joint_angle(c, b, a, 640, 480))


@pytest.mark.parametrize('points,size', [
    (((0.5, 0.5), (0.5, 0.5), (0.6, 0.6)), (640, 480)),          # zero-length segment
    (((0.1, 0.2), (0.3, 0.3), (0.3, 0.3)), (640, 480)),
    (((math.nan, 0.2), (0.3, 0.3), (0.4, 0.5)), (640, 480)),      # not finite
    (((0.1, math.inf), (0.3, 0.3), (0.4, 0.5)), (640, 480)),
    (((0.1, 0.2), (0.3, 0.3), (0.4, 0.5)), (0, 480)),             # bad image size
    (((0.1, 0.2), (0.3, 0.3), (0.4, 0.5)), (640, -1)),
    (((0.1,), (0.3, 0.3), (0.4, 0.5)), (640, 480)),               # missing y
])
def test_degenerate_input_raises_value_error(points, size):
    with pytest.raises(ValueError):
        joint_angle(*points, *size)
