"""The robot's own sync code (berntsen_bringup.care_sync) against the real service: its
SQLite session log and alert outbox reach PostgreSQL once, without the patient's name, and
a programme saved by the physiotherapist reaches the robot's programme file."""
import stat
import time

import psycopg
import pytest

from berntsen_bringup.care_sync import (AlertOutbox, CareClient, CareLinkError, pull_programme,
                                        sync_once)
from berntsen_coach.session_log import SessionLog
from test_care_web import GOOD, csrf_of, logged_in
from test_sync_api import count

pytestmark = pytest.mark.slow

NAME = 'Ingrid'
T0 = 1796000000.0


def robot_log(path, sessions=3, open_one=True):
    with SessionLog(path) as log:
        for i in range(sessions + open_one):
            start = T0 + 86400 * i
            session = log.start_session('p-a1', 'morning', None, 'nb', start, private_names=[NAME])
            set_id = log.start_set(session, 'sit_to_stand', 1, target_reps=2, started=start + 1)
            log.add_repetition(set_id, 1, started=start + 2, ended=start + 4, peak_signal=164.0)
            log.add_repetition(set_id, 2, started=start + 5, ended=start + 7, peak_signal=161.0)
            log.end_set(set_id, counted_reps=2, ended=start + 8)
            log.add_event(session, start + 9, 'said', {'text': f'Bra jobba, {NAME}!'})
            if i < sessions:
                log.end_session(session, start + 10, 'completed')


def test_the_robots_log_and_outbox_reach_the_service_once_and_without_the_name(service, tmp_path):
    db = tmp_path / 'sessions.sqlite3'
    robot_log(db)
    outbox = AlertOutbox(tmp_path / 'care_outbox.sqlite3')
    outbox.add({'patient_id': 'p-a1', 'time': T0, 'reason': 'no_response', 'urgent': False,
                'detail': 'no answer for 120 s at step stand_up'})
    with CareClient(service.base, service.tokens['a']) as client:
        first = sync_once(client, db, outbox)
        assert (first.alerts_sent, first.sessions_stored, first.last_session_id) == (1, 3, 3)
        again = sync_once(client, db, outbox)
        assert (again.alerts_sent, again.sessions_stored) == (0, 0)
    url = service.database_url
    assert count(url, 'sessions') == 3 and count(url, 'repetitions') == 6 and count(url, 'alerts') == 1
    with psycopg.connect(url) as conn:
        said = [d['text'] for (d,) in conn.execute("SELECT detail FROM events WHERE kind = 'said'")]
        for table in ('sessions', 'sets', 'events', 'alerts', 'clinical_measures'):
            rows = conn.execute(f'SELECT * FROM {table}').fetchall()   # noqa: S608 (our names)
            assert NAME not in repr(rows), table
    assert said == ['Bra jobba, [name]!'] * 3


def test_a_revoked_robot_is_told_so_and_keeps_its_records(service, tmp_path):
    from berntsen_care import admin

    db = tmp_path / 'sessions.sqlite3'
    robot_log(db, sessions=1, open_one=False)
    outbox = AlertOutbox(tmp_path / 'care_outbox.sqlite3')
    outbox.add({'patient_id': 'p-a1', 'time': T0, 'reason': 'on_floor', 'urgent': True, 'detail': 'x'})
    admin.revoke_robot(service.database_url, 'robot-a')
    with CareClient(service.base, service.tokens['a']) as client:
        with pytest.raises(CareLinkError, match='revoked') as error:
            sync_once(client, db, outbox)
    assert error.value.permanent and error.value.status == 401
    assert len(outbox.pending()) == 1, 'the alert waits in the outbox'


def test_a_saved_programme_reaches_the_robots_file_under_its_own_patient_block(service, tmp_path):
    from berntsen_care.programmes import _exercises

    programme = tmp_path / 'programme.yaml'
    programme.write_text(f'patient:\n  name: {NAME}\n  id: p-a1\nlanguage: nb\n'
                         'items:\n  - exercise: arm_raise\n    sets: 1\n    repetitions: 5\n')
    programme.chmod(0o600)
    with CareClient(service.base, service.tokens['a']) as client:
        assert pull_programme(client, programme, _exercises()).outcome == 'unchanged'
        physio = logged_in(service, 'physio-a')
        token = csrf_of(physio.get('/patients/p-a1/programme'))
        assert physio.post('/patients/p-a1/programme', data={'csrf': token, 'text': GOOD}).status_code == 200
        update = pull_programme(client, programme, _exercises())
        assert update.outcome == 'updated' and update.version == 1
        assert pull_programme(client, programme, _exercises()).outcome == 'unchanged'
    text = programme.read_text()
    assert f'name: {NAME}' in text and 'sit_to_stand' in text and 'arm_raise' not in text
    assert stat.S_IMODE(programme.stat().st_mode) == 0o600


@pytest.mark.ros
def test_a_session_closed_just_before_shutdown_still_reaches_the_service(service, ros_nodes, tmp_path):
    from berntsen_bringup.processes import NodeProcessSpec, stop_all

    token = tmp_path / 'robot.token'
    token.write_text(service.tokens['a'])
    token.chmod(0o600)
    link = ros_nodes(NodeProcessSpec(module='berntsen_bringup.care_link_node', name='care_link', params={
        'care_url': service.base, 'token_file': str(token), 'sessions_db': str(tmp_path / 'sessions.sqlite3'),
        'sync_period': 3600.0}))
    log = tmp_path / 'care_link.log'
    deadline = time.monotonic() + 20
    while 'no session log' not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)   # its first sync is over: the next would be in an hour
    robot_log(tmp_path / 'sessions.sqlite3', sessions=1, open_one=False)
    stop_all([link])   # SIGINT, as the runner stops the graph
    assert count(service.database_url, 'sessions') == 1
