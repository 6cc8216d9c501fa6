"""Unit tests of the scripted virtual patient (pure Python): she hears what the robot says
(the coach's own phrase book, in Norwegian) and moves; the truth tells what she did."""
import math

import pytest

from berntsen_coach.exercises import load_exercises
from berntsen_coach.paths import package_config
from berntsen_coach.phrases import Phrases
from berntsen_sim import patient as P
from berntsen_sim.patient import SITTING, STANDING, Persona, VirtualPatient

DT = 0.05
NB = Phrases('nb')
INTROS = {name: e.intro['nb'] for name, e in
          load_exercises(package_config() / 'exercises.yaml').items()}


def run(patient, until, start=0.0, dt=DT):
    """States sampled every dt from start to until."""
    steps = int(math.floor((until - start) / dt + 1e-9))
    return [(start + i * dt, patient.state(start + i * dt)) for i in range(steps + 1)]


def say(patient, t, text, seconds=2.0, states=None):
    """The robot says `text` from t for `seconds` (the patient's states meanwhile appended to
    `states`, if given); returns when it has finished."""
    patient.hear(t, text, 'nb', finished=False)
    if states is not None:
        states += run(patient, t + seconds - DT, start=t)
    patient.hear(t + seconds, text, 'nb', finished=True)
    return t + seconds


def intro(exercise, times):
    return NB.format_intro(INTROS[exercise], times)


def full_reps(patient, t):
    return sum(1 for rep in patient.finished_repetitions(t) if rep.counted)


def routine(persona='cooperative', seed=0, target=5, stand_at=2.0, exercise_at=8.0):
    """Greeted, asked to stand up (said by `stand_at`), told the arm raises (said by
    `exercise_at`); states from `stand_at` on."""
    patient = VirtualPatient(persona, seed=seed)
    say(patient, 0.0, NB.greeting('Kari'), 1.0)
    say(patient, stand_at - 0.5, NB.text('stand_up'), 0.5)
    states = run(patient, exercise_at - 3.0 - DT, start=stand_at)
    say(patient, exercise_at - 3.0, intro('arm_raise', target), 3.0, states)
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


@pytest.mark.parametrize('target', [1, 5, 8])
@pytest.mark.parametrize('seed', [0, 1, 2])
def test_cooperative_does_the_repetitions_she_heard(target, seed):
    patient, states = routine(target=target, seed=seed)
    reps = [s.repetitions for _, s in states]
    assert reps[-1] == target
    assert all(b - a in (0, 1) for a, b in zip(reps, reps[1:])), 'count goes up one at a time'
    finished = patient.finished_repetitions(states[-1][0])
    assert len(finished) == target and all(r.counted for r in finished)
    assert patient.finished_repetitions(states[-1][0]) == [], 'each is told once'


def test_rep_counts_when_arms_are_back_down():
    _, states = routine(target=3)
    previous = 0
    for _, state in states:
        if state.repetitions > previous:
            assert not state.arms_up
            # the stronger side is down; the weaker may follow a moment later
            assert min(state.joints['shoulder_abd_left'], state.joints['shoulder_abd_right']) \
                == pytest.approx(P.ARM_HANGING)
            previous = state.repetitions


def test_each_rep_goes_above_shoulder_and_back():
    _, states = routine(target=5)
    ups = sum(1 for (_, a), (_, b) in zip(states, states[1:]) if not a.arms_up and b.arms_up)
    assert ups == 5
    peak = max(s.joints['shoulder_abd_left'] for _, s in states)
    assert 115.0 < math.degrees(peak) <= 150.0     # her own range, not always the full one
    for _, s in states:
        shoulder, wrist = shoulder_and_wrist_height(s.joints)
        assert (wrist > shoulder) == s.arms_up
    sides = [abs(s.joints['shoulder_abd_left'] - s.joints['shoulder_abd_right'])
             for _, s in states]
    assert 0.0 < max(sides) < math.radians(40.0), 'her two sides differ a little'


def test_rep_duration_about_2_5_seconds():
    _, states = routine(target=5, seed=3)
    raising = [t for t, s in states if s.joints['shoulder_abd_left'] > P.ARM_HANGING + 1e-9]
    # 5 reps of 2.5 s +-10 %, the weaker side up to 0.2 s behind, sampled every DT
    assert 5 * 2.25 - 0.5 <= len(raising) * DT <= 5 * 2.95 + 0.5


def test_posture_sitting_then_standing_at_the_right_time():
    persona = P.PERSONAS['cooperative']
    _, states = routine(stand_at=2.0)    # "stand up" finishes being said at 2.0 s
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
    t = say(patient, 0.0, NB.text('stand_up'))
    t = say(patient, t, intro('mini_squat', 2), 3.0)
    states = run(patient, 30.0, start=t)
    assert all(s.posture == STANDING for _, s in states if s.repetitions)
    assert states[-1][1].repetitions == 2


def test_she_begins_once_the_robot_is_quiet():
    patient = VirtualPatient('cooperative')
    t = say(patient, 0.0, intro('arm_raise', 2), 4.0)
    t = say(patient, t + 0.2, NB.set_of(1, 2), 2.0)     # says more before she moved
    states = run(patient, 30.0, start=t)
    first_move = next(t for t, s in states
                      if s.joints['shoulder_abd_left'] > P.ARM_HANGING + 0.05)
    assert first_move > t + 0.5, 'she listened to the end first'
    assert states[-1][1].repetitions == 2


def test_an_eager_patient_begins_during_the_introduction():
    patient = VirtualPatient('eager')
    patient.hear(0.0, intro('arm_raise', 3), 'nb', finished=False)
    moving = [t for t, s in run(patient, 8.0) if s.joints['shoulder_abd_left'] > 0.5]
    assert moving and moving[0] < 7.0
    patient.hear(8.0, intro('arm_raise', 3), 'nb', finished=True)
    run(patient, 40.0, 8.0)
    reps = patient.finished_repetitions(40.0)
    assert len(reps) == 3 and reps[0].start < 8.0, 'the end of the words does not restart her'
    assert max(b.start - a.end for a, b in zip(reps, reps[1:])) < 2.0


def test_she_follows_the_count_and_carries_on_when_asked():
    patient = VirtualPatient('cooperative', seed=4)
    t = say(patient, 0.0, intro('arm_raise', 4), 3.0)
    run(patient, 30.0, start=t)
    assert full_reps(patient, 30.0) == 4
    # the robot missed two of them: counted to two, then asks her to carry on
    say(patient, 30.0, NB.number(2), 0.5)
    say(patient, 31.0, NB.text('keep_going'), 2.0)
    run(patient, 50.0, start=33.0)
    assert full_reps(patient, 50.0) == 2, 'two more, what the count lacked'


@pytest.mark.parametrize('wait, go_on', [('cannot_see', 'can_see_again'),   # robot blind
                                          ('paused', 'resumed')])              # Pause pressed
def test_told_to_wait_she_stops_and_picks_up_what_the_count_lacks_when_told_to_go_on(wait, go_on):
    patient = VirtualPatient('cooperative', seed=4)
    t = say(patient, 0.0, intro('arm_raise', 5), 3.0)
    run(patient, t + 4.0, start=t)
    say(patient, t + 4.0, NB.number(1), 0.5)
    # the robot says it waits: she finishes the repetition under way and waits
    t = say(patient, t + 4.5, NB.text(wait), 2.5)
    run(patient, t + 20.0, start=t)
    waited = full_reps(patient, t + 20.0)
    assert waited in (1, 2), 'she waited instead of finishing the set'
    say(patient, t + 20.0, NB.text(go_on), 2.5)
    run(patient, t + 60.0, start=t + 22.5)
    # (finished_repetitions reports each repetition once: these are the new ones)
    assert full_reps(patient, t + 60.0) == 3, 'on again: three more, at most, as the count lacks'


def test_she_stops_when_the_robot_says_the_target():
    patient = VirtualPatient('cooperative')
    t = say(patient, 0.0, intro('arm_raise', 5), 3.0)
    run(patient, t + 6.0, start=t)
    say(patient, t + 6.0, NB.number(5), 0.5)        # the robot's count runs ahead
    run(patient, 60.0, start=t + 6.5)
    assert full_reps(patient, 60.0) <= 3


def test_stops_short_does_three_of_five_and_does_not_carry_on():
    patient = VirtualPatient('stops_short')
    t = say(patient, 0.0, intro('arm_raise', 5), 3.0)
    run(patient, 30.0, start=t)
    say(patient, 30.0, NB.text('keep_going'))
    run(patient, 60.0, start=32.0)
    assert full_reps(patient, 60.0) == 3


def test_hesitant_falls_short_until_told_higher():
    patient = VirtualPatient('hesitant', seed=1)
    t = say(patient, 0.0, intro('arm_raise', 4), 3.0)
    run(patient, 11.5, start=t)
    first = patient.finished_repetitions(11.5)
    assert [r.counted for r in first] == [True, False], 'the second one fell short'
    assert 0.5 < first[1].amplitude < 0.7
    say(patient, 11.5, 'Løft armene litt høyere.', 1.0)
    run(patient, 60.0, start=12.5)
    rest = patient.finished_repetitions(60.0)
    assert len(rest) >= 2 and all(r.counted for r in rest[1:]), \
        'after "higher" she reaches the range'


def test_sits_down_midway_and_stands_when_asked():
    patient = VirtualPatient('sits_down')
    t = say(patient, 0.0, NB.text('stand_up'))
    t = say(patient, t + 4.0, intro('mini_squat', 4), 3.0)
    states = run(patient, 30.0, start=t)
    assert states[-1][1].posture == SITTING and full_reps(patient, 30.0) == 2
    say(patient, 30.0, NB.number(2), 0.5)
    say(patient, 31.0, NB.text('stand_for_exercise'), 3.0)
    states = run(patient, 60.0, start=34.0)
    assert states[-1][1].posture == STANDING
    assert full_reps(patient, 60.0) == 2, 'the two the count lacked'


def test_a_distracted_patient_waits_until_asked_to_carry_on():
    patient = VirtualPatient('distracted')
    t = say(patient, 0.0, intro('arm_raise', 2), 3.0)
    assert all(s.repetitions == 0 for _, s in run(patient, 20.0, start=t))
    for t in (20.0, 23.0, 26.0, 29.0, 32.0):      # asked again: she may miss a prompt
        say(patient, t, NB.text('keep_going'))
    run(patient, 60.0, start=34.0)
    assert full_reps(patient, 60.0) == 2


def test_unknown_words_and_exercises_change_nothing():
    patient = VirtualPatient('cooperative')
    say(patient, 0.0, 'Nå skal vi danse tango fem ganger.')
    say(patient, 2.0, 'Blablabla.')
    assert all(s.repetitions == 0 and s.posture == SITTING for _, s in run(patient, 20.0, 4.0))


def test_stays_sitting_without_stand_up_and_stands_still_after_set():
    patient, states = routine(target=2)
    end = states[-1][1]
    assert end.posture == STANDING and not end.arms_up
    idle = VirtualPatient('cooperative')
    say(idle, 0.0, NB.greeting('Kari'))
    assert all(s.posture == SITTING for _, s in run(idle, 20.0, 2.0))


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
    with pytest.raises(ValueError, match='ignore_chance'):
        Persona(name='x', ignore_chance=1.5)
    patient = VirtualPatient()
    with pytest.raises(ValueError, match='unknown language'):
        patient.hear(0.0, 'Hei', 'de', finished=True)
    with pytest.raises(TypeError):
        patient.hear(0.0, None, 'nb', finished=True)
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
    say(patient, 0.0, NB.text('stand_up'), 0.5)          # lying: gets up first
    assert patient.state(0.5).posture == P.LYING
    say(patient, 0.5, NB.text('sit_up'), 0.5)
    states = run(patient, 20.0, start=1.0)
    postures = [s.posture for _, s in states]
    first_sitting = postures.index(SITTING)
    assert P.LYING in postures[first_sitting:], 'lies back down'
    assert postures[-1] == P.LYING
    # "don't lie down again" gets her up again, and this time she stays up
    say(patient, 20.0, NB.text('lay_down_again', name='Kari'), 0.1)
    states = run(patient, 40.0, start=20.1)
    assert states[-1][1].posture == SITTING
    assert states[-1][1].joints == pytest.approx(P.joint_positions(P.SITTING_POSE))
    say(patient, 40.0, NB.text('stand_up'), 0.1)
    assert run(patient, 50.0, start=40.1)[-1][1].posture == STANDING


def test_lying_in_bed_and_moving_smoothly_between_lying_and_sitting():
    patient = VirtualPatient('lies_down_again')
    assert patient.state(0.0).joints == pytest.approx(P.lying_joint_positions(P.LYING_IN_BED_POSE))
    say(patient, 0.0, NB.text('sit_up_again', name='Kari'), 0.1)
    states = run(patient, 20.0, 0.1)
    for (_, a), (_, b) in zip(states, states[1:]):
        assert max(abs(b.joints[j] - a.joints[j]) for j in P.JOINT_NAMES) < 0.2


def test_falling_patient_ends_on_the_floor_and_stays_there():
    patient = VirtualPatient('falls', seed=2)
    say(patient, 0.0, NB.text('stand_up'), 0.1)
    states = run(patient, 15.0, 0.1)
    postures = [s.posture for _, s in states]
    assert STANDING in postures
    assert postures[-1] == P.LYING_ON_FLOOR
    fell = next(t for t, s in states if s.posture == P.LYING_ON_FLOOR)
    stood = next(t for t, s in states if s.posture == STANDING)
    persona = P.PERSONAS['falls']
    assert fell - stood == pytest.approx(persona.falls_after + P.FALL_DURATION, abs=0.3)
    assert states[-1][1].joints == pytest.approx(
        P.lying_joint_positions(P.LYING_ON_FLOOR_POSE))
    say(patient, 15.1, intro('arm_raise', 3))
    say(patient, 17.1, NB.text('sit_up'))
    assert patient.state(40.0).posture == P.LYING_ON_FLOOR


def test_second_set_of_the_same_exercise_is_done_again():
    patient = VirtualPatient('cooperative')
    t = say(patient, 0.0, intro('arm_raise', 2), 3.0)
    t = say(patient, t, NB.set_of(1, 2))
    assert patient.state(20.0).repetitions == 2
    for text in (NB.number(1), NB.number(2), NB.text('set_done'), NB.text('rest', seconds='10'),
                 NB.text('rest_over')):
        t = say(patient, max(t, 20.0), text, 1.0)
    assert patient.state(t).repetitions == 2
    t = say(patient, t, NB.set_of(2, 2))
    assert patient.state(t + 0.2).repetitions == 0
    assert patient.state(t + 15.0).repetitions == 2


def test_being_asked_to_carry_on_does_not_put_off_a_slow_start():
    patient = VirtualPatient(Persona(name='slow', reaction_delay=12.0))
    t = say(patient, 0.0, intro('arm_raise', 2), 3.0)
    for when in (11.0, 19.0, 27.0):      # the robot asks her to carry on every 8 s
        run(patient, when - DT, start=t)
        t = say(patient, when, NB.text('keep_going'), 1.5)
    run(patient, 60.0, start=t)
    reps = patient.finished_repetitions(60.0)
    assert 13.0 < reps[0].start < 17.0, 'she began 12 s after the introduction, not later'


def test_after_a_set_she_stopped_short_in_she_still_does_the_next():
    patient = VirtualPatient('stops_short')
    t = say(patient, 0.0, intro('arm_raise', 5), 3.0)
    t = say(patient, t, NB.set_of(1, 2))
    run(patient, 40.0, start=t)
    assert full_reps(patient, 40.0) == 3
    # no "that was the set", no rest: the robot goes straight on
    t = say(patient, 40.0, NB.set_of(2, 2))
    run(patient, 70.0, start=t)
    assert full_reps(patient, 70.0) == 3
    t = say(patient, 70.0, intro('mini_squat', 2), 3.0)
    run(patient, 100.0, start=t)
    assert [r.counted for r in patient.finished_repetitions(100.0)] == [True]
