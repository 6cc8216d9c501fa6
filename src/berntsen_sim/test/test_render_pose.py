"""Rendered patient frames are what BlazePose needs: the person is found, arms read right."""
import math

import pytest

from berntsen_sim import patient as P

ARMS_UP = math.radians(150.0)
POSES = {
    'sitting': (P.SITTING_POSE, False),
    'sitting_arms_up': (P.BodyPose(P.SITTING_POSE.hip_x, P.SITTING_POSE.hip_z,
                                   P.SITTING_POSE.trunk_lean, ARMS_UP), True),
    'standing_up_half_way': (P.sit_to_stand_pose(0.5), False),
    'standing': (P.STANDING_POSE, False),
    'standing_arms_up': (P.BodyPose(P.STANDING_POSE.hip_x, P.STANDING_POSE.hip_z, 0.0, ARMS_UP),
                         True),
}


@pytest.fixture(scope='module')
def frames():
    from berntsen_sim.world import BedroomWorld, HeadCameraRenderer

    world = BedroomWorld()
    renderer = HeadCameraRenderer(world.model, 640, 480)
    images = {}
    for name, (pose, _) in POSES.items():
        world.set_patient_joints(P.joint_positions(pose))
        world.step(1)
        images[name] = renderer.render(world.snapshot())
    renderer.close()
    return images


@pytest.fixture(scope='module')
def blazepose():
    import mediapipe as mp

    with mp.solutions.pose.Pose(model_complexity=1, static_image_mode=True) as pose:
        yield pose


@pytest.mark.slow
def test_frames_have_the_camera_size(frames):
    for image in frames.values():
        assert image.shape == (480, 640, 3) and image.dtype.name == 'uint8'


@pytest.mark.slow
@pytest.mark.parametrize('name', sorted(POSES))
def test_blazepose_finds_the_patient_and_reads_the_arms(frames, blazepose, name):
    import mediapipe as mp

    lm_index = mp.solutions.pose.PoseLandmark
    result = blazepose.process(frames[name])
    assert result.pose_landmarks is not None, f'no person detected ({name})'
    lm = result.pose_landmarks.landmark
    for side in ('LEFT', 'RIGHT'):
        shoulder = lm[lm_index[f'{side}_SHOULDER']]
        wrist = lm[lm_index[f'{side}_WRIST']]
        assert shoulder.visibility > 0.5
        arms_up = POSES[name][1]
        # image y grows downwards
        if arms_up:
            assert wrist.y < shoulder.y - 0.05, f'{side} wrist not above the shoulder ({name})'
        else:
            assert wrist.y > shoulder.y + 0.05, f'{side} wrist not below the shoulder ({name})'
    # the patient is the one facing the camera: their left is on the image's right
    assert lm[lm_index.LEFT_SHOULDER].x > lm[lm_index.RIGHT_SHOULDER].x
    nose, hip = lm[lm_index.NOSE], lm[lm_index.LEFT_HIP]
    assert nose.y < hip.y
