"""Unit tests of the scripted virtual patient (pure Python)."""
import math

import pytest

from berntsen_sim import patient as P
from berntsen_sim.patient import SITTING, STANDING, Persona, VirtualPatient

DT = 0.05


def run(patient, until, start=0.0, dt=DT):
    """States sampled every dt from start to until."""
    states = []
    t = start
    while t <= until + 1e-9:
        states.append((t, patient.state(t)))
        t += dt
    return states


def routine(persona='cooperative', seed=0, target=5, stand_at=2.0, exercise_at=8.0):
    patient = VirtualPatient(persona, seed=seed)
    patient.observe_coach(0.0, 'greet')
    states = run(patient, stand_at - DT)
    patient.observe_coach(stand_at, 'stand_up')
    states += run(patient, exercise_at - DT, start=stand_at)
    patient.observe_coach(exercise_at, 'exercise', 'arm_raise', target)
    states += run(patient, exercise_at + 40.0, start=exercise_at)
    return patient, states


def shoulder_and_wrist_height(joints):
    """Heights of the left shoulder and wrist in the patient frame (forward kinematics)."""
    lean, abd = joints['trunk_lean'], joints['shoulder_abd_left']
    shoulder = joints['pelvis_z'] + P.SHOULDER_HEIGHT * math.cos(lean)
    # arm hangs along -z in the torso frame; abduction about the torso's x axis
    arm_length = 0.62
    wrist = shoulder - arm_length * math.cos(abd) * math.cos(lean)
    return shoulder, wrist


@pytest.mark.parametrize('target', [0, 1, 5, 8])
@pytest.mark.parametrize('seed', [0, 1, 2])
def test_cooperative_does_exactly_target_reps(target, seed):
    patient, states = routine(target=target, seed=seed)
    reps = [s.repetitions for _, s in states]
    assert reps[-1] == target
    assert all(b - a in (0, 1) for a, b in zip(reps, reps[1:])), 'count goes up one at a time'


def test_rep_counts_when_arms_are_back_down():
    _, states = routine(target=3)
    previous = 0
    for _, state in states:
        if state.repetitions > previous:
            assert not state.arms_up
            assert state.joints['shoulder_abd_left'] == pytest.approx(P.ARM_HANGING)
            previous = state.repetitions


def test_each_rep_goes_above_shoulder_and_back():
    _, states = routine(target=5)
    ups = sum(1 for (_, a), (_, b) in zip(states, states[1:]) if not a.arms_up and b.arms_up)
    assert ups == 5
    peak = max(s.joints['shoulder_abd_left'] for _, s in states)
    assert math.degrees(peak) == pytest.approx(150.0, abs=1.0)
    for _, s in states:
        shoulder, wrist = shoulder_and_wrist_height(s.joints)
        assert (wrist > shoulder) == s.arms_up
        assert s.joints['shoulder_abd_left'] == s.joints['shoulder_abd_right']


def test_rep_duration_about_2_5_seconds():
    _, states = routine(target=5, seed=3)
    raising = [t for t, s in states if s.joints['shoulder_abd_left'] > P.ARM_HANGING + 1e-9]
    # 5 reps of 2.5 s +-10 % sampled every DT
    assert 5 * 2.25 - 0.5 <= len(raising) * DT <= 5 * 2.75 + 0.5


def test_posture_sitting_then_standing_at_the_right_time():
    persona = P.PERSONAS['cooperative']
    _, states = routine(stand_at=2.0)
    earliest = 2.0 + (persona.reaction_delay + persona.stand_duration) * (1 - persona.timing_jitter)
    latest = 2.0 + (persona.reaction_delay + persona.stand_duration) * (1 + persona.timing_jitter)
    switch = next(t for t, s in states if s.posture == STANDING)
    assert earliest - DT <= switch <= latest + DT
    assert all(s.posture == SITTING for t, s in states if t < switch)
    assert all(s.posture == STANDING for t, s in states if t >= switch)


def test_stands_up_with_feet_on_the_floor_and_straight_legs():
    _, states = routine()
    sitting, standing = states[0][1].joints, states[-1][1].joints
    assert sitting['hip_left'] == pytest.approx(math.pi / 2, abs=0.35)     # thighs ~horizontal
    assert standing['hip_left'] == pytest.approx(0.0, abs=0.1)            # upright
    assert standing['knee_left'] == pytest.approx(0.0, abs=0.15)
    for _, s in states:
        j = s.joints
        ankle_x = j['pelvis_x'] + P.THIGH_LENGTH * math.sin(j['hip_left']) + \
            P.SHIN_LENGTH * math.sin(j['hip_left'] - j['knee_left'])
        ankle_z = j['pelvis_z'] - P.THIGH_LENGTH * math.cos(j['hip_left']) - \
            P.SHIN_LENGTH * math.cos(j['hip_left'] - j['knee_left'])
        assert (ankle_x, ankle_z) == pytest.approx((P.ANKLE_X, P.ANKLE_Z), abs=1e-6)
        assert j['hip_left'] - j['knee_left'] + j['ankle_left'] == pytest.approx(0.0, abs=1e-9)


def test_exercise_waits_until_standing_is_finished():
    patient = VirtualPatient('cooperative')
    patient.observe_coach(0.0, 'stand_up')
    patient.observe_coach(0.1, 'exercise', 'arm_raise', 2)
    states = run(patient, 30.0, start=0.1)
    assert any(s.arms_up for _, s in states)
    assert all(s.posture == STANDING for _, s in states if s.arms_up)
    assert states[-1][1].repetitions == 2


def test_repeated_coach_state_does_not_restart_the_set():
    patient = VirtualPatient('cooperative')
    patient.observe_coach(0.0, 'exercise', 'arm_raise', 3)
    t = 0.0
    while t < 20.0:
        # the coach republishes its state with a new count after every repetition
        assert not patient.observe_coach(t, 'exercise', 'arm_raise', 3)
        patient.state(t)
        t += DT
    assert patient.state(20.0).repetitions == 3


def test_new_set_resets_the_count_and_unknown_exercise_is_ignored():
    patient = VirtualPatient('cooperative')
    patient.observe_coach(0.0, 'exercise', 'arm_raise', 2)
    assert patient.state(15.0).repetitions == 2
    assert not patient.observe_coach(15.0, 'exercise', 'toe_dance', 4)
    assert patient.state(16.0).repetitions == 2
    assert patient.observe_coach(16.0, 'exercise', 'arm_raise', 1)
    assert patient.state(16.5).repetitions == 0
    assert patient.state(30.0).repetitions == 1


def test_stays_sitting_without_stand_up_and_stands_still_after_set():
    patient, states = routine(target=2)
    end = states[-1][1]
    assert end.posture == STANDING and not end.arms_up
    idle = VirtualPatient('cooperative')
    idle.observe_coach(0.0, 'greet')
    assert all(s.posture == SITTING for _, s in run(idle, 20.0))


def test_slow_persona_is_slower_but_complete():
    _, fast = routine('cooperative', target=5)
    _, slow = routine('slow', target=5, exercise_at=15.0)
    first_done = {name: next(t for t, s in states if s.repetitions == 5)
                  for name, states in (('fast', fast), ('slow', slow))}
    assert first_done['slow'] > first_done['fast']
    assert slow[-1][1].repetitions == 5


def test_same_seed_same_timing():
    a = [s.repetitions for _, s in routine(seed=7)[1]]
    b = [s.repetitions for _, s in routine(seed=7)[1]]
    assert a == b


def test_bad_input():
    with pytest.raises(ValueError, match='unknown persona'):
        VirtualPatient('grumpy')
    with pytest.raises(TypeError):
        VirtualPatient(3)
    with pytest.raises(ValueError, match='rep_duration'):
        Persona(name='x', rep_duration=0.0)
    patient = VirtualPatient()
    with pytest.raises(ValueError, match='target'):
        patient.observe_coach(0.0, 'exercise', 'arm_raise', -1)
    with pytest.raises(TypeError):
        patient.observe_coach(0.0, None)
    with pytest.raises(ValueError, match='finite'):
        patient.state(float('nan'))
    patient.state(5.0)
    with pytest.raises(ValueError, match='backwards'):
        patient.state(4.0)
    with pytest.raises(ValueError, match='reach'):
        P.leg_joints(0.0, 2.0)


def test_lying_poses_set_every_joint_and_lie_on_the_bed_or_the_floor():
    bed = P.lying_joint_positions(P.LYING_IN_BED_POSE)
    floor = P.lying_joint_positions(P.LYING_ON_FLOOR_POSE)
    for joints in (bed, floor):
        assert set(joints) == set(P.JOINT_NAMES)
        assert joints['body_roll'] == pytest.approx(-math.pi / 2)  # stretched out along the bed's axis
        assert joints['knee_left'] == joints['hip_left'] == 0.0   # legs straight
    assert 0.5 < bed['pelvis_z'] < 0.7 and -0.86 < bed['pelvis_x'] < 0.1   # on the mattress (top 0.50 m)
    assert floor['pelvis_z'] < 0.2 and floor['pelvis_x'] > 0.1              # on the floor, in front of the bed
    # the sitting and standing poses leave the new whole-body joints at rest
    sitting = P.joint_positions(P.SITTING_POSE)
    assert sitting['pelvis_y'] == sitting['body_roll'] == sitting['body_twist'] == 0.0


def test_patient_in_bed_sits_up_lies_back_down_once_and_sits_up_again():
    patient = VirtualPatient('lies_down_again', seed=1)
    assert patient.state(0.0).posture == P.LYING
    assert not patient.observe_coach(0.5, 'stand_up')          # lying: gets up first
    assert patient.observe_coach(1.0, 'sit_up')
    states = run(patient, 20.0, start=1.0)
    postures = [s.posture for _, s in states]
    first_sitting = postures.index(SITTING)
    assert P.LYING in postures[first_sitting:], 'lies back down'
    assert postures[-1] == P.LYING
    # a re-prompt gets it up again, and this time it stays up
    assert patient.observe_coach(20.1, 'sit_up')
    states = run(patient, 40.0, start=20.1)
    assert states[-1][1].posture == SITTING
    assert states[-1][1].joints == pytest.approx(P.joint_positions(P.SITTING_POSE))
    assert patient.observe_coach(40.1, 'stand_up')
    assert run(patient, 50.0, start=40.1)[-1][1].posture == STANDING


def test_lying_in_bed_and_moving_smoothly_between_lying_and_sitting():
    patient = VirtualPatient('lies_down_again')
    assert patient.state(0.0).joints == pytest.approx(P.lying_joint_positions(P.LYING_IN_BED_POSE))
    patient.observe_coach(0.0, 'sit_up')
    states = run(patient, 20.0)
    for (_, a), (_, b) in zip(states, states[1:]):
        assert max(abs(b.joints[j] - a.joints[j]) for j in P.JOINT_NAMES) < 0.2


def test_falling_patient_ends_on_the_floor_and_stays_there():
    patient = VirtualPatient('falls', seed=2)
    patient.observe_coach(0.0, 'stand_up')
    states = run(patient, 15.0)
    postures = [s.posture for _, s in states]
    assert STANDING in postures
    assert postures[-1] == P.LYING_ON_FLOOR
    fell = next(t for t, s in states if s.posture == P.LYING_ON_FLOOR)
    stood = next(t for t, s in states if s.posture == STANDING)
    persona = P.PERSONAS['falls']
    assert fell - stood == pytest.approx(persona.falls_after + P.FALL_DURATION, abs=0.3)
    assert states[-1][1].joints == pytest.approx(
        P.lying_joint_positions(P.LYING_ON_FLOOR_POSE))
    assert not patient.observe_coach(15.1, 'exercise', 'arm_raise', 3)
    assert not patient.observe_coach(15.1, 'sit_up')
    assert patient.state(40.0).posture == P.LYING_ON_FLOOR


def test_second_set_of_the_same_exercise_is_done_again():
    patient = VirtualPatient('cooperative')
    patient.observe_coach(0.0, 'exercise', 'arm_raise', 2, set_number=1)
    assert patient.state(15.0).repetitions == 2
    patient.observe_coach(15.0, 'rest')
    assert patient.observe_coach(20.0, 'exercise', 'arm_raise', 2, set_number=2)
    assert patient.state(20.5).repetitions == 0
    assert patient.state(35.0).repetitions == 2
