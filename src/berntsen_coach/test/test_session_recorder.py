"""Routine events become session, set and repetition rows."""
from berntsen_coach.programme import ExerciseItem, Programme
from berntsen_coach.routine import Event
from berntsen_coach.session_log import SessionLog
from berntsen_coach.session_recorder import SessionRecorder

ITEM = ExerciseItem(exercise='arm_raise', sets=1, repetitions=3, rest_seconds=0)
PROGRAMME = Programme(patient_name='Kari', patient_id='p-0042', language='nb', items=(ITEM,))


def record(tmp_path, events, final_step):
    log = SessionLog(tmp_path / 'log.sqlite3')
    recorder = SessionRecorder(log, PROGRAMME, None, 'morning')
    recorder.begin(100.0)
    for t, event in events:
        recorder.record(t, event, item=ITEM)
    recorder.end(200.0, final_step)
    return log


def rep(t, number):
    return t, Event('repetition', {'exercise': 'arm_raise', 'set': 0, 'number': number,
                                   'start': t - 2, 'end': t, 'peak': 150.0})


def test_a_completed_set_with_a_partial_attempt(tmp_path):
    log = record(tmp_path, [
        (110.0, Event('set_started', {'exercise': 'arm_raise', 'set': 0})),
        rep(113.0, 1),
        (116.0, Event('partial_repetition', {'exercise': 'arm_raise', 'set': 0,
                                             'start': 114.0, 'end': 116.0, 'peak': 95.0})),
        rep(119.0, 2), rep(122.0, 3),
        (122.5, Event('set_completed', {'exercise': 'arm_raise', 'set': 0, 'count': 3,
                                        'target': 3})),
    ], 'done')
    [session] = log.list_sessions('p-0042')
    assert session.outcome == 'completed'
    [progress] = log.patient_progress('p-0042')
    [arm] = progress.exercises
    assert (arm.counted_reps, arm.target_reps, arm.partial_reps) == (3, 3, 1)
    kinds = [kind for _, kind, _ in log.events(session.id)]
    assert kinds == ['planned', 'set_started', 'repetition', 'partial_repetition', 'repetition',
                     'repetition', 'set_completed']


def test_a_fall_ends_the_session_as_a_fall_alert_and_closes_the_open_set(tmp_path):
    log = record(tmp_path, [
        (110.0, Event('set_started', {'exercise': 'arm_raise', 'set': 0})),
        rep(113.0, 1),
        (115.0, Event('fall_suspected', {'step': 'exercise'})),
    ], 'stopped')
    [session] = log.list_sessions('p-0042')
    assert session.outcome == 'fall_alert'
    [arm] = log.patient_progress('p-0042')[0].exercises
    assert arm.counted_reps == 1


def test_a_restarted_set_is_a_new_set(tmp_path):
    log = record(tmp_path, [
        (110.0, Event('set_started', {'exercise': 'arm_raise', 'set': 0})),
        rep(113.0, 1),
        (114.0, Event('set_interrupted', {'exercise': 'arm_raise', 'set': 0})),
        (130.0, Event('set_started', {'exercise': 'arm_raise', 'set': 0})),
        rep(133.0, 1),
    ], 'no_response')
    [arm] = log.patient_progress('p-0042')[0].exercises
    assert arm.sets == 2 and arm.counted_reps == 2
    assert log.list_sessions('p-0042')[0].outcome == 'no_response'


def test_times_on_a_simulated_clock_are_kept_as_unix_times(tmp_path):
    log = SessionLog(tmp_path / 'sessions.sqlite3')
    offset = 1_800_000_000.0
    recorder = SessionRecorder(log, PROGRAMME, None, 'morning', clock_offset=offset)
    recorder.begin(2.0)
    item = PROGRAMME.items[0]
    recorder.record(3.0, Event('set_started', {'exercise': item.exercise, 'set': 1}), item=item)
    recorder.record(5.0, Event('repetition', {'exercise': item.exercise, 'set': 1, 'number': 1,
                                              'start': 3.5, 'end': 4.9, 'peak': 1.0}), item=item)
    recorder.end(6.0, 'stopped')
    (session,) = log.list_sessions()
    assert (session.started, session.ended) == (offset + 2.0, offset + 6.0)
    events = log.events(session.id)
    repetition = next(detail for _, kind, detail in events if kind == 'repetition')
    assert (repetition['start'], repetition['end']) == (offset + 3.5, offset + 4.9)
    log.close()


def test_a_new_session_closes_the_one_a_crash_left_open_and_says_so(tmp_path):
    log = SessionLog(tmp_path / 'log.sqlite3')
    crashed = SessionRecorder(log, PROGRAMME, None, 'morning')
    crashed.begin(100.0)
    crashed.record(110.0, Event('set_started', {'exercise': 'arm_raise', 'set': 0}), item=ITEM)
    crashed.record(*rep(113.0, 1), item=ITEM)   # ... and the coach process died here
    again = SessionRecorder(log, PROGRAMME, None, 'morning', simulated=True)
    again.begin(300.0)
    assert again.closed_interrupted == [crashed.session_id]
    old, new = log.list_sessions('p-0042')
    assert (old.outcome, old.ended, old.simulated) == ('interrupted', 113.0, False)
    assert new.outcome is None and new.simulated
    assert log.events(new.id)[0] == (300.0, 'closed_interrupted', {'sessions': [old.id]})
    assert log.patient_progress('p-0042')[0].exercises[0].counted_reps == 1


def test_a_session_stopped_from_outside_is_aborted_not_the_person_stopping(tmp_path):
    log = record(tmp_path, [], 'stopped')
    assert log.list_sessions('p-0042')[0].outcome == 'aborted'


def test_a_session_stopped_while_a_part_was_down_is_an_error_naming_the_part(tmp_path):
    log = record(tmp_path, [
        (110.0, Event('set_started', {'exercise': 'arm_raise', 'set': 0})),
        rep(113.0, 1),
        (150.0, Event('session_stopped', {'reason': 'coach node shut down',
                                          'fault': 'pose or camera'})),
    ], 'stopped')
    [session] = log.list_sessions('p-0042')
    assert session.outcome == 'error'
    [(_, _, detail)] = [e for e in log.events(session.id) if e[1] == 'session_stopped']
    assert detail['fault'] == 'pose or camera'
    assert log.patient_progress('p-0042')[0].exercises[0].counted_reps == 1


def test_the_plan_is_recorded_at_the_start(tmp_path):
    log = record(tmp_path, [], 'done')
    session = log.list_sessions()[0].id
    assert log.events(session)[0][1:] == (
        'planned', {'items': [{'exercise': 'arm_raise', 'sets': 1, 'repetitions': 3}]})
