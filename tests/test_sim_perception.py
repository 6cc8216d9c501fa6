"""The perception chain on frames the simulator renders: BlazePose finds the virtual
patient, the posture classifier agrees with the patient's true posture, and the coach's
arm-raise signal (shoulder abduction from the 3D world landmarks) goes from the rest zone to
past the counting threshold when the patient's arms go up and down."""
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

mujoco = pytest.importorskip('mujoco')

from berntsen_coach.exercises import BodyFrame, exercise_signal, load_exercises  # noqa: E402
from berntsen_sim.patient import VirtualPatient  # noqa: E402
from berntsen_sim.world import BedroomWorld, HeadCameraRenderer  # noqa: E402
from berntsen_vision.pose_estimator import PoseEstimator  # noqa: E402
from berntsen_vision.posture import Posture, classify_posture  # noqa: E402

WIDTH, HEIGHT = 640, 480
EXERCISES = Path(__file__).resolve().parent.parent / 'src/berntsen_coach/config/exercises.yaml'


@pytest.fixture(scope='module')
def session_frames():
    """(truth, landmarks) at 10 fps through a cooperative stand-up and two arm raises."""
    world, patient = BedroomWorld(), VirtualPatient('cooperative', seed=1)
    renderer = HeadCameraRenderer(world.model, WIDTH, HEIGHT)
    estimator = PoseEstimator()
    frames = []
    try:
        patient.state(0.0)
        patient.hear(0.5, 'Reis deg opp.', 'nb', finished=True)
        t = 0.5
        while t < 30.0:
            state = patient.state(t)
            if state.posture == 'standing' and not state.exercise:
                patient.perform(t, 'arm_raise', 2)
            world.set_patient_joints(state.joints)
            world.step(1)
            frames.append((state, estimator.process(renderer.render(world.snapshot()), t)))
            if state.exercise and state.repetitions == 2:
                break
            t += 0.1
    finally:
        renderer.close()
        estimator.close()
    return frames


def test_patient_found_in_every_frame(session_frames):
    missing = [s for s, landmarks in session_frames if landmarks is None]
    assert not missing


def test_posture_matches_truth_when_still(session_frames):
    # frames in the middle of standing up are neither; compare where the truth is settled
    sitting = [classify_posture(lm, WIDTH / HEIGHT).posture
               for s, lm in session_frames[:5] if s.posture == 'sitting']
    standing = [classify_posture(lm, WIDTH / HEIGHT).posture
                for s, lm in session_frames if s.posture == 'standing']
    assert sitting and all(p == Posture.SITTING for p in sitting)
    assert standing.count(Posture.STANDING) >= 0.95 * len(standing)


def test_arm_raise_signal_crosses_both_thresholds_per_repetition(session_frames):
    arm_raise = load_exercises(EXERCISES)['arm_raise']
    signal = []
    for state, landmarks in session_frames:
        if state.exercise == 'arm_raise':
            frame = BodyFrame.from_arrays(landmarks.image, landmarks.world, WIDTH, HEIGHT)
            signal.append((state.arms_up, exercise_signal(arm_raise, frame)))
    up = [value for arms_up, value in signal if arms_up]
    down = [value for arms_up, value in signal if not arms_up]
    assert up and down
    settings = arm_raise.counter_settings()
    counting_level = settings.rest + settings.count_at * (settings.goal - settings.rest)
    assert max(up) > counting_level + 15        # arms up: well past counting
    assert min(down) < settings.rest + 15       # arms down: near the typical rest
