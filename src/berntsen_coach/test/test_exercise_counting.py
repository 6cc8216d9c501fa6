"""Every shipped exercise counts synthetic signal sequences honestly: noise, jitter,
partial and too-fast attempts, missing samples, both directions."""
import math
import random
from pathlib import Path

import pytest

from berntsen_coach.exercises import LANDMARK_INDEX, exercise_signal, load_exercises
from berntsen_coach.rep_counter import Partial, Rep, TooFast
from coach_synthetic import HEIGHT, WIDTH

EXERCISES = load_exercises(Path(__file__).resolve().parent.parent / 'config' / 'exercises.yaml')

# (rest level, full-repetition peak, noise sd) per exercise, in the signal's own units.
PROFILES = {
    'sit_to_stand': (0.56, 1.2, 0.02),
    'seated_arm_raise': (20.0, 150.0, 3.0),
    'arm_raise': (20.0, 150.0, 3.0),
    'standing_march': (0.0, 0.35, 0.01),
    'heel_raise': (0.78, 0.805, 0.0017),   # baseline mode: only the 0.025 rise matters
    'elbow_flexion': (-1.0, 0.3, 0.02),
    'mini_squat': (4.0, 3.55, 0.01),   # baseline mode: the head's 0.45 drop matters
}


def test_every_shipped_exercise_has_a_profile():
    assert set(PROFILES) == set(EXERCISES)
    assert {'sit_to_stand', 'seated_arm_raise', 'standing_march', 'heel_raise',
            'elbow_flexion', 'mini_squat'} <= set(EXERCISES)


def movement(rest, peak, reps, rep_time=2.0, pause=1.0, lead=2.0, rate=15.0, noise=0.0,
             seed=0, start=0.0):
    """`lead` s at rest, then `reps` smooth excursions rest → peak → rest with pauses."""
    rng = random.Random(seed)
    samples = []
    total = lead + reps * (rep_time + pause)
    for i in range(int(total * rate) + 1):
        t = i / rate
        value = rest
        phase = t - lead
        if phase >= 0:
            k, within = divmod(phase, rep_time + pause)
            if k < reps and within < rep_time:
                value = rest + (peak - rest) * 0.5 * (1 - math.cos(2 * math.pi * within / rep_time))
        samples.append((start + t, value + (rng.gauss(0, noise) if noise else 0.0)))
    return samples


def run(exercise, samples):
    counter = exercise.new_counter()
    events = [e for t, v in samples if (e := counter.update_event(t, v)) is not None]
    return counter, events


def partial_peak(exercise, rest):
    """Past the middle of the hysteresis band, short of the far threshold."""
    near, far = exercise.down_threshold, exercise.up_threshold
    if exercise.baseline:   # distances from the rest level, in the exercise's direction
        sign = 1.0 if exercise.direction == 'up' else -1.0
        near, far = rest + sign * near, rest + sign * far
    elif exercise.direction == 'down':
        near, far = far, near
    return near + 0.8 * (far - near)


@pytest.mark.parametrize('name', sorted(PROFILES))
@pytest.mark.parametrize('seed', range(3))
def test_noisy_repetitions_count_exactly(name, seed):
    exercise = EXERCISES[name]
    rest, peak, noise = PROFILES[name]
    counter, events = run(exercise, movement(rest, peak, 6, noise=noise, seed=seed))
    assert counter.count == 6
    assert [e.number for e in events if isinstance(e, Rep)] == [1, 2, 3, 4, 5, 6]
    assert not any(isinstance(e, (Partial, TooFast)) for e in events)
    for rep in counter.reps:   # the peak is reported in the signal's units and direction
        assert rep.peak == pytest.approx(peak, abs=abs(peak - rest) * 0.25)


@pytest.mark.parametrize('name', sorted(PROFILES))
def test_partials_are_reported_not_counted(name):
    exercise = EXERCISES[name]
    rest, peak, noise = PROFILES[name]
    low = partial_peak(exercise, rest)
    samples = movement(rest, low, 3)
    samples += movement(rest, peak, 1, lead=1.0, start=samples[-1][0] + 0.1)
    counter, events = run(exercise, samples)
    assert [type(e).__name__ for e in events] == ['Partial'] * 3 + ['Rep']
    assert counter.count == 1 and len(counter.partials) == 3
    assert events[0].peak == pytest.approx(low, abs=abs(peak - rest) * 0.1)


@pytest.mark.parametrize('name', sorted(PROFILES))
def test_too_fast_repetitions_are_rejected(name):
    exercise = EXERCISES[name]
    rest, peak, _ = PROFILES[name]
    fast = exercise.min_rep_duration * 0.5
    # A jerk with a plateau so the smoothed signal still reaches the far threshold.
    samples = movement(rest, peak + (peak - rest), 1, rep_time=fast, rate=60.0)
    counter, events = run(exercise, samples)
    assert counter.count == 0
    assert [type(e).__name__ for e in events] == ['TooFast']


@pytest.mark.parametrize('name', sorted(PROFILES))
def test_missing_samples_and_jitter_do_not_change_the_count(name):
    exercise = EXERCISES[name]
    rest, peak, noise = PROFILES[name]
    rng = random.Random(5)
    samples = [(t, None if rng.random() < 0.25 else v)
               for t, v in movement(rest, peak, 4, noise=noise, seed=9)]
    counter, _ = run(exercise, samples)
    assert counter.count == 4
    # Jitter straddling the far threshold for a second counts once.
    far = exercise.up_threshold if exercise.direction == 'up' else exercise.down_threshold
    if exercise.baseline:
        far = rest + exercise.up_threshold * (1.0 if exercise.direction == 'up' else -1.0)
    wobble = abs(exercise.up_threshold - exercise.down_threshold) * 0.2
    samples = movement(rest, rest, 0, lead=2.0)
    samples += [(2.0 + i / 15, far + (wobble if i % 2 else -wobble)) for i in range(15)]
    samples += movement(rest, rest, 0, lead=2.0, start=3.1)
    counter, _ = run(exercise, samples)
    assert counter.count == 1


@pytest.mark.parametrize('name', sorted(PROFILES))
def test_no_count_while_getting_into_position(name):
    exercise = EXERCISES[name]
    rest, peak, _ = PROFILES[name]
    # Starts at the far end (e.g. standing up for a seated exercise) and moves to rest,
    # then at once away again before the ready position was held.
    samples = [(i / 15, peak + (rest - peak) * i / 15) for i in range(16)]
    samples += [(1.0 + 0.1 + exercise.ready_duration * 0.3, peak),
                (1.0 + exercise.ready_duration * 0.6 + 1.2, rest)]
    counter, events = run(exercise, samples)
    assert counter.count == 0 and events == []


# ---- signals from synthetic landmarks (frontal camera) -----------------------------------

def skeleton(points: dict, visibility=0.9):
    """33 landmarks at the image centre except the named ones (pixel positions)."""
    landmarks = [(0.5, 0.5, visibility)] * 33
    for name, (px, py) in points.items():
        landmarks[LANDMARK_INDEX[name]] = (px / WIDTH, py / HEIGHT, visibility)
    return landmarks


def legs(hip_y, knee_y=330.0, ankle_y=420.0, **extra):
    points = {}
    for side, x in (('left', 290.0), ('right', 350.0)):
        points.update({f'{side}_hip': (x, hip_y), f'{side}_knee': (x, knee_y),
                       f'{side}_ankle': (x, ankle_y), f'{side}_shoulder': (x, hip_y - 150.0)})
    points.update(extra)
    return skeleton(points)


def test_sit_to_stand_signal_is_hip_height_in_shoulder_widths():
    ex = EXERCISES['sit_to_stand']   # legs(): shoulders 60 px apart
    assert exercise_signal(ex, legs(hip_y=320.0), WIDTH, HEIGHT) == pytest.approx(10 / 60)
    assert exercise_signal(ex, legs(hip_y=240.0), WIDTH, HEIGHT) == pytest.approx(90 / 60)


def test_standing_march_follows_the_higher_knee():
    ex = EXERCISES['standing_march']
    standing = legs(hip_y=240.0)
    assert exercise_signal(ex, standing, WIDTH, HEIGHT) == pytest.approx(0.0)
    raised = legs(hip_y=240.0)
    raised[LANDMARK_INDEX['right_knee']] = (350 / WIDTH, 255 / HEIGHT, 0.9)
    assert exercise_signal(ex, raised, WIDTH, HEIGHT) == pytest.approx(75 / 60)


def test_heel_raise_signal_is_ear_and_shoulder_height_in_the_image():
    ex = EXERCISES['heel_raise']   # in image heights from the bottom edge (480 px here)
    def standing(rise_px=0.0):
        return skeleton({'left_ear': (300.0, 96.0 - rise_px), 'right_ear': (340.0, 100.0 - rise_px),
                         'left_shoulder': (280.0, 150.0 - rise_px),
                         'right_shoulder': (360.0, 154.0 - rise_px)})
    flat = exercise_signal(ex, standing(), WIDTH, HEIGHT)
    assert flat == pytest.approx(1.0 - 125.0 / 480)
    risen = exercise_signal(ex, standing(rise_px=12.0), WIDTH, HEIGHT)
    assert risen - flat == pytest.approx(12.0 / 480)
    # a side not seen well drops out; the other side alone gives the signal
    one_side = standing()
    one_side[LANDMARK_INDEX['right_ear']] = (340.0 / WIDTH, 100.0 / HEIGHT, 0.2)
    assert exercise_signal(ex, one_side, WIDTH, HEIGHT) == pytest.approx(1.0 - 123.0 / 480)


def test_elbow_flexion_follows_the_wrist_rising_to_the_elbow():
    ex = EXERCISES['elbow_flexion']   # in upper-arm lengths (shoulder → elbow, 90 px here)
    hanging = skeleton({'left_shoulder': (280.0, 150.0), 'left_elbow': (280.0, 240.0),
                        'left_wrist': (280.0, 330.0)})
    hanging[LANDMARK_INDEX['right_shoulder']] = (0.5, 0.5, 0.0)   # right arm not seen
    assert exercise_signal(ex, hanging, WIDTH, HEIGHT) == pytest.approx(-1.0)
    curled = list(hanging)
    curled[LANDMARK_INDEX['left_wrist']] = (280.0 / WIDTH, 231.0 / HEIGHT, 0.9)
    assert exercise_signal(ex, curled, WIDTH, HEIGHT) == pytest.approx(0.1)


def test_unseen_or_degenerate_landmarks_give_none():
    ex = EXERCISES['sit_to_stand']
    lm = legs(hip_y=240.0)
    lm[LANDMARK_INDEX['right_shoulder']] = lm[LANDMARK_INDEX['left_shoulder']]  # no scale
    assert exercise_signal(ex, lm, WIDTH, HEIGHT) is None
    assert exercise_signal(ex, skeleton({}, visibility=0.1), WIDTH, HEIGHT) is None
