"""Every exercise of the virtual patient, rendered at rest and at its peak, is a person to
BlazePose, and the movements it can see from the front read the right way round."""
import pytest

from berntsen_sim import patient as P

pytestmark = pytest.mark.slow

WIDTH, HEIGHT = 640, 480


@pytest.fixture(scope='module')
def frames():
    """{(exercise, 'rest' | 'peak'): image} at the head camera's 640x480."""
    pytest.importorskip('mujoco')
    from berntsen_sim.world import BedroomWorld, HeadCameraRenderer

    world = BedroomWorld()
    renderer = HeadCameraRenderer(world.model, WIDTH, HEIGHT)
    images = {}
    try:
        for name, motion in P.EXERCISES.items():
            for label, r in (('rest', 0.0), ('peak', 1.0)):
                world.set_patient_joints(P.joint_positions(motion.pose(r, 0)))
                images[name, label] = renderer.render(world.snapshot())
    finally:
        renderer.close()
    return images


@pytest.fixture(scope='module')
def landmarks(frames):
    """BlazePose landmarks (33 x 4, normalised) per frame, or None."""
    from berntsen_vision.pose_estimator import PoseEstimator

    found = {}
    for key, image in frames.items():
        # a fresh tracker per still image: detection, then two tracked frames to settle
        with PoseEstimator() as estimator:
            for k in range(3):
                result = estimator.process(image, k / 15.0)
        found[key] = getattr(result, 'image', result)   # PoseLandmarks or a bare array
    return found


def y_of(lm, name):
    from berntsen_vision.pose_estimator import LANDMARK_NAMES
    return float(lm[LANDMARK_NAMES.index(name), 1])


# lying exercises are seen from the bedside or the foot end: test_render_viewpoints.py
@pytest.mark.parametrize('name', sorted(n for n, m in P.EXERCISES.items() if m.posture != P.LYING))
@pytest.mark.parametrize('label', ['rest', 'peak'])
def test_blazepose_finds_the_patient(landmarks, name, label):
    from berntsen_vision.pose_estimator import LANDMARK_NAMES, VISIBILITY

    lm = landmarks[name, label]
    assert lm is not None, f'no person found in {name} at {label}'
    for part in ('left_shoulder', 'right_shoulder', 'left_hip', 'right_hip'):
        assert lm[LANDMARK_NAMES.index(part), VISIBILITY] > 0.5, f'{part} unseen ({name} {label})'
    assert y_of(lm, 'nose') < y_of(lm, 'left_hip')


def test_the_frontal_camera_sees_the_arm_and_knee_movements(landmarks):
    # image y grows downwards; the peak and rest frames differ the right way
    for name in ('arm_raise', 'seated_arm_raise'):
        peak = landmarks[name, 'peak']
        assert y_of(peak, 'left_wrist') < y_of(peak, 'left_shoulder'), name
    curl = landmarks['elbow_flexion', 'peak']
    assert y_of(curl, 'left_wrist') < y_of(curl, 'left_elbow')
    march = landmarks['standing_march', 'peak']   # rep 0 lifts the left knee
    assert y_of(march, 'left_knee') < y_of(march, 'right_knee') - 0.03
    sit, stand = landmarks['sit_to_stand', 'rest'], landmarks['sit_to_stand', 'peak']
    assert y_of(stand, 'left_hip') < y_of(sit, 'left_hip') - 0.05
    squat, upright = landmarks['mini_squat', 'peak'], landmarks['mini_squat', 'rest']
    assert y_of(squat, 'nose') > y_of(upright, 'nose') + 0.01
