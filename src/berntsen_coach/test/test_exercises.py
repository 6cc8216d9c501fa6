from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from berntsen_coach.exercises import (LANDMARK_NAMES, ExerciseFileError, exercise_signal,
                                      image_height_of, load_exercises)
from coach_synthetic import HEIGHT, WIDTH, arm_skeleton

SHIPPED = Path(__file__).resolve().parent.parent / 'config' / 'exercises.yaml'


@pytest.fixture
def arm_raise():
    return load_exercises(SHIPPED)['arm_raise']


def test_shipped_file_defines_arm_raise(arm_raise):
    assert arm_raise.up_threshold == 110.0
    assert arm_raise.down_threshold == 50.0
    assert arm_raise.min_rep_duration == 0.8
    assert 0 < arm_raise.min_visibility < 1
    assert [s.name for s in arm_raise.sides] == ['left', 'right']
    assert [LANDMARK_NAMES[i] for i in arm_raise.sides[0].landmarks] == [
        'left_hip', 'left_shoulder', 'left_elbow']


@pytest.mark.parametrize('angle', [15.0, 50.0, 90.0, 110.0, 160.0])
def test_signal_is_the_shoulder_abduction_angle(arm_raise, angle):
    assert exercise_signal(arm_raise, arm_skeleton(angle), WIDTH, HEIGHT) == pytest.approx(angle)


def test_signal_averages_sides_and_falls_back_to_the_visible_one(arm_raise):
    both = arm_skeleton(100.0, right_angle_deg=140.0)
    assert exercise_signal(arm_raise, both, WIDTH, HEIGHT) == pytest.approx(120.0)
    right_hidden = arm_skeleton(100.0, right_angle_deg=140.0, right_visibility=0.1)
    assert exercise_signal(arm_raise, right_hidden, WIDTH, HEIGHT) == pytest.approx(100.0)
    assert exercise_signal(arm_raise, arm_skeleton(100.0, visibility=0.2), WIDTH, HEIGHT) is None


def test_signal_skips_a_degenerate_side(arm_raise):
    landmarks = arm_skeleton(90.0)
    landmarks[13] = landmarks[11]   # left elbow on the left shoulder: no angle
    assert exercise_signal(arm_raise, landmarks, WIDTH, HEIGHT) == pytest.approx(90.0)


def test_signal_rejects_a_short_landmark_list(arm_raise):
    with pytest.raises(ValueError, match='landmark'):
        exercise_signal(arm_raise, arm_skeleton(90.0)[:20], WIDTH, HEIGHT)


def _write(tmp_path, data):
    path = tmp_path / 'exercises.yaml'
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data))
    return path


def _valid():
    return yaml.safe_load(SHIPPED.read_text())


@pytest.mark.parametrize('mutate,field,problem', [
    (lambda d: d['exercises']['arm_raise'].pop('up_threshold'), 'arm_raise.up_threshold', 'missing'),
    (lambda d: d['exercises']['arm_raise'].update(down_threshold='low'),
     'arm_raise.down_threshold', 'expected a number'),
    (lambda d: d['exercises']['arm_raise'].update(min_visibility=1.5),
     'arm_raise.min_visibility', 'outside'),
    (lambda d: d['exercises']['arm_raise'].update(down_threshold=120.0),
     'arm_raise.down_threshold', 'must be below up_threshold'),
    (lambda d: d['exercises']['arm_raise'].update(speed=3), 'arm_raise.speed', 'unknown field'),
    (lambda d: d['exercises']['arm_raise']['signal']['sides'].update(left=['left_hip', 'left_knuckle', 'left_elbow']),
     'arm_raise.signal.sides.left', "unknown landmark 'left_knuckle'"),
    (lambda d: d['exercises']['arm_raise']['signal']['sides'].update(right=['right_hip']),
     'arm_raise.signal.sides.right', 'list of 3'),
    (lambda d: d['exercises']['arm_raise'].pop('signal'), 'arm_raise.signal', 'missing'),
    (lambda d: d.update(exercises=[]), 'exercises', 'non-empty mapping'),
    (lambda d: d.update(exercises={'arm_raise': 5}), 'exercises.arm_raise', 'expected a mapping'),
])
def test_invalid_file_names_file_field_and_problem(tmp_path, mutate, field, problem):
    data = _valid()
    mutate(data)
    path = _write(tmp_path, data)
    with pytest.raises(ExerciseFileError) as info:
        load_exercises(path)
    message = str(info.value)
    assert str(path) in message and field in message and problem in message


def test_unreadable_and_malformed_files(tmp_path):
    with pytest.raises(ExerciseFileError, match='cannot read'):
        load_exercises(tmp_path / 'absent.yaml')
    with pytest.raises(ExerciseFileError, match='not valid YAML'):
        load_exercises(_write(tmp_path, 'exercises: [unclosed'))
    with pytest.raises(ExerciseFileError, match="key 'exercises'"):
        load_exercises(_write(tmp_path, 'just text'))
    assert issubclass(ExerciseFileError, ValueError)


@pytest.mark.parametrize('mutate,field,problem', [
    (lambda d: d['exercises']['mini_squat'].update(direction='sideways'),
     'mini_squat.direction', "'sideways' is not one of up, down"),
    (lambda d: d['exercises']['mini_squat'].update(ready_posture='kneeling'),
     'mini_squat.ready_posture', 'not one of'),
    (lambda d: d['exercises']['heel_raise']['signal'].update(kind='speed'),
     'heel_raise.signal.kind', "'speed' is not one of"),
    (lambda d: d['exercises']['elbow_flexion']['signal']['sides']['left'].pop('scale'),
     'elbow_flexion.signal.sides.left', 'point, reference and scale'),
    (lambda d: d['exercises']['heel_raise'].update(baseline=False),
     'heel_raise.baseline', 'needs baseline: true'),
    (lambda d: d['exercises']['heel_raise']['signal']['sides'].update(left='left_ear'),
     'heel_raise.signal.sides.left', 'list of landmark names'),
    (lambda d: d['exercises']['heel_raise']['signal']['sides'].update(left=[]),
     'heel_raise.signal.sides.left', 'list of landmark names'),
    (lambda d: d['exercises']['heel_raise']['signal']['sides'].update(left=['nose', 'nose']),
     'heel_raise.signal.sides.left', 'must differ'),
    (lambda d: d['exercises']['heel_raise']['signal']['sides'].update(left=['left_toe']),
     'heel_raise.signal.sides.left', "unknown landmark 'left_toe'"),
    (lambda d: d['exercises']['heel_raise']['signal'].update(use_z=True),
     'heel_raise.signal.use_z', 'only joint angles'),
    (lambda d: d['exercises']['standing_march'].update(up_threshold=7.0),
     'standing_march.up_threshold', 'outside'),
    (lambda d: d['exercises']['elbow_flexion']['intro'].pop('en'),
     'elbow_flexion.intro.en', 'missing'),
    (lambda d: d['exercises']['elbow_flexion']['cues'].update(wobble={'nb': 'x', 'en': 'y'}),
     'elbow_flexion.cues.wobble', 'unknown cue kind'),
    (lambda d: d['exercises']['seated_arm_raise']['cues']['peak_below'].pop('threshold'),
     # arm_raise shares seated_arm_raise's cues (a YAML merge), so either may be named
     'arm_raise.cues.peak_below', 'threshold and cue'),
])
def test_invalid_new_fields_name_file_field_and_problem(tmp_path, mutate, field, problem):
    data = _valid()
    mutate(data)
    path = _write(tmp_path, data)
    with pytest.raises(ExerciseFileError) as info:
        load_exercises(path)
    message = str(info.value)
    assert str(path) in message and field in message and problem in message


def test_shipped_exercises_and_their_cues():
    exercises = load_exercises(SHIPPED)
    seated = exercises['seated_arm_raise']
    arm_raise = exercises['arm_raise']
    assert arm_raise.sides == seated.sides and arm_raise.ready_posture == 'any'
    assert seated.ready_posture == 'sitting'
    assert exercises['mini_squat'].direction == 'down' and exercises['mini_squat'].baseline
    assert exercises['heel_raise'].baseline and exercises['heel_raise'].smoothing > 0
    assert exercises['standing_march'].combine == 'max'
    from berntsen_coach.rep_counter import Partial, Rep
    assert seated.cue_for(Rep(1, 0.0, 2.0, 120.0)).text['en'] == 'Raise your arms a little higher.'
    assert seated.cue_for(Rep(1, 0.0, 2.0, 150.0)) is None
    assert seated.cue_for(Partial(0.0, 2.0, 95.0)).kind == 'partial'
    assert exercises['elbow_flexion'].cue_for(Partial(0.0, 2.0, -0.3)).kind == 'partial'
    counter = exercises['mini_squat'].new_counter()
    assert counter.direction == 'down' and counter.up_threshold == 0.33


def test_image_height_is_the_mean_height_from_the_bottom_edge():
    assert image_height_of([(0.2, 0.25, 0.9), (0.8, 0.35, 0.9)]) == pytest.approx(0.7)
    assert image_height_of([(0.5, 1.1, 0.9)]) == pytest.approx(-0.1)   # below the image
    with pytest.raises(ValueError, match='at least one'):
        image_height_of([])
    with pytest.raises(ValueError, match='not finite'):
        image_height_of([(0.5, float('nan'), 0.9)])


def test_an_image_height_signal_skips_non_finite_sides_and_needs_a_baseline():
    heel_raise = load_exercises(SHIPPED)['heel_raise']
    assert heel_raise.signal_kind == 'image_height'
    landmarks = [(0.5, 0.5, 0.9)] * 33
    landmarks[LANDMARK_NAMES.index('left_ear')] = (0.45, float('nan'), 0.9)
    assert exercise_signal(heel_raise, landmarks, WIDTH, HEIGHT) == pytest.approx(0.5)
    with pytest.raises(ValueError, match='needs baseline: true'):
        replace(heel_raise, baseline=False)
