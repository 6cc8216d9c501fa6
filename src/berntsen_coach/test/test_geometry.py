"""Body geometry: 3D joint angles and heights along the body axis do not depend on where
the camera is or how tall the person is; image heights are measured from the bottom."""
import math

import numpy as np
import pytest

from berntsen_coach.geometry import angle_between, height_along, image_height, joint_angle


def rotation(rng):
    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
    q = q * np.sign(np.diag(r))
    return q if np.linalg.det(q) > 0 else -q


def test_known_angles():
    assert joint_angle((0, 1, 0), (0, 0, 0), (1, 0, 0)) == pytest.approx(90.0)
    assert joint_angle((-1, 0, 0), (0, 0, 0), (1, 0, 0)) == pytest.approx(180.0)
    assert joint_angle((1, 0, 0), (0, 0, 0), (2, 0, 0)) == pytest.approx(0.0)
    assert joint_angle((1, 1, 0), (0, 0, 0), (1, 0, 0)) == pytest.approx(45.0)
    assert joint_angle((0, 0, 1), (0, 0, 0), (0, 1, 1)) == pytest.approx(45.0)   # uses z


def test_accurate_near_straight_and_folded():
    tiny = 1e-5
    assert joint_angle((-1, 0, 0), (0, 0, 0), (1, tiny, 0)) == pytest.approx(180 - math.degrees(tiny), abs=1e-7)
    assert joint_angle((1, 0, 0), (0, 0, 0), (1, tiny, 0)) == pytest.approx(math.degrees(tiny), abs=1e-7)


def test_extra_columns_are_ignored():
    # landmarks carry visibility as a fourth value
    assert joint_angle((0, 1, 0, 0.9), (0, 0, 0, 0.1), (1, 0, 0, 0.5)) == pytest.approx(90.0)


@pytest.mark.parametrize('seed', range(5))
def test_angles_and_heights_are_invariant_to_rotation_translation_and_scale(seed):
    rng = np.random.default_rng(seed)
    points = rng.normal(size=(6, 3))
    r, shift, scale = rotation(rng), rng.normal(size=3), rng.uniform(0.5, 2.0)
    moved = points @ r.T * scale + shift
    assert joint_angle(*moved[:3]) == pytest.approx(joint_angle(*points[:3]))
    assert height_along(*moved) == pytest.approx(height_along(*points))


def test_height_along_the_axis_in_segment_lengths():
    # 0.3 m above the reference along a tilted "up" axis, in 0.6 m segments
    up = np.array([0.0, 1.0, 1.0]) / math.sqrt(2)
    reference = np.array([0.2, 0.1, 0.0])
    point = reference + 0.3 * up + np.array([0.5, 0.0, 0.0])   # sideways does not count
    assert height_along(point, reference, (0, 0, 0), 2 * up, (0, 0, 0), (0, 0.6, 0)) == pytest.approx(0.5)
    assert height_along(reference, point, (0, 0, 0), up, (0, 0, 0), (0, 0.6, 0)) == pytest.approx(-0.5)


def test_angle_between_vectors():
    assert angle_between(np.array([1.0, 0, 0]), np.array([0, 0, 3.0])) == pytest.approx(90.0)
    with pytest.raises(ValueError, match='no length'):
        angle_between(np.zeros(3), np.array([1.0, 0, 0]))


@pytest.mark.parametrize('args,problem', [
    (((0, 0, 0), (0, 0, 0), (1, 0, 0)), 'no length'),
    (((0, 1, 0), (0, 0, 0), (1, float('nan'), 0)), 'not finite'),
    (((0, 1), (0, 0), (1, 0)), 'x, y and z'),
])
def test_joint_angle_errors(args, problem):
    with pytest.raises(ValueError, match=problem):
        joint_angle(*args)


def test_height_errors():
    p = (0, 0, 0)
    with pytest.raises(ValueError, match='no length'):
        height_along((0, 1, 0), p, p, p, p, (1, 0, 0))          # zero axis
    with pytest.raises(ValueError, match='no length'):
        height_along((0, 1, 0), p, p, (0, 1, 0), p, p)          # zero scale
    with pytest.raises(ValueError, match='not finite'):
        height_along((0, math.inf, 0), p, p, (0, 1, 0), p, (1, 0, 0))


def test_image_height():
    assert image_height([(0.5, 1.0)]) == pytest.approx(0.0)     # bottom edge
    assert image_height([(0.5, 0.0)]) == pytest.approx(1.0)     # top edge
    assert image_height([(0.1, 0.2, 0.0, 0.9), (0.9, 0.4, 0.0, 0.9)]) == pytest.approx(0.7)
    with pytest.raises(ValueError, match='at least one'):
        image_height([])
    with pytest.raises(ValueError, match='not finite'):
        image_height([(0.5, float('nan'))])
