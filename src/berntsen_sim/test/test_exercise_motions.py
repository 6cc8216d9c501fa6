"""The virtual patient's exercise library: poses, joint ranges, set plans and their truth."""
import math

import pytest

from berntsen_sim import patient as P
from berntsen_sim.patient import SITTING, STANDING, VirtualPatient

FRACTIONS = [i / 20 for i in range(21)]
DT = 0.05


def limit_of(joint):
    for prefix, limits in P.JOINT_LIMITS.items():
        if joint == prefix or joint.startswith(prefix + '_'):
            return limits
    return None


def foot_points(joints, side):
    """(ball, heel) of one foot in the patient frame (x, z), by forward kinematics."""
    hip, knee, ankle = (joints[f'{j}_{side}'] for j in ('hip', 'knee', 'ankle'))
    shin = hip - knee
    ax = joints['pelvis_x'] + P.THIGH_LENGTH * math.sin(hip) + P.SHIN_LENGTH * math.sin(shin)
    az = joints['pelvis_z'] - P.THIGH_LENGTH * math.cos(hip) - P.SHIN_LENGTH * math.cos(shin)
    pitch = shin + ankle    # 0: sole level; negative: heel up

    def point(x, z):
        return (ax + x * math.cos(pitch) - z * math.sin(pitch),
                az + x * math.sin(pitch) + z * math.cos(pitch))
    return point(P.BALL_X, -P.ANKLE_Z), point(-P.HEEL_X, -P.ANKLE_Z)


def knee_height(joints, side):
    return joints['pelvis_z'] - P.THIGH_LENGTH * math.cos(joints[f'hip_{side}'])


@pytest.mark.parametrize('name', sorted(P.EXERCISES))
def test_every_pose_of_every_exercise_stays_within_the_joint_limits(name):
    motion = P.EXERCISES[name]
    for rep in (0, 1):
        for r in FRACTIONS:
            joints = P.joint_positions(motion.pose(r, rep))
            assert set(joints) == set(P.JOINT_NAMES)
            for joint, value in joints.items():
                limits = limit_of(joint)
                if limits:
                    assert limits[0] <= value <= limits[1], f'{name} r={r}: {joint}={value:.3f}'


@pytest.mark.parametrize('name', sorted(n for n, m in P.EXERCISES.items() if m.posture != P.LYING))
def test_feet_stay_on_the_floor_unless_lifted(name):
    motion = P.EXERCISES[name]
    for rep in (0, 1):
        for r in FRACTIONS:
            joints = P.joint_positions(motion.pose(r, rep))
            for side in ('left', 'right'):
                other = 'right' if side == 'left' else 'left'
                if joints[f'hip_{side}'] > joints[f'hip_{other}'] + 1e-9:
                    continue   # the lifted leg of a knee raise; checked below
                if joints[f'knee_{side}'] < joints[f'knee_{other}'] - 1e-9 \
                        or joints[f'hip_abd_{side}'] > 1e-9:
                    continue   # a knee extension or hip abduction lifts the foot
                ball, heel = foot_points(joints, side)
                assert ball == pytest.approx((P.ANKLE_X + P.BALL_X, 0.0), abs=1e-6), name
                assert heel[1] >= -1e-6, f'{name}: heel below the floor'


def test_rest_pose_is_plain_sitting_or_standing_where_no_setup_is_needed():
    neutral = {SITTING: P.SITTING_POSE, STANDING: P.STANDING_POSE}
    for name in ('arm_raise', 'seated_arm_raise', 'sit_to_stand', 'standing_march',
                 'heel_raise', 'mini_squat'):
        motion = P.EXERCISES[name]
        assert P.joint_positions(motion.rest_pose()) == pytest.approx(
            P.joint_positions(neutral[motion.posture])), name


def test_arm_raises_go_from_hanging_to_150_degrees_sitting_and_standing():
    for name, posture in (('arm_raise', STANDING), ('seated_arm_raise', SITTING)):
        motion = P.EXERCISES[name]
        assert motion.posture == posture
        assert math.degrees(motion.pose(1.0, 0).arm_abduction) == pytest.approx(150.0)
        assert motion.pose(0.5, 0).arm_abduction == pytest.approx(math.radians(80.0))


def test_sit_to_stand_goes_from_the_bed_edge_to_standing():
    motion = P.EXERCISES['sit_to_stand']
    assert motion.pose(0.0, 0) == P.SITTING_POSE
    assert motion.pose(1.0, 0) == P.STANDING_POSE
    heights = [motion.pose(r, 0).hip_z for r in FRACTIONS]
    assert heights == sorted(heights)


def test_march_lifts_left_and_right_knee_in_turn_and_clears_the_floor():
    motion = P.EXERCISES['standing_march']
    left, right = P.joint_positions(motion.pose(1.0, 0)), P.joint_positions(motion.pose(1.0, 1))
    assert knee_height(left, 'left') > knee_height(left, 'right') + 0.3
    assert knee_height(right, 'right') > knee_height(right, 'left') + 0.3
    # the lifted knee comes up near hip height, the foot clears the floor, the shin hangs
    assert knee_height(left, 'left') == pytest.approx(left['pelvis_z'], abs=0.1)
    ball, heel = foot_points(left, 'left')
    assert min(ball[1], heel[1]) > 0.25
    shin_left, shin_right = (left[f'hip_{s}'] - left[f'knee_{s}'] for s in ('left', 'right'))
    assert shin_left == pytest.approx(shin_right)


def test_heel_raise_lifts_the_heels_a_few_centimetres_on_the_balls_of_the_feet():
    motion = P.EXERCISES['heel_raise']
    top = P.joint_positions(motion.pose(1.0, 0))
    ball, heel = foot_points(top, 'left')
    assert 0.05 <= heel[1] <= 0.10
    rise = top['pelvis_z'] - P.STANDING_POSE.hip_z
    assert 0.03 <= rise <= 0.06
    assert top['knee_left'] == pytest.approx(P.joint_positions(P.STANDING_POSE)['knee_left'],
                                             abs=0.01)   # legs stay straight


def test_elbow_flexion_bends_from_almost_straight_to_130_degrees():
    for name in ('elbow_flexion', 'elbow_flexion_side'):
        motion = P.EXERCISES[name]
        assert motion.posture == SITTING
        assert math.degrees(motion.pose(0.0, 0).elbow_flexion) == pytest.approx(5.0)
        assert math.degrees(motion.pose(1.0, 0).elbow_flexion) == pytest.approx(130.0)
    curl = P.EXERCISES['elbow_flexion'].pose(1.0, 0)
    assert curl.arm_rotation == pytest.approx(-math.pi / 2)   # forearm comes up in front
    # hanging upper arm, forearm past horizontal: the hand is above the elbow, below the shoulder
    assert not P.wrist_above_shoulder(curl.arm_abduction, curl.elbow_flexion, curl.arm_rotation)
    side = P.EXERCISES['elbow_flexion_side'].pose(1.0, 0)
    assert P.wrist_above_shoulder(side.arm_abduction, side.elbow_flexion, side.arm_rotation)


def test_mini_squat_bends_the_knees_30_to_50_degrees_with_the_hips_lower():
    motion = P.EXERCISES['mini_squat']
    standing = P.joint_positions(P.STANDING_POSE)
    bottom = P.joint_positions(motion.pose(1.0, 0))
    bend = math.degrees(bottom['knee_left'] - standing['knee_left'])
    assert 30.0 <= bend <= 50.0
    assert 0.04 <= standing['pelvis_z'] - bottom['pelvis_z'] <= 0.12
    assert bottom['trunk_lean'] > 0.2


def test_plan_set_truth_counts_full_and_partial_reps_with_their_end_times():
    motion = P.EXERCISES['arm_raise']
    plan = P.plan_set(motion, 2.0, [(2.0, 1.0, 0.5), (2.0, 0.4, 1.0), (3.0, 0.9, 0.0)])
    assert [r.start for r in plan.reps] == pytest.approx([2.0, 4.5, 7.5])
    assert plan.counted_ends() == pytest.approx([4.0, 10.5])
    assert plan.partial_ends() == pytest.approx([6.5])
    assert plan.end == pytest.approx(10.5)
    assert plan.completed(3.99) == (0, 0)
    assert plan.completed(4.0) == (1, 0)
    assert plan.completed(7.0) == (1, 1)
    assert plan.completed(20.0) == (2, 1)
    # the peak of each rep is its amplitude times the full range; rest between reps
    full = P.ARM_RAISED - P.ARM_HANGING
    assert plan.pose(3.0).arm_abduction == pytest.approx(P.ARM_HANGING + full)
    assert plan.pose(5.5).arm_abduction == pytest.approx(P.ARM_HANGING + 0.4 * full)
    assert plan.pose(4.2) == motion.rest_pose()
    assert plan.pose(0.0) == plan.pose(30.0) == motion.rest_pose()


def test_a_rep_is_partial_below_the_counted_fraction():
    motion = P.EXERCISES['mini_squat']
    below = P.plan_set(motion, 0.0, [(2.0, motion.counted_fraction - 0.01, 0.0)])
    at = P.plan_set(motion, 0.0, [(2.0, motion.counted_fraction, 0.0)])
    assert not below.reps[0].counted and at.reps[0].counted


@pytest.mark.parametrize('spec', [(0.0, 1.0, 0.0), (1.0, 0.0, 0.0), (1.0, 1.2, 0.0),
                                  (1.0, 1.0, -0.1)])
def test_plan_set_rejects_impossible_reps(spec):
    with pytest.raises(ValueError, match='bad repetition'):
        P.plan_set(P.EXERCISES['arm_raise'], 0.0, [spec])


def sample(patient, start, until):
    states, t = [], start
    while t <= until + 1e-9:
        states.append((t, patient.state(t)))
        t += DT
    return states


@pytest.mark.parametrize('name', sorted(P.EXERCISES))
def test_cooperative_patient_does_every_exercise_smoothly_and_exactly(name):
    patient = VirtualPatient('cooperative', seed=2)
    patient.hear(0.0, 'Reis deg opp.', 'nb', finished=True)
    patient.perform(0.5, name, 4)
    states = sample(patient, 0.5, 60.0)
    assert states[-1][1].repetitions == 4 and states[-1][1].partial_repetitions == 0
    assert all(s.exercise == name for _, s in states)
    reps = [s.repetitions for _, s in states]
    assert all(b - a in (0, 1) for a, b in zip(reps, reps[1:]))
    # no jumps between 50 ms samples: stand-up, sit-down and getting into position are motions
    for (_, a), (_, b) in zip(states, states[1:]):
        for joint in P.JOINT_NAMES:
            step = abs(b.joints[joint] - a.joints[joint])
            assert step < (0.05 if joint.startswith('pelvis') else 0.3), \
                f'{name}: {joint} jumps by {step:.3f}'
    motion = P.EXERCISES[name]
    doing = [s.posture for _, s in states if s.repetitions >= 1]
    if name == 'sit_to_stand':
        assert {SITTING, STANDING} <= set(doing)
    else:
        assert set(doing) == {motion.posture}


def test_patient_sits_down_for_a_seated_exercise_after_standing():
    patient = VirtualPatient('cooperative')
    patient.hear(0.0, 'Reis deg opp.', 'nb', finished=True)
    states = sample(patient, 0.0, 6.0)
    assert states[-1][1].posture == STANDING
    patient.perform(6.0, 'seated_arm_raise', 2)
    states = sample(patient, 6.0, 30.0)
    assert any(s.posture == STANDING for _, s in states[:5])
    up = [s.posture for _, s in states if s.arms_up]
    assert up and set(up) == {SITTING}
    assert states[-1][1].repetitions == 2


def test_tired_patient_gets_slower_and_the_last_reps_fall_short():
    patient = VirtualPatient('tired', seed=1)
    patient.perform(0.0, 'seated_arm_raise', 5)
    states = sample(patient, 0.0, 60.0)
    end = states[-1][1]
    assert (end.repetitions, end.partial_repetitions) == (3, 2)
    tired = P.PERSONAS['tired']
    # both sides together reach the tired share of the range (one a little less)
    peak = max((s.joints['shoulder_abd_left'] + s.joints['shoulder_abd_right']) / 2
               for t, s in states if s.partial_repetitions == 1 and s.repetitions == 3)
    assert peak == pytest.approx(P.ARM_HANGING + tired.fatigue_amplitude
                                 * (P.ARM_RAISED - P.ARM_HANGING), abs=math.radians(6))
    assert not any(s.arms_up for t, s in states if s.repetitions == 3)


def test_unresponsive_patient_never_reacts():
    patient = VirtualPatient('unresponsive')
    patient.hear(0.0, 'Reis deg opp.', 'nb', finished=True)
    assert not patient.perform(1.0, 'arm_raise', 5)
    states = sample(patient, 1.0, 30.0)
    assert all(s.posture == SITTING and s.repetitions == 0 and not s.exercise
               for _, s in states)
    assert len({tuple(s.joints.values()) for _, s in states}) == 1


def test_persona_validation():
    with pytest.raises(ValueError, match='partial_last_reps'):
        P.Persona(name='x', partial_last_reps=-1)
    with pytest.raises(ValueError, match='peak_scale'):
        P.Persona(name='x', peak_scale=1.5)
    with pytest.raises(ValueError, match='posture'):
        P.ExerciseMotion('x', P.LYING_ON_FLOOR, P.EXERCISES['arm_raise'].pose, 2.0)
