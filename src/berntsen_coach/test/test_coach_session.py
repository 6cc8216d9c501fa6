"""A session's routine and its record: begun, ended, and shut down half-way."""
import os

import pytest

from berntsen_coach.coach_routine import RoutineSettings
from berntsen_coach.coach_session import CoachSession
from berntsen_coach.routine import Event
from berntsen_coach.session_log import SessionLog, SessionLogError
from test_coach_routine import EXERCISES, programme


def session(tmp_path, **settings):
    log = SessionLog(tmp_path / 'log.sqlite3')
    return log, CoachSession(log, programme(), None, EXERCISES,
                             RoutineSettings(**settings), now=10.0, clock_offset=1000.0,
                             simulated=True)


@pytest.mark.parametrize('fault,outcome', [('', 'aborted'), ('pose or camera', 'error')])
def test_shut_down_mid_session_stops_the_routine_and_closes_the_record(tmp_path, fault,
                                                                       outcome):
    log, s = session(tmp_path)
    for action in s.routine.start(10.0):
        if isinstance(action, Event):
            assert s.record(10.0, action) == ''
    assert s.shut_down(20.0, fault) == ''
    [row] = log.list_sessions('p-1')
    assert row.outcome == outcome and row.simulated
    stopped = [detail for _, kind, detail in log.events(row.id)
               if kind == 'session_stopped']
    assert stopped == [{'reason': 'coach node shut down', **({'fault': fault} if fault else {})}]
    assert s.shut_down(21.0, fault) == '', 'once'


def test_a_log_that_fails_is_reported_and_the_session_goes_on(tmp_path, monkeypatch):
    log, s = session(tmp_path)

    def disk_full(*args, **kwargs):
        raise SessionLogError('database or disk is full')
    monkeypatch.setattr(log, 'add_event', disk_full)
    problem = s.record(11.0, Event('step', {'step': 'greet'}))
    assert problem == 'could not record step: database or disk is full'
    assert s.routine.start(11.0), 'the morning goes on'


def test_a_programme_the_routine_refuses_opens_no_record(tmp_path):
    log = SessionLog(tmp_path / 'log.sqlite3')
    bad = programme()
    bad = type(bad)(**{**bad.__dict__, 'language': 'xx'})
    with pytest.raises(ValueError):
        CoachSession(log, bad, None, EXERCISES, RoutineSettings(), now=0.0, clock_offset=0.0,
                     simulated=False)
    assert log.list_sessions() == []
    assert os.stat(tmp_path / 'log.sqlite3').st_mode & 0o077 == 0
