"""The staff side of the real service over HTTP: log-in (hashing, rate limit, expiry, CSRF),
team-scoped reads (page and API refuse, the audit log has every read and refusal), roles,
the programme editor with the robot's own rules, the progress report, injections."""
import html
import re
import time
import uuid

import httpx
import psycopg
import pytest

from conftest import PASSWORD, RunningService
from test_sync_api import robot_client, session

pytestmark = pytest.mark.slow


def csrf_of(page: httpx.Response) -> str:
    return re.search(r'<meta name="csrf-token" content="([^"]+)">', page.text).group(1)


def logged_in(service, username: str) -> httpx.Client:
    client = httpx.Client(base_url=service.base, timeout=30)
    token = csrf_of(client.get('/login'))
    answer = client.post('/login', data={'username': username, 'password': PASSWORD, 'csrf': token})
    assert answer.status_code == 303, answer.text
    return client


def audit(url: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            'SELECT s.username, a.action, p.pseudonym FROM audit_log a LEFT JOIN staff s ON s.id = a.staff_id '
            'LEFT JOIN patients p ON p.id = a.patient_id ORDER BY a.id').fetchall()


def test_passwords_are_argon2id_hashes(database):
    url, _ = database
    with psycopg.connect(url) as conn:
        hashes = [h for (h,) in conn.execute('SELECT password_hash FROM staff')]
    assert hashes and all(h.startswith('$argon2id$') and PASSWORD not in h for h in hashes)


def test_log_in_and_out_and_no_page_without_it(service):
    anonymous = httpx.Client(base_url=service.base)
    assert anonymous.get('/patients').headers['location'] == '/login'
    assert anonymous.get('/api/v1/patients').status_code == 401
    nurse = logged_in(service, 'nurse-a')
    page = nurse.get('/patients')
    assert page.status_code == 200 and 'Kari Nordmann A' in page.text and 'Kari Nordmann B' not in page.text
    cookie = page.headers.get('set-cookie', '') or nurse.get('/').headers.get('set-cookie', '')
    assert 'httponly' in cookie.lower() and 'samesite=strict' in cookie.lower()
    assert "frame-ancestors 'none'" in page.headers['content-security-policy']
    nurse.post('/logout', data={'csrf': csrf_of(page)})
    assert nurse.get('/patients').headers['location'] == '/login'


def test_wrong_passwords_are_rate_limited(service):
    client = httpx.Client(base_url=service.base)
    token = csrf_of(client.get('/login'))
    answers = [client.post('/login', data={'username': 'nurse-a', 'password': 'wrong password!',
                                           'csrf': token}).status_code for _ in range(6)]
    assert answers == [401] * 5 + [429]
    # the right password is refused too until the minute has passed
    right = client.post('/login', data={'username': 'nurse-a', 'password': PASSWORD, 'csrf': token})
    assert right.status_code == 429 and 'Vent et minutt' in right.text
    log = audit(service.database_url)
    assert log.count((None, 'login_failed', None)) == 5 and (None, 'login_limited', None) in log


def test_a_post_without_the_csrf_token_is_refused(service):
    client = httpx.Client(base_url=service.base)
    client.get('/login')
    assert client.post('/login', data={'username': 'nurse-a', 'password': PASSWORD}).status_code == 403
    nurse = logged_in(service, 'nurse-a')
    assert nurse.post('/logout', data={'csrf': 'guessed'}).status_code == 403
    assert nurse.get('/patients').status_code == 200, 'still logged in'


def test_a_session_ends_after_the_idle_timeout(database):
    url, _ = database
    service = RunningService(url, idle_timeout=1.0)
    try:
        nurse = logged_in(service, 'nurse-a')
        assert nurse.get('/patients').status_code == 200
        time.sleep(1.5)
        assert nurse.get('/patients').headers['location'] == '/login'
        assert nurse.get('/api/v1/patients').status_code == 401
    finally:
        service.stop()


def test_another_teams_patient_is_refused_on_the_page_and_the_api_and_audited(service):
    nurse_b = logged_in(service, 'nurse-b')
    for path in ('/patients/p-a1', '/patients/p-a1/report', '/patients/p-a1/programme',
                 '/api/v1/patients/p-a1'):
        answer = nurse_b.get(path)
        assert answer.status_code == 403, path
        assert 'Kari Nordmann A' not in answer.text
    nurse_a = logged_in(service, 'nurse-a')
    assert nurse_a.get('/api/v1/patients/p-a1').json()['name'] == 'Kari Nordmann A'
    assert nurse_a.get('/patients/p-a1').status_code == 200
    log = audit(service.database_url)
    assert ('nurse-b', 'read_patient_refused', 'p-a1') in log
    assert ('nurse-b', 'read_report_refused', 'p-a1') in log
    assert log.count(('nurse-a', 'read_patient', 'p-a1')) == 2


def test_alerts_are_team_scoped_and_acknowledged_once(service):
    alert = {'id': str(uuid.uuid4()), 'patient_id': 'p-a1', 'time': time.time(), 'reason': 'help_requested',
             'urgent': True, 'detail': 'she pressed Help'}
    with robot_client(service) as robot:
        robot.post('/api/robot/v1/alerts', json={'alerts': [alert]}).raise_for_status()
    nurse_b = logged_in(service, 'nurse-b')
    assert nurse_b.get('/api/v1/alerts').json() == []
    nurse_a = logged_in(service, 'nurse-a')
    [shown] = nurse_a.get('/api/v1/alerts').json()
    assert shown['name'] == 'Kari Nordmann A' and shown['urgent']
    token = csrf_of(nurse_b.get('/'))
    refused = nurse_b.post(f'/alerts/{shown["id"]}/acknowledge', json={},
                           headers={'x-csrf-token': token})
    assert refused.status_code == 403
    token = csrf_of(nurse_a.get('/'))
    assert nurse_a.post(f'/alerts/{shown["id"]}/acknowledge', json={},
                        headers={'x-csrf-token': token}).status_code == 200
    assert nurse_a.get('/api/v1/alerts').json() == []


GOOD = """language: nb
gets_up: true
items:
  - exercise: sit_to_stand
    sets: 2
    repetitions: 8
"""


def test_programmes_are_checked_with_the_robots_rules_and_reach_the_robot(service):
    nurse = logged_in(service, 'nurse-a')
    page = nurse.get('/patients/p-a1/programme')
    assert 'programme-text' in page.text and 'id="save"' not in page.text
    assert nurse.post('/patients/p-a1/programme', data={'csrf': csrf_of(page), 'text': GOOD}).status_code == 403

    physio = logged_in(service, 'physio-a')
    token = csrf_of(physio.get('/patients/p-a1/programme'))
    bad = GOOD.replace('repetitions: 8', 'repetitions: 100').replace('language: nb', 'language: nn')
    refused = physio.post('/patients/p-a1/programme', data={'csrf': token, 'text': bad})
    assert refused.status_code == 422
    shown = html.unescape(refused.text)   # the same lines `berntsen check` prints
    assert "programme:1: language: 'nn' (Nynorsk) has no phrase book yet; use nb" in shown
    assert 'programme:6: item 1, repetitions: 100 is outside 1..50' in shown
    named = physio.post('/patients/p-a1/programme',
                        data={'csrf': token, 'text': 'patient:\n  name: Kari\n  id: p-a1\n' + GOOD})
    assert named.status_code == 422 and 'patient: leave it out' in named.text
    assert physio.post('/patients/p-a1/programme',
                       data={'csrf': token, 'text': 'items: [\n'}).status_code == 422

    saved = physio.post('/patients/p-a1/programme', data={'csrf': token, 'text': GOOD})
    assert saved.status_code == 200 and 'Lagret som versjon 1' in saved.text
    with robot_client(service) as robot:
        [programme] = robot.get('/api/robot/v1/programmes').json()['programmes']
    assert programme['patient_id'] == 'p-a1' and programme['version'] == 1 and programme['text'] == GOOD
    assert 'Kari' not in programme['text']
    with robot_client(service, 'b') as other:
        assert other.get('/api/robot/v1/programmes').json() == {'programmes': []}


def test_injection_in_login_and_programme_fields_changes_nothing(service):
    client = httpx.Client(base_url=service.base)
    token = csrf_of(client.get('/login'))
    for username in ("nurse-a' --", "' OR '1'='1", "nurse-a'; DROP TABLE staff; --"):
        assert client.post('/login', data={'username': username, 'password': "' OR '1'='1",
                                           'csrf': token}).status_code in (401, 429)
    physio = logged_in(service, 'physio-a')
    token = csrf_of(physio.get('/patients/p-a1/programme'))
    evil = "language: nb\nitems:\n  - exercise: \"sit_to_stand'); DROP TABLE programmes; --<script>x</script>\"\n"
    answer = physio.post('/patients/p-a1/programme', data={'csrf': token, 'text': evil})
    assert answer.status_code == 422 and '<script>x</script>' not in answer.text
    assert '&lt;script&gt;' in answer.text
    assert physio.get("/patients/p-a1'; DROP TABLE patients; --").status_code == 404
    with psycopg.connect(service.database_url) as conn:
        assert conn.execute('SELECT count(*) FROM staff').fetchone()[0] == 6
        assert conn.execute('SELECT count(*) FROM patients').fetchone()[0] == 2
        assert conn.execute('SELECT count(*) FROM programmes').fetchone()[0] == 0


def test_an_oversized_form_is_refused(service):
    physio = logged_in(service, 'physio-a')
    token = csrf_of(physio.get('/patients/p-a1/programme'))
    answer = physio.post('/patients/p-a1/programme', data={'csrf': token, 'text': 'x' * 200_000})
    assert answer.status_code == 413


def test_the_progress_report_is_the_robots_report_from_synced_sessions(service):
    with robot_client(service) as robot:
        robot.post('/api/robot/v1/sessions', json={'sessions': [session(1), session(2)]}).raise_for_status()
    nurse = logged_in(service, 'nurse-a')   # English
    page = nurse.get('/patients/p-a1')
    assert page.text.count('<time data-epoch') == 2 and '10/10' in page.text
    report = nurse.get('/patients/p-a1/report')
    assert report.status_code == 200 and 'data:image/png;base64,' in report.text
    assert 'Kari' not in report.text, 'the report names the pseudonym, as on the robot'
    assert ('nurse-a', 'read_report', 'p-a1') in audit(service.database_url)


def test_pages_speak_the_users_language_and_switch_on_request(service):
    physio = logged_in(service, 'physio-a')   # Norwegian by default
    page = physio.get('/patients')
    assert '<html lang="nb">' in page.text and 'Pasienter' in page.text
    physio.post('/language', data={'csrf': csrf_of(page), 'language': 'en', 'back': '//evil.example/'})
    page = physio.get('/patients')
    assert '<html lang="en">' in page.text and 'Patients' in page.text
    moved = physio.post('/language', data={'csrf': csrf_of(page), 'language': 'nb', 'back': '//evil.example/'})
    assert moved.headers['location'] == '/', 'never sent off to another site'


def test_an_administrator_revokes_a_robot_of_her_team_only(service):
    nurse = logged_in(service, 'nurse-a')
    assert nurse.get('/admin').status_code == 403
    admin_b = logged_in(service, 'admin-b')
    page = admin_b.get('/admin')
    assert 'robot-b' in page.text and 'robot-a' not in page.text
    with psycopg.connect(service.database_url) as conn:
        robot_a = conn.execute("SELECT id FROM robots WHERE name = 'robot-a'").fetchone()[0]
    assert admin_b.post(f'/admin/robots/{robot_a}/revoke', data={'csrf': csrf_of(page)}).status_code == 403
    admin_a = logged_in(service, 'admin-a')
    page = admin_a.get('/admin')
    assert admin_a.post(f'/admin/robots/{robot_a}/revoke', data={'csrf': csrf_of(page)}).status_code == 303
    assert 'Tilgang trukket tilbake' in admin_a.get('/admin').text
    with robot_client(service) as robot:
        assert robot.get('/api/robot/v1/sync-state').status_code == 401
    assert ('admin-a', 'revoke_robot', None) in audit(service.database_url)
