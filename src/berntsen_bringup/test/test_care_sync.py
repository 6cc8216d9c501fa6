"""The robot's side of the care sync API without the network: what is read from the session
log, how it is batched, the alert outbox, programme updates and the token file."""
import json
import os
import stat
import uuid

import pytest
from berntsen_coach.exercises import load_exercises
from berntsen_coach.paths import package_config
from berntsen_coach.programme import ProgrammeError, load_programme
from berntsen_coach.session_log import SessionLog, SessionLogError

from berntsen_bringup.care_sync import (AlertOutbox, CareClient, CareLinkError, _encode,
                                        apply_programme, batches, closed_sessions_after,
                                        read_token, sync_once)

NAME = 'Kari Nordmann'
T0 = 1796193693.0


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def write_session(log, patient_id='p-7f3a91', start=T0, close=True):
    """A session with one set of two repetitions (one partial), a greeting naming the
    patient and a clinical measure; returns its id."""
    session = log.start_session(patient_id, 'morning', None, 'nb', start, private_names=[NAME])
    set_id = log.start_set(session, 'sit_to_stand', 1, target_reps=8, started=start + 1)
    log.add_repetition(set_id, 1, started=start + 2, ended=start + 4, peak_signal=164.0)
    log.add_repetition(set_id, 2, started=start + 5, ended=start + 6, partial=True)
    log.end_set(set_id, counted_reps=1, ended=start + 7)
    log.add_event(session, start + 8, 'said', {'text': f'God morgen, {NAME}!'})
    log.add_clinical_measure(session, start + 9, 'chair_stand_30s', 11)
    if close:
        log.end_session(session, start + 10, 'completed')
    return session


@pytest.fixture
def db(tmp_path):
    path = tmp_path / 'sessions.sqlite3'
    with SessionLog(path) as log:
        write_session(log)
    return path


# ---- the session log ---------------------------------------------------------------------

def test_a_closed_session_travels_whole_in_the_contract_shape(db):
    [session] = closed_sessions_after(db, 0)
    set_ = session['sets'][0]
    first, second = set_['repetitions']
    event, = session['events']
    measure, = session['clinical_measures']
    assert session == {
        'id': 1, 'patient_id': 'p-7f3a91', 'started': T0, 'ended': T0 + 10,
        'routine': 'morning', 'outcome': 'completed', 'programme_sha256': None,
        'language': 'nb', 'simulated': False,
        'sets': [{'id': set_['id'], 'exercise': 'sit_to_stand', 'set_index': 1,
                  'target_reps': 8, 'counted_reps': 1, 'started': T0 + 1, 'ended': T0 + 7,
                  'repetitions': [
                      {'id': first['id'], 'number': 1, 'started': T0 + 2, 'ended': T0 + 4,
                       'peak_signal': 164.0, 'partial': False},
                      {'id': second['id'], 'number': 2, 'started': T0 + 5, 'ended': T0 + 6,
                       'peak_signal': None, 'partial': True}]}],
        'events': [{'id': event['id'], 'time': T0 + 8, 'kind': 'said',
                    'detail': {'text': 'God morgen, [name]!'}}],
        'clinical_measures': [{'id': measure['id'], 'time': T0 + 9, 'test': 'chair_stand_30s',
                               'value': 11.0, 'unit': 'repetitions'}]}
    text = json.dumps(session)
    assert 'Kari' not in text and 'Nordmann' not in text


def test_only_closed_sessions_after_the_given_id_in_ascending_order(tmp_path):
    path = tmp_path / 'sessions.sqlite3'
    with SessionLog(path) as log:
        ids = [write_session(log, start=T0 + 100 * i) for i in range(4)]
        open_id = write_session(log, start=T0 + 1000, close=False)
        assert [s['id'] for s in closed_sessions_after(path, 0)] == ids
        assert [s['id'] for s in closed_sessions_after(path, ids[1])] == ids[2:]
        assert [s['id'] for s in closed_sessions_after(path, 0, limit=2)] == ids[:2]
        assert closed_sessions_after(path, ids[-1]) == []
        log.end_session(open_id, T0 + 1100, 'completed')
        assert [s['id'] for s in closed_sessions_after(path, ids[-1])] == [open_id]


def test_sessions_after_one_still_open_wait_for_it(tmp_path):
    """The service keeps only the highest id it holds: sending 3 before 2 is closed (after
    a crash, at the patient's next session) would lose 2."""
    path = tmp_path / 'sessions.sqlite3'
    with SessionLog(path) as log:
        first = write_session(log)
        crashed = write_session(log, start=T0 + 100, close=False)
        log2 = SessionLog(path)
        assert [s['id'] for s in closed_sessions_after(path, 0)] == [first]
        assert log2.close_interrupted('p-7f3a91') == [crashed]
        later = write_session(log2, start=T0 + 200)
        log2.close()
    assert [s['id'] for s in closed_sessions_after(path, first)] == [crashed, later]


def test_the_session_log_is_only_read(tmp_path, db):
    before = db.read_bytes()
    closed_sessions_after(db, 0)
    assert db.read_bytes() == before
    with pytest.raises(SessionLogError, match='no session log'):
        closed_sessions_after(tmp_path / 'missing.sqlite3', 0)
    assert not (tmp_path / 'missing.sqlite3').exists()


# ---- batches -----------------------------------------------------------------------------

def test_batches_keep_the_order_and_each_body_under_the_limit(tmp_path):
    path = tmp_path / 'sessions.sqlite3'
    with SessionLog(path) as log:
        for i in range(7):
            write_session(log, start=T0 + 100 * i)
    sessions = closed_sessions_after(path, 0)
    size = len(_encode({'sessions': sessions[:1]}))
    limit = 3 * size
    split = list(batches(sessions, max_bytes=limit))
    assert [s for batch in split for s in batch] == sessions
    assert len(split) == 3
    assert all(len(_encode({'sessions': batch})) <= limit for batch in split)
    assert list(batches(sessions)) == [sessions]
    assert list(batches([])) == []


def test_a_session_too_large_for_any_request_is_reported_not_sent(db):
    [session] = closed_sessions_after(db, 0)
    small = {**session, 'id': 1, 'events': []}
    big = {**session, 'id': 2, 'events': [{'id': 1, 'time': T0, 'kind': 'x',
                                           'detail': {'text': 'y' * 2000}}]}
    sent = []
    with pytest.raises(CareLinkError, match='session 2 is .* bytes') as error:
        for batch in batches([small, big], max_bytes=1500):
            sent.append(batch)
    assert error.value.permanent
    assert sent == [[small]]


# ---- the alert outbox --------------------------------------------------------------------

def test_the_outbox_keeps_alerts_in_order_across_restarts(tmp_path):
    path = tmp_path / 'state' / 'care_outbox.sqlite3'
    outbox = AlertOutbox(path)
    first = outbox.add({'patient_id': 'p-7f3a91', 'time': T0, 'reason': 'help_requested',
                        'urgent': True, 'detail': 'help pressed'})
    second = outbox.add({'patient_id': 'p-7f3a91', 'time': T0 + 1, 'reason': 'no_response',
                         'urgent': False, 'detail': 'no answer for 120 s'})
    outbox.close()   # as a crash would: nothing more is written after add returns
    assert mode(path) == 0o600 and mode(path.parent) == 0o700
    assert uuid.UUID(first).version == 4

    outbox = AlertOutbox(path)
    assert outbox.pending() == [
        {'id': first, 'patient_id': 'p-7f3a91', 'time': T0, 'reason': 'help_requested',
         'urgent': True, 'detail': 'help pressed'},
        {'id': second, 'patient_id': 'p-7f3a91', 'time': T0 + 1, 'reason': 'no_response',
         'urgent': False, 'detail': 'no answer for 120 s'}]
    outbox.remove([first])
    outbox.close()
    assert [a['id'] for a in AlertOutbox(path).pending()] == [second]


def test_an_alert_message_heard_again_after_a_restart_is_not_kept_twice(tmp_path):
    path = tmp_path / 'care_outbox.sqlite3'
    alert = {'patient_id': 'p-7f3a91', 'time': T0, 'reason': 'on_floor', 'urgent': True, 'detail': 'x'}
    outbox = AlertOutbox(path)
    first = outbox.add(alert, message='12.000000500 p-7f3a91 on_floor')
    outbox.remove([first])   # sent
    outbox.close()
    outbox = AlertOutbox(path)   # restarted: the coach's latched alerts arrive again
    assert outbox.add(alert, message='12.000000500 p-7f3a91 on_floor') is None
    assert outbox.pending() == []
    assert outbox.add(alert, message='15.000000000 p-7f3a91 on_floor') is not None


# ---- syncing, against a service in memory ------------------------------------------------

class FakeService:
    """The API's answers, held in memory; `fail_after` sends cut the connection."""

    def __init__(self, fail_after=None):
        self.sessions, self.alerts, self.calls = {}, {}, []
        self.fail_after = fail_after

    def _cut(self):
        if self.fail_after is not None:
            if self.fail_after == 0:
                raise CareLinkError('cannot reach the care service (cut)')
            self.fail_after -= 1

    def sync_state(self):
        return {'robot': 'robot-03', 'last_session_id': max(self.sessions, default=0),
                'patients': ['p-7f3a91']}

    def send_sessions(self, sessions):
        self._cut()
        self.calls.append(('sessions', [s['id'] for s in sessions]))
        new = [s for s in sessions if s['id'] not in self.sessions]
        self.sessions.update((s['id'], s) for s in new)
        return {'stored': len(new), 'duplicates': len(sessions) - len(new),
                'last_session_id': max(self.sessions)}

    def send_alerts(self, alerts):
        self._cut()
        self.calls.append(('alerts', [a['id'] for a in alerts]))
        new = [a for a in alerts if a['id'] not in self.alerts]
        self.alerts.update((a['id'], a) for a in new)
        return {'stored': len(new), 'duplicates': len(alerts) - len(new)}


def test_sync_sends_alerts_first_then_every_closed_session_and_resumes_after_a_cut(tmp_path):
    path = tmp_path / 'sessions.sqlite3'
    with SessionLog(path) as log:
        ids = [write_session(log, start=T0 + 100 * i) for i in range(5)]
    outbox = AlertOutbox(tmp_path / 'care_outbox.sqlite3')
    alert = outbox.add({'patient_id': 'p-7f3a91', 'time': T0, 'reason': 'on_floor',
                        'urgent': True, 'detail': 'lying on the floor'})
    one_session = len(_encode({'sessions': closed_sessions_after(path, 0, 1)}))
    two_a_request = 2 * one_session

    service = FakeService(fail_after=2)   # the alerts and one batch get through
    with pytest.raises(CareLinkError, match='cut'):
        sync_once(service, path, outbox, two_a_request)
    assert service.calls == [('alerts', [alert]), ('sessions', ids[:2])]
    assert outbox.pending() == []

    service.fail_after = None
    summary = sync_once(service, path, outbox, two_a_request)
    assert service.calls[2:] == [('sessions', ids[2:4]), ('sessions', ids[4:])]
    assert (summary.alerts_sent, summary.sessions_stored, summary.duplicates,
            summary.last_session_id) == (0, 3, 0, ids[-1])
    assert sync_once(service, path, outbox, two_a_request).sessions_stored == 0
    assert len(service.calls) == 4


def test_an_unreachable_service_is_a_care_link_error(tmp_path):
    with CareClient('http://127.0.0.1:9', 'robot-03.secret', timeout=2.0) as client:
        with pytest.raises(CareLinkError, match='cannot reach the care service') as error:
            client.sync_state()
    assert not error.value.permanent and error.value.status is None
    with pytest.raises(CareLinkError, match='https://'):
        CareClient('care.example', 'robot-03.secret')


# ---- programmes --------------------------------------------------------------------------

LOCAL = f'''patient:
  name: {NAME}     # how the robot addresses her
  id: p-7f3a91
language: nb
items:
  - exercise: sit_to_stand
    sets: 2
    repetitions: 8
'''
DOWNLOADED = '''language: en
items:
  - exercise: sit_to_stand
    sets: 3
    repetitions: 10
    rest_seconds: 60
'''


@pytest.fixture(scope='module')
def exercises():
    return load_exercises(package_config() / 'exercises.yaml')


@pytest.fixture
def programme(tmp_path):
    path = tmp_path / 'programme.yaml'
    path.write_text(LOCAL, encoding='utf-8')
    path.chmod(0o600)
    return path


def test_a_valid_programme_replaces_the_file_under_the_local_patient_block(programme,
                                                                          exercises):
    update = apply_programme(DOWNLOADED, programme, exercises, patient_id='p-7f3a91')
    assert update.outcome == 'updated'
    assert NAME not in update.message
    assert mode(programme) == 0o600
    loaded = load_programme(programme, exercises)
    assert (loaded.patient_name, loaded.patient_id, loaded.language) == (NAME, 'p-7f3a91', 'en')
    assert (loaded.items[0].sets, loaded.items[0].repetitions) == (3, 10)
    assert programme.read_text(encoding='utf-8').endswith(DOWNLOADED)
    assert [p.name for p in programme.parent.iterdir()] == ['programme.yaml']   # no temp left
    again = apply_programme(DOWNLOADED, programme, exercises, patient_id='p-7f3a91')
    assert again.outcome == 'unchanged'


@pytest.mark.parametrize('text, problem', [
    ('language: en\nitems:\n  - exercise: sit_to_stand\n    sets: [3\n', 'not valid YAML'),
    (DOWNLOADED.replace('sets: 3', 'sets: 0'), 'item 1, sets: 0 is outside 1..10'),
    (DOWNLOADED.replace('language: en', 'language: nn'), 'language:'),
])
def test_an_invalid_programme_leaves_the_file_and_says_what_berntsen_check_says(
        programme, exercises, text, problem):
    update = apply_programme(text, programme, exercises, patient_id='p-7f3a91')
    assert update.outcome == 'refused'
    assert programme.read_text(encoding='utf-8') == LOCAL
    assert problem in update.message and NAME not in update.message
    # `berntsen check` on the programme the robot would have run says the same
    programme.write_text(f'patient:\n  name: {NAME}\n  id: p-7f3a91\n{text}', encoding='utf-8')
    with pytest.raises(ProgrammeError) as check:
        load_programme(programme, exercises)
    assert update.message == str(check.value)


@pytest.mark.parametrize('text, patient_id, problem', [
    (DOWNLOADED, 'p-0000', 'for patient p-0000'),
    ('patient:\n  name: Someone Else\n  id: p-7f3a91\n' + DOWNLOADED, 'p-7f3a91',
     'has a patient block'),
    ('  name: Someone Else\n' + DOWNLOADED, 'p-7f3a91', 'patient'),
])
def test_a_programme_for_another_patient_is_refused(programme, exercises, text, patient_id,
                                                    problem):
    update = apply_programme(text, programme, exercises, patient_id=patient_id)
    assert update.outcome == 'refused' and problem in update.message
    assert programme.read_text(encoding='utf-8') == LOCAL
    assert NAME not in update.message


# ---- the token file ----------------------------------------------------------------------

def test_the_token_file_must_be_the_owners_only(tmp_path):
    path = tmp_path / 'token'
    path.write_text('robot-03.s3cr3t-Abc_123\n', encoding='utf-8')
    path.chmod(0o644)
    with pytest.raises(CareLinkError, match='open to other users .*0644.*chmod 600'):
        read_token(path)
    path.chmod(0o600)
    assert read_token(path) == 'robot-03.s3cr3t-Abc_123'
    path.write_text('not a token\n', encoding='utf-8')
    with pytest.raises(CareLinkError, match='<robot name>.<secret>'):
        read_token(path)
    with pytest.raises(CareLinkError, match='cannot read'):
        read_token(tmp_path / 'missing')
