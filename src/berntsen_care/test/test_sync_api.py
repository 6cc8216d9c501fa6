"""Robots syncing to the real service (uvicorn, PostgreSQL): idempotent, resumable, whole
sessions in order; refused credentials, other robots' patients, malformed and oversized
bodies; a connection cut mid-request loses and duplicates nothing."""
import json
import socket
import time
import uuid
from urllib.parse import urlsplit

import httpx
import psycopg
import pytest

from berntsen_care import admin

pytestmark = pytest.mark.slow

DAY = 86400.0


def session(number: int, patient='p-a1', started=1796000000.0, sets=2, reps=5):
    t = started + number * DAY
    return {
        'id': number, 'patient_id': patient, 'started': t, 'ended': t + 600, 'routine': 'morning',
        'outcome': 'completed', 'programme_sha256': None, 'language': 'nb', 'simulated': True,
        'sets': [{'id': 10 * number + s, 'exercise': 'sit_to_stand', 'set_index': s + 1,
                  'target_reps': reps, 'counted_reps': reps, 'started': t + 60 * s, 'ended': t + 60 * s + 50,
                  'repetitions': [{'id': 100 * number + 10 * s + r, 'number': r + 1,
                                   'started': t + 60 * s + 8 * r, 'ended': t + 60 * s + 8 * r + 5,
                                   'peak_signal': 160.0, 'partial': False} for r in range(reps)]}
                 for s in range(sets)],
        'events': [{'id': 1000 * number, 'time': t, 'kind': 'session_started', 'detail': {'routine': 'morning'}}],
        'clinical_measures': [{'id': number, 'time': t + 500, 'test': 'chair_stand_30s',
                               'value': 9.0 + number, 'unit': 'repetitions'}],
    }


def robot_client(service, which='a'):
    return httpx.Client(base_url=service.base, timeout=10,
                        headers={'authorization': f'Bearer {service.tokens[which]}'})


def count(url, table):
    with psycopg.connect(url) as conn:
        return conn.execute(f'SELECT count(*) FROM {table}').fetchone()[0]   # noqa: S608 (a test's own names)


def test_sync_is_idempotent_and_resumes_where_the_service_stands(service):
    with robot_client(service) as robot:
        assert robot.get('/api/robot/v1/sync-state').json() == {
            'robot': 'robot-a', 'last_session_id': 0, 'patients': ['p-a1']}
        week = [session(n) for n in range(1, 8)]
        assert robot.post('/api/robot/v1/sessions', json={'sessions': week[:3]}).json() == {
            'stored': 3, 'duplicates': 0, 'last_session_id': 3}
        # the same request again (its answer was lost): nothing twice
        assert robot.post('/api/robot/v1/sessions', json={'sessions': week[:3]}).json()['duplicates'] == 3
        # offline for the rest of the week: it sends what is new from where the service stands
        last = robot.get('/api/robot/v1/sync-state').json()['last_session_id']
        answer = robot.post('/api/robot/v1/sessions', json={'sessions': [s for s in week if s['id'] > last]})
        assert answer.json() == {'stored': 4, 'duplicates': 0, 'last_session_id': 7}
    url = service.database_url
    assert count(url, 'sessions') == 7 and count(url, 'sets') == 14 and count(url, 'repetitions') == 70
    assert count(url, 'events') == 7 and count(url, 'clinical_measures') == 7


def test_a_connection_cut_mid_request_stores_nothing_and_the_retry_stores_it_once(service):
    body = json.dumps({'sessions': [session(1), session(2)]}).encode()
    address = urlsplit(service.base)
    head = (f'POST /api/robot/v1/sessions HTTP/1.1\r\nHost: {address.netloc}\r\n'
            f'Authorization: Bearer {service.tokens["a"]}\r\nContent-Type: application/json\r\n'
            f'Content-Length: {len(body)}\r\n\r\n').encode()
    with socket.create_connection((address.hostname, address.port)) as cut:
        cut.sendall(head + body[:len(body) // 2])   # the link drops half-way through the body
    time.sleep(0.5)
    assert count(service.database_url, 'sessions') == 0
    # the whole body arrives, but the answer is lost: stored; the retry duplicates nothing
    with socket.create_connection((address.hostname, address.port)) as lost:
        lost.sendall(head + body)
        deadline = time.monotonic() + 5
        while count(service.database_url, 'sessions') < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    with robot_client(service) as robot:
        answer = robot.post('/api/robot/v1/sessions', content=body,
                            headers={'content-type': 'application/json'}).json()
    assert answer == {'stored': 0, 'duplicates': 2, 'last_session_id': 2}
    assert count(service.database_url, 'sessions') == 2 and count(service.database_url, 'sets') == 4


def test_credentials_refused(service):
    for headers in ({}, {'authorization': 'Bearer robot-a.wrong'}, {'authorization': 'Bearer nodot'},
                    {'authorization': 'Basic cm9ib3Q6eA=='}):
        answer = httpx.get(service.base + '/api/robot/v1/sync-state', headers=headers)
        assert answer.status_code == 401 and answer.json()['error']
    admin.revoke_robot(service.database_url, 'robot-a')
    with robot_client(service) as robot:
        answer = robot.post('/api/robot/v1/sessions', json={'sessions': [session(1)]})
    assert answer.status_code == 401 and answer.json() == {'error': "this robot's credential was revoked"}
    assert count(service.database_url, 'sessions') == 0
    with robot_client(service, 'b') as other:   # other robots go on
        assert other.get('/api/robot/v1/sync-state').status_code == 200


def test_a_robot_cannot_write_another_robots_patient(service):
    with robot_client(service) as robot:
        answer = robot.post('/api/robot/v1/sessions',
                            json={'sessions': [session(1), session(2, patient='p-b1')]})
        assert answer.status_code == 403
        assert "sessions[1]: patient 'p-b1' is not one of robot robot-a's patients" in answer.json()['error']
        alert = {'id': str(uuid.uuid4()), 'patient_id': 'p-b1', 'time': 1.0, 'reason': 'help_requested',
                 'urgent': True, 'detail': 'x'}
        assert robot.post('/api/robot/v1/alerts', json={'alerts': [alert]}).status_code == 403
    assert count(service.database_url, 'sessions') == 0 and count(service.database_url, 'alerts') == 0


@pytest.mark.parametrize('field, value, message', [
    ('patient_id', "p-a1'; DROP TABLE sessions; --", "sessions[0].patient_id: \"p-a1'; DROP"),
    ('routine', "morning'); DELETE FROM patients; --", 'sessions[0].routine:'),
    ('outcome', '<script>alert(1)</script>', 'sessions[0].outcome:'),
    ('language', "nb' OR '1'='1", 'sessions[0].language:'),
    ('programme_sha256', "' OR 1=1 --", 'sessions[0].programme_sha256:'),
    ('started', 'NaN', 'sessions[0].started: expected a finite number'),
    ('id', -1, 'sessions[0].id: expected a whole number >= 1'),
    ('sets', [{'exercise': "x'; DROP TABLE sets; --"}], 'sessions[0].sets[0].exercise:'),
])
def test_malformed_and_injected_session_fields_are_refused_by_name(service, field, value, message):
    bad = {**session(1), field: value}
    with robot_client(service) as robot:
        answer = robot.post('/api/robot/v1/sessions', json={'sessions': [bad]})
    assert answer.status_code == 422 and message in answer.json()['error']
    assert count(service.database_url, 'sessions') == 0 and count(service.database_url, 'patients') == 2


def test_free_text_is_stored_as_text_not_run(service):
    detail = "'); DROP TABLE alerts; -- <img src=x onerror=alert(1)>"
    event = {'id': 1, 'time': 1.0, 'kind': 'note', 'detail': {'text': "'); DROP TABLE events; --"}}
    alert = {'id': str(uuid.uuid4()), 'patient_id': 'p-a1', 'time': 1.0, 'reason': 'help_requested',
             'urgent': True, 'detail': detail}
    with robot_client(service) as robot:
        assert robot.post('/api/robot/v1/alerts', json={'alerts': [alert, alert]}).json() == {
            'stored': 1, 'duplicates': 1}
        s = {**session(1), 'events': [event]}
        assert robot.post('/api/robot/v1/sessions', json={'sessions': [s]}).status_code == 200
    with psycopg.connect(service.database_url) as conn:
        assert conn.execute('SELECT detail FROM alerts').fetchone()[0] == detail
        assert conn.execute('SELECT detail FROM events').fetchone()[0] == event['detail']


def test_oversized_and_non_json_bodies_are_refused(service):
    with robot_client(service) as robot:
        huge = robot.post('/api/robot/v1/sessions', content=b'{"sessions": [' + b' ' * (2 << 20) + b']}',
                          headers={'content-type': 'application/json'})
        assert huge.status_code == 413 and 'larger than 1048576 bytes' in huge.json()['error']

        def chunks():   # no Content-Length: counted as it arrives
            for _ in range(40):
                yield b' ' * 65536
        streamed = robot.post('/api/robot/v1/sessions', content=chunks())
        assert streamed.status_code == 413
        assert robot.post('/api/robot/v1/sessions', content=b'{"sessions": [',
                          headers={'content-type': 'application/json'}).status_code == 400
        assert robot.post('/api/robot/v1/sessions', json={'sessions': 'all'}).status_code == 422
    assert count(service.database_url, 'sessions') == 0
