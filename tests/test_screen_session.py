"""The patient's screen during a simulated morning: the whole graph over DDS, the virtual
patient, and the page in Debian's headless Chromium (as a kiosk on the robot would show it).

Screenshots of the page at the greeting, mid-set and at the summary are saved in
build/screenshots/ (the README shows one of each).
"""
from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
from test_scenarios import run_scenario  # noqa: F401  (the scenario fixture, reused)

pytestmark = [pytest.mark.slow, pytest.mark.ros]

SCREENSHOTS = Path(__file__).resolve().parent.parent / 'build' / 'screenshots'
# The page records when #count and #caption change (epoch ms; same clock as time.time()).
WATCH_PAGE = '''
window.__seen = [];
for (const id of ['count', 'caption']) {
  const element = document.getElementById(id);
  new MutationObserver(() => window.__seen.push([Date.now() / 1000, id, element.textContent]))
    .observe(element, {childList: true, characterData: true, subtree: true});
}
'''


def wait_until(predicate, timeout, what, run):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except Exception:   # the page between two renders
            pass
        if run.proc.poll() is not None:
            break
        time.sleep(0.1)
    run.stop()
    print(run.text[-3000:])
    pytest.fail(f'{what}: not within {timeout} s')


def text(browser, element_id):
    return browser.find_element('id', element_id).text


def open_screen(browser, port, run):
    def listening():
        with socket.socket() as s:
            return s.connect_ex(('127.0.0.1', port)) == 0
    wait_until(listening, 120, 'the screen serving its page', run)
    browser.get(f'http://127.0.0.1:{port}/')
    browser.execute_script(WATCH_PAGE)


def screenshot(browser, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SCREENSHOTS / f'{name}.png'))


def page_seen(browser, offset):
    """What the page showed and when, on the probe's monotonic clock."""
    return [(t - offset, kind, value) for t, kind, value in
            browser.execute_script('return window.__seen')]


def test_the_screen_follows_the_morning_and_pause_really_pauses(
        run_scenario, rclpy_node, browser, free_port):
    from berntsen_coach.phrases import Phrases
    from berntsen_interfaces.msg import SpeechStatus
    from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy

    nb = Phrases('nb')
    offset = time.time() - time.monotonic()
    speech = []   # (t, speaking, text): when each utterance ends, too
    rclpy_node.create_subscription(
        SpeechStatus, 'speech/status',
        lambda m: speech.append((time.monotonic(), m.speaking, m.text)),
        QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE,
                   durability=DurabilityPolicy.TRANSIENT_LOCAL))
    run = run_scenario('cooperative_morning', '--screen-port', str(free_port))
    open_screen(browser, free_port, run)
    wait_until(lambda: text(browser, 'heading') == 'God morgen!', 180, 'the greeting', run)
    screenshot(browser, 'greeting')

    # the first set: press Pause after two repetitions, in the middle of it
    wait_until(lambda: len(run.rec.kinds('repetition')) >= 2, 240, 'two repetitions', run)
    browser.find_element('id', 'pause').click()
    wait_until(lambda: run.rec.kinds('paused'), 5, 'the coach pausing', run)
    paused_at = run.rec.kinds('paused')[0][0]
    wait_until(lambda: text(browser, 'heading') == 'Pause'
               and text(browser, 'pause') == 'Fortsett', 5, 'the page showing the pause', run)
    wait_until(lambda: text(browser, 'caption') == nb.text('paused'), 15,
               'the caption saying the pause', run)

    def told_at():   # she hears it out before she reacts, as people do
        began = next(t for t, speaking, said in speech if speaking and said == nb.text('paused'))
        return next(t for t, speaking, _ in speech if t > began and not speaking)
    wait_until(told_at, 15, 'the pause phrase said to the end', run)
    time.sleep(12.0)   # she waits (else she would do three or four more); nothing is counted
    browser.find_element('id', 'pause').click()
    wait_until(lambda: run.rec.kinds('resumed'), 5, 'the coach going on', run)
    resumed_at = run.rec.kinds('resumed')[0][0]
    assert not [t for t, _ in run.rec.kinds('repetition') if paused_at < t < resumed_at], \
        'a repetition was counted while paused'
    # told, she finishes the repetition she was in (the simulator reports each as it ends:
    # within a reaction and a repetition), then waits until she is told to go on
    done = [round(t - told_at(), 1) for t, _ in run.rec.repetitions
            if told_at() + 4.5 < t < resumed_at]
    assert not done, f'the virtual patient kept exercising while paused: {done}'

    wait_until(lambda: len(run.rec.kinds('repetition')) >= 4, 120, 'counting again', run)
    screenshot(browser, 'mid_set')
    wait_until(lambda: text(browser, 'heading') == 'Bra jobbet i dag!'
               and browser.find_element('id', 'summary').is_displayed(), 300,
               'the summary', run)
    screenshot(browser, 'summary')
    assert not browser.find_element('id', 'demo-box').is_displayed()
    assert run.wait(120) == 0, run.text[-3000:]

    seen = page_seen(browser, offset)
    captions = [value for _, kind, value in seen if kind == 'caption']
    said = [said for _, said in run.rec.said]
    assert said and [s for s in said if s not in captions] == [], 'a caption was missing'
    counts = [(t, value) for t, kind, value in seen if kind == 'count']
    spoken_counts = [(t, n) for t, s in run.rec.said for n in range(1, 21) if s == nb.number(n)]
    assert len(spoken_counts) >= 10
    for said_at, n in spoken_counts:
        shown = [t for t, value in counts if value.startswith(f'{n} av ')
                 and said_at - 10.0 <= t <= said_at + 0.5]
        assert shown, f'"{nb.number(n)}" was said but {n} was not on the page within 0.5 s'


def test_help_on_the_screen_calls_a_caregiver_at_once(run_scenario, browser, free_port):
    run = run_scenario('cooperative_morning', '--screen-port', str(free_port))
    open_screen(browser, free_port, run)
    wait_until(lambda: text(browser, 'heading') == 'God morgen!', 180, 'the greeting', run)
    pressed = time.monotonic()
    browser.find_element('id', 'help').click()
    wait_until(lambda: run.rec.first('alerts', lambda a: a[1] == 'help_requested'), 5,
               'the caregiver alert', run)
    alert = run.rec.first('alerts', lambda a: a[1] == 'help_requested')
    assert alert[2], 'the alert is urgent, as for a fall'
    assert alert[0] - pressed < 3.0
    wait_until(lambda: text(browser, 'heading') == 'Hjelpen er på vei', 5, 'the page', run)
    assert not browser.find_element('id', 'help').is_enabled()
