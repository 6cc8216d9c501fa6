"""The screen node over DDS, its page in Debian's headless Chromium.

The coach's side is played by the test (a probe node publishing coach/state, events, speech
status, and serving pause_session and request_help), so each behaviour of the page is seen
alone; tests/test_screen_session.py runs the page against the whole simulated morning.
"""
import json
import socket
import time

import pytest
from berntsen_bringup.processes import NodeProcessSpec, stop_all
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy

pytestmark = [pytest.mark.slow, pytest.mark.ros]

LATCHED = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE,
                     durability=DurabilityPolicy.TRANSIENT_LOCAL)


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except Exception:   # the page may be between two renders
            pass
        time.sleep(0.05)
    pytest.fail(f'{what}: not within {timeout} s')


class FakeCoach:
    """What the screen listens to and calls, played by the test."""

    def __init__(self, node):
        from berntsen_interfaces.msg import CoachState, SessionEvent, SpeechStatus
        from std_srvs.srv import SetBool, Trigger

        self.node = node
        self.state_pub = node.create_publisher(CoachState, 'coach/state', LATCHED)
        self.event_pub = node.create_publisher(SessionEvent, 'coach/events',
                                               QoSProfile(depth=50,
                                                          reliability=ReliabilityPolicy.RELIABLE))
        self.speech_pub = node.create_publisher(SpeechStatus, 'speech/status', LATCHED)
        self.pauses, self.helps = [], []
        node.create_service(SetBool, 'pause_session', self._pause)
        node.create_service(Trigger, 'request_help', self._help)

    def _pause(self, request, response):
        self.pauses.append(request.data)
        response.success, response.message = True, 'paused' if request.data else 'going on'
        return response

    def _help(self, request, response):
        self.helps.append(time.monotonic())
        response.success, response.message = True, 'a caregiver is called'
        return response

    def state(self, step, exercise='', count=0, target=0, set_number=0, sets=0):
        from berntsen_interfaces.msg import CoachState
        msg = CoachState(routine='morning', step=step, exercise=exercise, count=count,
                         target=target, set_number=set_number, sets=sets)
        msg.header.stamp = self.node.get_clock().now().to_msg()
        self.state_pub.publish(msg)

    def event(self, kind, **detail):
        from berntsen_interfaces.msg import SessionEvent
        self.event_pub.publish(SessionEvent(session_id='1', kind=kind, detail=json.dumps(detail)))

    def say(self, text):
        from berntsen_interfaces.msg import SpeechStatus
        self.speech_pub.publish(SpeechStatus(speaking=bool(text), text=text, language='en'))


def start_screen(ros_nodes, port, **params):
    return ros_nodes(NodeProcessSpec(module='berntsen_screen.screen_node', name='screen',
                                     params={'port': port, **params}))


def page_text(browser, element_id):
    return browser.find_element('id', element_id).text


def open_page(browser, port):
    browser.get(f'http://127.0.0.1:{port}/')


def wait_for_server(port, timeout=20.0):
    def listening():
        with socket.socket() as s:
            return s.connect_ex(('127.0.0.1', port)) == 0
    wait_for(listening, timeout, f'the screen serving on port {port}')


@pytest.fixture
def coach(rclpy_node):
    return FakeCoach(rclpy_node)


def subscribed(node, topic, count=1):
    return lambda: node.count_subscribers(topic) >= count


def test_the_page_shows_the_set_the_caption_and_the_buttons_call_the_coach(
        ros_nodes, rclpy_node, coach, browser, free_port):
    start_screen(ros_nodes, free_port)
    wait_for_server(free_port)
    wait_for(subscribed(rclpy_node, 'coach/events'), 10, 'the screen subscribed')
    open_page(browser, free_port)
    wait_for(lambda: 'Ikke kontakt' in page_text(browser, 'banner'), 5,
             'the page saying the robot is not connected before the coach is heard')

    coach.event('session_started', language='en', patient_id='p-1')
    coach.state('exercise', 'seated_arm_raise', 3, 5, 1, 2)
    coach.say('Three')
    wait_for(lambda: page_text(browser, 'count') == '3 of 5', 5, 'the count')
    assert page_text(browser, 'heading') == 'Arm raises'
    assert page_text(browser, 'set') == 'Set 1 of 2'
    assert page_text(browser, 'caption') == 'Three'
    assert not browser.find_element('id', 'banner').is_displayed()
    assert browser.find_element('id', 'demo').find_elements('css selector', 'line')

    browser.find_element('id', 'pause').click()
    wait_for(lambda: coach.pauses == [True], 5, 'pause_session(true) called')
    coach.event('paused', step='exercise')
    wait_for(lambda: page_text(browser, 'pause') == 'Continue', 5, 'the button to go on')
    assert page_text(browser, 'heading') == 'Paused'
    browser.find_element('id', 'pause').click()
    wait_for(lambda: coach.pauses == [True, False], 5, 'pause_session(false) called')

    browser.find_element('id', 'help').click()
    wait_for(lambda: len(coach.helps) == 1, 5, 'request_help called')


def test_the_page_reconnects_to_a_restarted_screen_and_shows_the_state_at_once(
        ros_nodes, rclpy_node, coach, browser, free_port):
    screen = start_screen(ros_nodes, free_port)
    wait_for_server(free_port)
    coach.event('session_started', language='nb', patient_id='p-1')
    coach.state('rest', '', 0, 0, 2, 2)
    open_page(browser, free_port)
    wait_for(lambda: page_text(browser, 'heading') == 'Hvil litt', 10, 'the rest')
    assert not browser.find_element('id', 'demo-box').is_displayed(), 'no figure at rest'
    assert not browser.find_element('id', 'skeleton-box').is_displayed()

    stop_all([screen])
    wait_for(lambda: 'Ikke kontakt med roboten' in page_text(browser, 'banner'), 5,
             'the page saying it lost the robot')
    start_screen(ros_nodes, free_port)   # latched coach/state: the new node knows at once
    wait_for_server(free_port)
    coach.state('exercise', 'mini_squat', 1, 5, 2, 2)
    wait_for(lambda: page_text(browser, 'count') == '1 av 5', 15, 'the page back with the count')
    wait_for(lambda: not browser.find_element('id', 'banner').is_displayed(), 5,
             'the banner gone')


def test_a_malformed_message_from_a_page_is_answered_and_changes_nothing(
        ros_nodes, rclpy_node, coach, free_port):
    from websockets.sync.client import connect

    start_screen(ros_nodes, free_port)
    wait_for_server(free_port)
    with connect(f'ws://127.0.0.1:{free_port}/ws') as ws:
        for bad in ('not json', '[1, 2]', json.dumps({'type': 'reboot'}), 'x' * 5000):
            ws.send(bad)
            while True:   # state snapshots may come in between
                reply = json.loads(ws.recv(timeout=5))
                if reply['type'] == 'reply':
                    break
            assert not reply['ok'] and 'not understood' in reply['message']
        ws.send(json.dumps({'type': 'help'}))
        wait_for(lambda: len(coach.helps) == 1, 5, 'a good message still works')
    assert coach.pauses == []


def test_a_port_in_use_leaves_the_node_up_and_saying_so(ros_nodes, free_port):
    with socket.socket() as taken:
        taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        taken.bind(('127.0.0.1', free_port))
        taken.listen()
        screen = start_screen(ros_nodes, free_port)
        wait_for(lambda: 'cannot serve the screen' in screen.log_path.read_text(), 20,
                 'the error in the log')
        assert screen.popen.poll() is None, 'the node went down'
