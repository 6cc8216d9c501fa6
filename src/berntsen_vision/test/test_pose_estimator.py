"""BlazePose finds the person in grace_hopper.jpg and nobody in a blank image."""
import cv2
import numpy as np
import pytest
from matplotlib import cbook

from berntsen_vision.pose_estimator import NUM_LANDMARKS, VISIBILITY, PoseEstimator

NOSE, LEFT_SHOULDER, RIGHT_SHOULDER = 0, 11, 12


@pytest.fixture(scope='module')
def estimator():
    with PoseEstimator() as pose:
        yield pose


@pytest.fixture(scope='module')
def grace_hopper():
    path = cbook.get_sample_data('grace_hopper.jpg', asfileobj=False)
    return cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)


def test_finds_grace_hopper(estimator, grace_hopper):
    result = estimator.process(grace_hopper, 1.0)
    landmarks = result.image
    assert landmarks.shape == (NUM_LANDMARKS, 4) and landmarks.dtype == np.float32
    # a head-and-shoulders portrait: nose above the shoulders, shoulders either side of it
    assert landmarks[[NOSE, LEFT_SHOULDER, RIGHT_SHOULDER], VISIBILITY].min() > 0.9
    assert 0.3 < landmarks[NOSE, 0] < 0.7
    assert landmarks[NOSE, 1] < landmarks[LEFT_SHOULDER, 1]
    assert landmarks[RIGHT_SHOULDER, 0] < landmarks[NOSE, 0] < landmarks[LEFT_SHOULDER, 0]
    # world landmarks: metres around the hips, a head-and-shoulders body of human size
    world = result.world
    assert world.shape == (NUM_LANDMARKS, 4) and np.isfinite(world).all()
    shoulder_width = np.linalg.norm(world[LEFT_SHOULDER, :3] - world[RIGHT_SHOULDER, :3])
    assert 0.2 < shoulder_width < 0.6
    assert world[NOSE, 1] < world[LEFT_SHOULDER, 1] < 0.0   # y down, origin at the hips
    np.testing.assert_array_equal(world[:, VISIBILITY], landmarks[:, VISIBILITY])
    # tracking across frames of a video keeps finding her
    assert estimator.process(grace_hopper, 1.033) is not None


def test_nobody_in_a_blank_image(estimator):
    assert estimator.process(np.zeros((480, 640, 3), np.uint8), 2.0) is None


def test_time_going_backwards_restarts_tracking(estimator, grace_hopper):
    estimator.process(grace_hopper, 3.0)
    assert estimator.process(grace_hopper, 0.5) is not None


def test_rejects_non_rgb_input(estimator):
    with pytest.raises(ValueError, match='RGB'):
        estimator.process(np.zeros((10, 10), np.uint8), 4.0)
    with pytest.raises(ValueError, match='RGB'):
        estimator.process(np.zeros((10, 10, 3), np.float32), 4.1)
    with pytest.raises(TypeError):
        estimator.process([[0]], 4.2)
    with pytest.raises(ValueError):
        PoseEstimator(min_detection_confidence=2.0)


@pytest.mark.parametrize('quarter_turns', [1, 2, 3])
def test_upright_finds_a_person_lying_across_the_image(grace_hopper, quarter_turns):
    # Her portrait turned on its side (as someone lying in bed is seen from beside it):
    # `upright` turns the frames back within a few, and the landmarks are in the frame as
    # given: where her nose and shoulders are in the turned picture.
    with PoseEstimator() as plain:
        upright_lm = plain.process(grace_hopper, 0.0).image
    turned = np.ascontiguousarray(np.rot90(grace_hopper, quarter_turns))
    with PoseEstimator(upright=True) as pose:
        results = [pose.process(turned, i / 15) for i in range(12)]
    found = [r for r in results if r is not None]
    assert len(found) >= 6 and all(r is not None for r in results[-4:])
    x, y = upright_lm[:, 0], upright_lm[:, 1]
    expected = {1: (y, 1 - x), 2: (1 - x, 1 - y), 3: (1 - y, x)}[quarter_turns]
    for index in (NOSE, LEFT_SHOULDER, RIGHT_SHOULDER):
        assert found[-1].image[index, 0] == pytest.approx(expected[0][index], abs=0.05)
        assert found[-1].image[index, 1] == pytest.approx(expected[1][index], abs=0.05)
    # world landmarks turn with the image: the nose is still 'above' the shoulders along
    # the direction from the hips to the shoulders
    world = found[-1].world[:, :3]
    hips_to_shoulders = world[[LEFT_SHOULDER, RIGHT_SHOULDER]].mean(axis=0)
    assert np.dot(world[NOSE], hips_to_shoulders) > np.dot(hips_to_shoulders, hips_to_shoulders)

