"""A simulated morning sends its alert to the care service, and the nurse's page in Debian's
headless Chromium shows it at once: the whole robot graph over DDS, the care_link node, the
real service on a real PostgreSQL, the real page.

The virtual patient presses Help on her screen; the nurse of her team sees the urgent alert
within 2 s and acknowledges it; a nurse of another team sees neither the alert nor the
patient (page and API refuse); the audit log has every read and refusal.
"""
import sys
import time
from pathlib import Path

import psycopg
import pytest

from conftest import PASSWORD
from test_care_web import audit, logged_in

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / 'tests'))
from test_scenarios import run_scenario  # noqa: E402,F401  (the scenario fixture, reused)
from test_screen_session import open_screen, text, wait_until  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.ros]

PATIENT = 'p-sim-0001'   # the simulated programme's pseudonymous id
# The alert list records when an alert appears (epoch ms; the same clock as time.time()).
WATCH_ALERTS = '''
window.__alerts = [];
new MutationObserver(() => {
  for (const li of document.querySelectorAll('#alerts li')) {
    if (!window.__alerts.some(a => a[1] === li.dataset.id)) window.__alerts.push([Date.now() / 1000, li.dataset.id]);
  }
}).observe(document.getElementById('alerts'), {childList: true});
'''


def log_in(browser, base, username):
    browser.get(base + '/login')
    browser.find_element('id', 'username').send_keys(username)
    browser.find_element('id', 'password').send_keys(PASSWORD)
    browser.find_element('id', 'login').click()


def test_an_alert_of_a_simulated_morning_reaches_the_nurse_within_two_seconds(
        service, run_scenario, browser, free_port, tmp_path):
    from berntsen_care import admin

    admin.add_patient(service.database_url, PATIENT, 'Kari Simulert', 'Heimetenesta Nord')
    token_file = tmp_path / 'robot.token'
    token_file.write_text(admin.add_robot(service.database_url, 'sim-robot', 'Heimetenesta Nord'))
    token_file.chmod(0o600)
    admin.assign(service.database_url, 'sim-robot', PATIENT)

    log_in(browser, service.base, 'nurse-a')
    nurse_tab = browser.current_window_handle
    browser.execute_script(WATCH_ALERTS)
    offset = time.time() - time.monotonic()

    run = run_scenario('cooperative_morning', '--screen-port', str(free_port),
                       '--care-url', service.base, '--care-token-file', str(token_file))
    wait_until(lambda: browser.find_element('id', 'connection').get_attribute('data-state') == 'live',
               10, "the nurse's page connected", run)
    browser.switch_to.new_window('tab')
    open_screen(browser, free_port, run)
    wait_until(lambda: text(browser, 'heading') == 'God morgen!', 180, 'the greeting', run)
    browser.find_element('id', 'help').click()
    wait_until(lambda: run.rec.first('alerts', lambda a: a[1] == 'help_requested'), 5,
               'the caregiver alert', run)
    raised = run.rec.first('alerts', lambda a: a[1] == 'help_requested')[0] + offset

    browser.switch_to.window(nurse_tab)
    wait_until(lambda: browser.execute_script('return window.__alerts.length') > 0, 10,
               "the alert on the nurse's page", run)
    [(shown, alert_id)] = browser.execute_script('return window.__alerts')
    print(f'alert raised -> on the nurse\'s page: {shown - raised:.3f} s')
    assert shown - raised <= 2.0
    item = browser.find_element('css selector', f'#alerts li[data-id="{alert_id}"]')
    assert 'Kari Simulert' in item.text and 'asked for help' in item.text   # she reads English
    assert 'urgent' in item.get_attribute('class')
    seen = item.find_element('tag name', 'time').text   # the time of day it was raised
    assert seen and not seen.startswith('01/01/1970')
    item.find_element('tag name', 'button').click()
    wait_until(lambda: not browser.find_elements('css selector', '#alerts li'), 5, 'the acknowledgement', run)
    nurse_a = logged_in(service, 'nurse-a')
    assert nurse_a.get('/api/v1/alerts').json() == [], 'acknowledged: no longer open'

    # another team's nurse: no alert, and the patient's page and API refuse her
    browser.find_element('id', 'logout').click()
    log_in(browser, service.base, 'nurse-b')
    assert not browser.find_elements('css selector', '#alerts li')
    browser.get(f'{service.base}/patients/{PATIENT}')
    assert text(browser, 'error') == 'You do not have access to this.'
    assert 'Kari' not in browser.page_source
    nurse_b = logged_in(service, 'nurse-b')
    assert nurse_b.get(f'/api/v1/patients/{PATIENT}').status_code == 403
    assert nurse_b.get('/api/v1/alerts').json() == []

    log = audit(service.database_url)
    assert ('nurse-a', 'alert_shown', PATIENT) in log
    assert ('nurse-a', 'acknowledge_alert', PATIENT) in log
    assert log.count(('nurse-b', 'read_patient_refused', PATIENT)) == 2

    # Help ends the morning; the session, closed as the graph stops, follows the alert
    run.wait(120)
    with psycopg.connect(service.database_url) as conn:
        sessions = conn.execute('SELECT outcome, simulated FROM sessions').fetchall()
    assert sessions == [('help_alert', True)]

