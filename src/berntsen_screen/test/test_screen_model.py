"""What the patient's screen shows, from the coach's messages (no ROS, no browser)."""
import pytest

from berntsen_coach.exercises import AngleSide, load_exercises
from berntsen_coach.paths import package_config
from berntsen_screen.demonstration import _angle, _joint, demonstration
from berntsen_screen.labels import LABELS
from berntsen_screen.screen_model import STALE_AFTER, CoachStateView, ScreenModel, skeleton_points

EXERCISES = load_exercises(package_config() / 'exercises.yaml')


def model_in_session(language='nb'):
    model = ScreenModel(EXERCISES)
    model.on_event(0.0, 'session_started', {'language': language, 'patient_id': 'p-1'})
    return model


def test_every_language_has_every_label():
    assert all(set(words) == set(LABELS['nb']) for words in LABELS.values())


def test_a_set_shows_the_exercise_the_count_of_the_target_and_the_set():
    model = model_in_session()
    model.on_coach_state(1.0, CoachStateView('exercise', 'seated_arm_raise', 3, 5, 1, 2))
    shown = model.snapshot(1.5)
    assert shown['heading'] == 'Armløft'
    assert shown['count_text'] == '3 av 5' and shown['set_text'] == 'Sett 1 av 2'
    assert shown['connected'] and shown['session_live'] and not shown['paused']
    assert shown['demo']['exercise'] == 'seated_arm_raise'


def test_english_session_speaks_english_and_unknown_language_falls_back_to_norwegian():
    model = model_in_session('en')
    model.on_coach_state(1.0, CoachStateView('exercise', 'seated_arm_raise', 2, 5, 1, 2))
    assert model.snapshot(1.0)['count_text'] == '2 of 5'
    assert model.snapshot(1.0)['heading'] == 'Arm raises'
    model.on_event(2.0, 'session_started', {'language': 'xx'})
    assert model.snapshot(2.0)['labels'] == LABELS['nb']


def test_a_rest_counts_down_shows_the_set_just_done_and_ends_with_the_next_set():
    model = model_in_session()
    model.on_coach_state(9.0, CoachStateView('exercise', 'seated_arm_raise', 4, 5, 1, 2))
    # the last count and the end of the set reach the coach's state in one tick: the
    # repetition event brings the count
    model.on_event(10.0, 'repetition', {'exercise': 'seated_arm_raise', 'set': 1, 'number': 5})
    assert model.snapshot(10.0)['count_text'] == '5 av 5'
    model.on_coach_state(10.0, CoachStateView('rest', '', 0, 0, 2, 2))
    model.on_event(10.0, 'rest_started', {'seconds': 30})
    shown = model.snapshot(14.0)
    assert shown['rest_remaining'] == pytest.approx(26.0)
    assert (shown['count_text'], shown['set_text']) == ('5 av 5', 'Sett 1 av 2')
    assert not shown['counting'] and shown['demo'] is None
    assert model.snapshot(100.0)['rest_remaining'] == 0.0
    model.on_coach_state(40.0, CoachStateView('exercise', 'seated_arm_raise', 0, 5, 2, 2))
    shown = model.snapshot(41.0)
    assert shown['rest_remaining'] is None
    assert (shown['count_text'], shown['set_text']) == ('0 av 5', 'Sett 2 av 2')


def test_captions_follow_what_is_said_and_stay_after_it():
    model = model_in_session()
    model.on_speech(True, 'God morgen, Kari!')
    assert model.snapshot(0.0)['caption'] == 'God morgen, Kari!' and model.speaking
    model.on_speech(False, '')
    shown = model.snapshot(0.0)
    assert shown['caption'] == 'God morgen, Kari!' and not shown['speaking']
    for text in ('en', 'to', 'tre', 'fire'):
        model.on_speech(True, text)
    assert model.snapshot(0.0)['captions'] == ['to', 'tre', 'fire']


def test_pause_and_help_change_the_heading_and_a_new_session_clears_them():
    model = model_in_session()
    model.on_coach_state(1.0, CoachStateView('exercise', 'seated_arm_raise', 1, 5, 1, 1))
    model.on_event(2.0, 'paused', {'step': 'exercise'})
    assert model.snapshot(2.0)['heading'] == 'Pause' and model.snapshot(2.0)['paused']
    model.on_event(3.0, 'resumed', {'step': 'exercise'})
    assert model.snapshot(3.0)['heading'] == 'Armløft'
    model.on_alert('help_requested', True)
    assert model.snapshot(3.0)['heading'] == 'Hjelpen er på vei'
    assert model.snapshot(3.0)['help_called']
    model.on_event(9.0, 'session_started', {'language': 'nb'})
    assert not model.snapshot(9.0)['help_called']


def test_the_summary_names_the_exercises_done():
    model = model_in_session()
    model.on_event(5.0, 'session_completed', {'repetitions': {'seated_arm_raise': 10,
                                                             'mini_squat': 5}, 'measures': {}})
    model.on_coach_state(5.0, CoachStateView('summary'))
    assert model.snapshot(5.0)['summary'] == [['Armløft', 10], ['Knebøy', 5]]
    assert model.snapshot(5.0)['count'] is None


def test_the_robot_is_not_connected_before_the_coach_is_heard_and_when_it_goes_quiet():
    model = ScreenModel(EXERCISES)
    assert not model.snapshot(0.0)['connected']
    assert model.snapshot(0.0)['heading'] == LABELS['nb']['waiting']
    model.on_coach_state(1.0, CoachStateView('greet'))
    assert model.snapshot(1.0 + STALE_AFTER)['connected']
    assert not model.snapshot(1.1 + STALE_AFTER)['connected']


def test_malformed_event_details_change_nothing():
    model = model_in_session()
    model.on_event(1.0, 'rest_started', {'seconds': 'thirty'})
    model.on_event(1.0, 'session_completed', {'repetitions': ['not', 'a', 'mapping']})
    model.on_event(1.0, 'session_started', {'language': 42})
    shown = model.snapshot(1.0)
    assert shown['rest_remaining'] is None and shown['language'] == 'nb'


def test_skeleton_points_leave_out_what_is_not_seen():
    points = skeleton_points([(0.5, 0.25, 0.9), (0.1, 0.2, 0.1)])
    assert points == [[0.5, 0.25], None]


@pytest.mark.parametrize('name', sorted(EXERCISES))
def test_the_demonstration_moves_through_the_exercise_definition(name):
    exercise = EXERCISES[name]
    demo = demonstration(exercise)
    assert demo is not None and demo['exercise'] == name
    assert demo['rest'].keys() == demo['goal'].keys() and demo['rest'] != demo['goal']
    assert demo['alternate'] == exercise.per_side
    if exercise.signal_kind == 'angle':   # the figure's angle is the definition's
        for side in exercise.sides:
            assert isinstance(side, AngleSide)
            a, b, c = (('head' if j == 'head' else f'{s}_{j}')
                       for s, j in (_joint(i) for i in side.landmarks))
            for pose, degrees in ((demo['rest'], exercise.rest), (demo['goal'], exercise.goal)):
                assert _angle(pose[a], pose[b], pose[c]) == pytest.approx(degrees, abs=1.0)
    if exercise.ready_posture == 'lying':   # nothing goes through the mattress
        assert all(y > -0.05 for pose in (demo['rest'], demo['goal']) for _, y in pose.values())
