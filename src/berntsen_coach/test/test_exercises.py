"""The exercise file: validation with file and field named, prescribed goals, and the
signal each side gives on a synthetic 3D body (body3d.py)."""
import copy
from pathlib import Path

import numpy as np
import pytest
import yaml

from berntsen_coach.exercises import (LANDMARK_INDEX, LANDMARK_NAMES, BodyFrame, ExerciseFileError,
                                      combine, exercise_signal, load_exercises, parse_exercises,
                                      side_signals)
from berntsen_coach.phrases import LANGUAGES
from berntsen_coach.rep_counter import Partial, Rep, TooFast
from body3d import HEIGHT, WIDTH, Camera, body_points, view

SHIPPED = Path(__file__).resolve().parent.parent / 'config' / 'exercises.yaml'
EXERCISES = load_exercises(SHIPPED)
CAMERAS = [Camera(0, 0, 2.5), Camera(90, 10, 1.8), Camera(-60, -10, 3.5), Camera(30, 20, 2.0)]


def frame(pose, camera=Camera(), posture='standing', scale=1.0):
    return view(body_points(pose, posture, scale), camera)


# ---- the shipped file ------------------------------------------------------------------------

def test_shipped_file_loads():
    assert len(EXERCISES) >= 11
    assert sum(ex.ready_posture == 'lying' for ex in EXERCISES.values()) >= 3
    assert {'arm_raise', 'seated_arm_raise', 'sit_to_stand', 'heel_raise', 'standing_march',
            'elbow_flexion', 'lying_arm_raise', 'heel_slide'} <= set(EXERCISES)
    for name, ex in EXERCISES.items():
        assert ex.name == name and ex.sides and ex.rest != ex.goal
        assert set(ex.intro) == set(LANGUAGES) and set(ex.spoken) == set(LANGUAGES)
        assert all(set(cue.text) == set(LANGUAGES) for cue in ex.cues)
        assert not ex.per_side or len(ex.sides) >= 2
        settings = ex.counter_settings()
        assert settings.rest == ex.rest and settings.goal == ex.goal and settings.learn_goal


def test_arm_raise_reads_as_written():
    ex = EXERCISES['arm_raise']
    assert (ex.signal_kind, ex.rest, ex.goal, ex.unit) == ('angle', 20.0, 110.0, 'degrees')
    assert [LANDMARK_NAMES[i] for i in ex.sides[0].landmarks] == ['left_hip', 'left_shoulder', 'left_elbow']
    assert EXERCISES['seated_arm_raise'].ready_posture == 'sitting' and ex.ready_posture == 'any'
    heel = EXERCISES['heel_raise']
    assert heel.relative and heel.unit == 'image heights' and heel.counter_settings().relative
    assert EXERCISES['standing_march'].per_side and EXERCISES['standing_march'].goal < 175


# ---- validation ---------------------------------------------------------------------------

def _data():
    return yaml.safe_load(SHIPPED.read_text(encoding='utf-8'))


def _arm(d):
    return d['exercises']['lying_arm_raise']


def _set_sides(sides):
    def mutate(d):
        _arm(d)['signal']['sides'] = sides
    return mutate


INVALID = [
    (lambda d: _arm(d)['signal'].update(kind='distance'), 'lying_arm_raise.signal.kind', "'distance'"),
    (lambda d: _arm(d).update(goal=90), 'lying_arm_raise.goal', 'must differ from rest'),
    (lambda d: _arm(d).update(per_side=True, signal=dict(_arm(d)['signal'], sides={
        'left': ['left_hip', 'left_shoulder', 'left_elbow']})), 'lying_arm_raise.per_side', 'two sides'),
    (lambda d: _arm(d)['signal']['sides'].update(left=['left_hip', 'left_knuckle', 'left_elbow']),
     'lying_arm_raise.signal.sides.left', "unknown landmark 'left_knuckle'"),
    (lambda d: _arm(d)['signal']['sides'].update(right=['right_hip']),
     'lying_arm_raise.signal.sides.right', 'list of 3'),
    (lambda d: _arm(d)['cues'].update(shout={'nb': 'Hei', 'en': 'Hey'}),
     'lying_arm_raise.cues.shout', 'unknown cue kind'),
    (lambda d: _arm(d)['intro'].pop('nb'), 'lying_arm_raise.intro.nb', 'missing'),
    (lambda d: _arm(d)['cues']['partial'].pop('en'), 'lying_arm_raise.cues.partial.en', 'missing'),
    (lambda d: _arm(d)['spoken'].update(de='Armheben'), 'lying_arm_raise.spoken.de', 'unknown language'),
    (lambda d: _arm(d).pop('min_rep_duration'), 'lying_arm_raise.min_rep_duration', 'missing'),
    (lambda d: _arm(d).update(min_visibility=1.5), 'lying_arm_raise.min_visibility', 'outside'),
    (lambda d: _arm(d).update(count_at='high'), 'lying_arm_raise.count_at', 'expected a number'),
    (lambda d: _arm(d).update(goal=200), 'lying_arm_raise.goal', 'outside 0.0..180.0'),
    (lambda d: _arm(d).update(ready_posture='kneeling'), 'lying_arm_raise.ready_posture', 'kneeling'),
    (lambda d: _arm(d).update(per_side='yes'), 'lying_arm_raise.per_side', 'true or false'),
    (lambda d: _arm(d).update(speed=3), 'lying_arm_raise.speed', 'unknown field'),
    (lambda d: _arm(d)['signal'].update(combine='median'), 'lying_arm_raise.signal.combine', 'median'),
    (lambda d: _arm(d).pop('signal'), 'lying_arm_raise.signal', 'missing'),
    (lambda d: d['exercises']['heel_raise']['signal']['sides'].update(left=['left_ear', 'left_ear']),
     'heel_raise.signal.sides.left', 'must differ'),
    (lambda d: d.update(exercises=[]), 'exercises', 'non-empty mapping'),
    (lambda d: d.update(exercises={'arm_raise': 5}), 'exercises.arm_raise', 'expected a mapping'),
    (lambda d: d.pop('exercises'), 'top level', "'exercises'"),
]


@pytest.mark.parametrize('mutate,field,problem', INVALID, ids=[f for _, f, _ in INVALID])
def test_invalid_file_names_file_and_field(tmp_path, mutate, field, problem):
    data = _data()
    mutate(data)
    path = tmp_path / 'bad_exercises.yaml'
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding='utf-8')
    with pytest.raises(ExerciseFileError) as info:
        load_exercises(path)
    message = str(info.value)
    assert message.startswith(f'{path}: ') and field in message and problem in message


def test_unreadable_and_malformed_files(tmp_path):
    with pytest.raises(ExerciseFileError, match='missing.yaml: cannot read'):
        load_exercises(tmp_path / 'missing.yaml')
    broken = tmp_path / 'broken.yaml'
    broken.write_text('exercises: [unclosed', encoding='utf-8')
    with pytest.raises(ExerciseFileError, match='broken.yaml: not valid YAML'):
        load_exercises(broken)


def test_parse_names_the_source():
    with pytest.raises(ExerciseFileError, match='^programme.yaml: top level'):
        parse_exercises([], source='programme.yaml')


# ---- prescribed goals ----------------------------------------------------------------------

@pytest.mark.parametrize('name,goal', [('arm_raise', 90.0), ('arm_raise', 170.0),
                                       ('elbow_flexion', 100.0), ('seated_knee_extension', 170.0),
                                       ('lying_arm_raise', 180.0)])
def test_plausible_goals_are_accepted(name, goal):
    ex = EXERCISES[name]
    ex.check_goal(goal)
    settings = ex.counter_settings(goal)
    assert settings.goal == goal and not settings.learn_goal and settings.rest == ex.rest


@pytest.mark.parametrize('name,goal,problem', [
    ('arm_raise', 10.0, 'too close'),         # below the rest: the wrong way
    ('arm_raise', 35.0, 'too close'),         # less than a quarter of the typical range
    ('arm_raise', 190.0, 'outside 0..180'),
    ('elbow_flexion', 170.0, 'too close'),    # a curl goes down: 170 is the wrong side
    ('elbow_flexion', -5.0, 'outside'),
    ('standing_march', 180.0, 'too close'),
])
def test_implausible_goals_are_rejected(name, goal, problem):
    with pytest.raises(ValueError, match=problem):
        EXERCISES[name].check_goal(goal)


def test_wrong_side_message_says_which_way():
    with pytest.raises(ValueError, match='must go below'):
        EXERCISES['elbow_flexion'].check_goal(150.0)
    with pytest.raises(ValueError, match='must go above'):
        EXERCISES['arm_raise'].check_goal(30.0)


def test_image_height_exercises_take_no_prescription():
    with pytest.raises(ValueError, match='no prescribable goal'):
        EXERCISES['heel_raise'].check_goal(0.03)


# ---- signals on a synthetic body ------------------------------------------------------------

@pytest.mark.parametrize('camera', CAMERAS, ids=str)
@pytest.mark.parametrize('scale', [0.85, 1.15])
def test_angles_do_not_depend_on_the_camera_or_body_size(camera, scale):
    pose = {'left_shoulder_abduction': 90, 'right_shoulder_abduction': 40,
            'elbow_flexion': 60, 'left_knee_flexion': 30, 'left_hip_abduction': 20}
    f = frame(pose, camera, scale=scale)
    reference = frame(pose)
    for name in ('arm_raise', 'elbow_flexion', 'seated_knee_extension', 'standing_hip_abduction',
                 'standing_march'):
        assert side_signals(EXERCISES[name], f) == pytest.approx(side_signals(EXERCISES[name], reference))
    arms = side_signals(EXERCISES['arm_raise'], f)
    assert arms['left'] > arms['right'] + 45
    assert side_signals(EXERCISES['elbow_flexion'], f)['left'] == pytest.approx(120.0)
    assert side_signals(EXERCISES['seated_knee_extension'], f) == pytest.approx(
        {'left': 150.0, 'right': 180.0})
    assert side_signals(EXERCISES['standing_hip_abduction'], f)['left'] == pytest.approx(110.0)


def test_combine_modes():
    ex = EXERCISES['arm_raise']
    values = {'left': 100.0, 'right': 40.0}
    assert combine(ex, values) == 70.0
    assert combine(ex.__class__(**{**ex.__dict__, 'combine': 'max'}), values) == 100.0
    assert combine(ex.__class__(**{**ex.__dict__, 'combine': 'min'}), values) == 40.0
    assert combine(ex, {'left': None, 'right': 40.0}) == 40.0
    assert combine(ex, {'left': None, 'right': None}) is None


def _with_visibility(f, indices, visibility):
    image = f.image.copy()
    image[list(indices), 3] = visibility
    return BodyFrame(image, f.world, f.image_width, f.image_height)


def test_a_3d_side_needs_its_landmarks_seen_on_average():
    ex = EXERCISES['arm_raise']
    f = frame({'shoulder_abduction': 90})
    elbow = LANDMARK_INDEX['left_elbow']
    # one landmark out of view is fine (BlazePose estimates it), two are not
    assert side_signals(ex, _with_visibility(f, [elbow], 0.1))['left'] is not None
    hidden = _with_visibility(f, [elbow, LANDMARK_INDEX['left_hip']], 0.1)
    assert side_signals(ex, hidden) == {'left': None, 'right': pytest.approx(100.2, abs=0.5)}
    assert exercise_signal(ex, hidden) == pytest.approx(100.2, abs=0.5)
    assert side_signals(ex, _with_visibility(f, [elbow], float('nan')))['left'] is None


def test_image_heights_need_every_landmark_seen():
    ex = EXERCISES['heel_raise']
    f = frame({})
    assert all(v is not None for v in side_signals(ex, f).values())
    ear = LANDMARK_INDEX['left_ear']
    assert side_signals(ex, _with_visibility(f, [ear], 0.4))['left'] is None
    shoulders = f.image[[LANDMARK_INDEX['right_ear'], LANDMARK_INDEX['right_shoulder']], 1]
    assert side_signals(ex, f)['right'] == pytest.approx(1 - shoulders.mean())


def test_a_head_height_above_the_feet_needs_the_head_and_a_foot():
    ex = EXERCISES['mini_squat']
    f = frame({})
    nose, left, right = (LANDMARK_INDEX[n] for n in ('nose', 'left_ankle', 'right_ankle'))
    both = side_signals(ex, f)['both']
    assert both == pytest.approx(f.image[[left, right], 1].mean() - f.image[nose, 1])
    # seen from the side one ankle hides the other: the one seen serves
    one = side_signals(ex, _with_visibility(f, [right], 0.2))['both']
    assert one == pytest.approx(f.image[left, 1] - f.image[nose, 1])
    # both hidden: the likelier one still serves, unless BlazePose doubts both
    hidden = _with_visibility(_with_visibility(f, [left], 0.3), [right], 0.2)
    assert side_signals(ex, hidden)['both'] == pytest.approx(f.image[left, 1] - f.image[nose, 1])
    assert side_signals(ex, _with_visibility(f, [left, right], 0.05))['both'] is None
    assert side_signals(ex, _with_visibility(f, [nose], 0.2))['both'] is None


def test_without_world_landmarks_only_image_signals_are_measured():
    f = frame({'shoulder_abduction': 90})
    bare = BodyFrame(f.image, None, WIDTH, HEIGHT)
    assert side_signals(EXERCISES['arm_raise'], bare) == {'left': None, 'right': None}
    assert exercise_signal(EXERCISES['arm_raise'], bare) is None
    assert exercise_signal(EXERCISES['heel_raise'], bare) == exercise_signal(EXERCISES['heel_raise'], f)


def test_a_degenerate_side_gives_no_signal():
    f = frame({'shoulder_abduction': 90})
    world = f.world.copy()
    world[LANDMARK_INDEX['left_elbow']] = world[LANDMARK_INDEX['left_shoulder']]
    values = side_signals(EXERCISES['arm_raise'], BodyFrame(f.image, world, WIDTH, HEIGHT))
    assert values['left'] is None and values['right'] is not None


def test_heel_raise_sees_the_rise_in_the_image():
    ex = EXERCISES['heel_raise']
    camera = Camera(0, 0, 2.1)
    rise = exercise_signal(ex, frame({'rise': 0.05}, camera)) - exercise_signal(ex, frame({}, camera))
    assert rise == pytest.approx(0.025, abs=0.004)


HEIGHT_YAML = """
exercises:
  wrist_lift:
    description: Lift the wrists to shoulder height.
    signal:
      kind: height
      name: wrist height
      sides:
        left: {point: left_wrist, reference: left_shoulder,
               axis: [[left_hip, right_hip], [left_shoulder, right_shoulder]],
               scale: [left_shoulder, left_elbow]}
        right: {point: right_wrist, reference: right_shoulder,
                axis: [[left_hip, right_hip], [left_shoulder, right_shoulder]],
                scale: [right_shoulder, right_elbow]}
    rest: -1.8
    goal: 0.0
    min_rep_duration: 0.8
    ready_duration: 0.25
    min_visibility: 0.5
"""


@pytest.mark.parametrize('posture', ['standing', 'lying'])
def test_height_along_the_body_axis(tmp_path, posture):
    path = tmp_path / 'height.yaml'
    path.write_text(HEIGHT_YAML, encoding='utf-8')
    ex = load_exercises(path)['wrist_lift']
    assert ex.unit == 'segment lengths' and ex.sides[0].landmarks == (
        LANDMARK_INDEX['left_wrist'], LANDMARK_INDEX['left_shoulder'])
    for camera in CAMERAS:
        for scale in (0.85, 1.15):
            down = side_signals(ex, frame({}, camera, posture, scale))
            out = side_signals(ex, frame({'shoulder_abduction': 90}, camera, posture, scale))
            assert down['left'] == pytest.approx(-(0.29 + 0.26) / 0.29 * 0.995, abs=0.02)
            assert out['left'] == pytest.approx(0.0, abs=0.01)


def test_height_sides_need_point_reference_axis_and_scale(tmp_path):
    data = yaml.safe_load(HEIGHT_YAML)
    del data['exercises']['wrist_lift']['signal']['sides']['left']['scale']
    with pytest.raises(ExerciseFileError, match='wrist_lift.signal.sides.left: expected a mapping'):
        parse_exercises(copy.deepcopy(data), source='h.yaml')


# ---- cues and frames -------------------------------------------------------------------------

def test_cue_for_each_event():
    ex = EXERCISES['arm_raise']
    assert ex.cue_for(Rep(1, 0.0, 2.0, 85.0, progress=0.75)).kind == 'below_goal'
    assert ex.cue_for(Rep(1, 0.0, 2.0, 100.0, progress=0.9)) is None   # her usual reach
    assert ex.cue_for(Rep(1, 0.0, 2.0, 120.0, progress=1.1)) is None
    assert ex.cue_for(Partial(0.0, 2.0, 70.0, progress=0.55)).kind == 'partial'
    assert ex.cue_for(TooFast(0.0, 0.3, 140.0)).kind == 'too_fast'
    assert EXERCISES['standing_march'].cue_for(TooFast(0.0, 0.3, 100.0)) is None


def test_body_frame_validation():
    image, world = np.zeros((33, 4)), np.zeros((33, 4))
    assert BodyFrame.from_arrays(image, None, 640, 480).world is None
    with pytest.raises(ValueError, match='image landmarks'):
        BodyFrame.from_arrays(np.zeros((20, 4)), world, 640, 480)
    with pytest.raises(ValueError, match='world landmarks'):
        BodyFrame.from_arrays(image, np.zeros((33, 3)), 640, 480)
    with pytest.raises(ValueError, match='image size'):
        BodyFrame.from_arrays(image, world, 0, 480)
