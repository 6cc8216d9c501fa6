"""The care_link node over DDS: idle without a service but alive on /diagnostics; with a
service it cannot reach, an alert waits in the outbox on disk and diagnostics say why.
(Against the real service: berntsen_care/test/test_care_session.py.)"""
import time

import pytest

from berntsen_bringup.care_sync import AlertOutbox
from berntsen_bringup.processes import NodeProcessSpec

pytestmark = [pytest.mark.ros, pytest.mark.slow]


def link_status(rclpy_node, timeout=20.0):
    from diagnostic_msgs.msg import DiagnosticArray

    seen = []
    rclpy_node.create_subscription(DiagnosticArray, '/diagnostics', lambda m: seen.extend(
        s for s in m.status if s.name == 'care_link: care service link'), 10)

    def wait(predicate, what):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if seen and predicate(seen[-1]):
                return seen[-1]
            time.sleep(0.05)
        raise AssertionError(f'{what}: not within {timeout} s; last {seen[-1:]}')
    return wait


def test_without_a_service_it_idles_and_says_so(ros_nodes, rclpy_node):
    wait = link_status(rclpy_node)
    ros_nodes(NodeProcessSpec(module='berntsen_bringup.care_link_node', name='care_link'))
    status = wait(lambda s: True, 'diagnostics')
    assert status.level == status.OK and status.message == 'no care_url: not syncing'


def test_an_alert_waits_in_the_outbox_while_the_service_is_away(ros_nodes, rclpy_node, tmp_path):
    from berntsen_coach.coach_topics import ALERT_QOS
    from berntsen_interfaces.msg import CaregiverAlert

    token = tmp_path / 'robot.token'
    token.write_text('robot-a.secret\n')
    token.chmod(0o600)
    wait = link_status(rclpy_node)
    ros_nodes(NodeProcessSpec(module='berntsen_bringup.care_link_node', name='care_link', params={
        'care_url': 'http://127.0.0.1:9', 'token_file': str(token),
        'sessions_db': str(tmp_path / 'sessions.sqlite3')}))
    wait(lambda s: True, 'diagnostics')
    alerts = rclpy_node.create_publisher(CaregiverAlert, 'caregiver/alert', ALERT_QOS)
    alerts.publish(CaregiverAlert(patient_id='p-7f3a91', reason='on_floor', urgent=True,
                                  detail='lying on the floor'))
    status = wait(lambda s: {kv.key: kv.value for kv in s.values}.get('alerts_pending') == '1',
                  'the alert pending')
    assert status.level == status.WARN and 'cannot reach' in status.message
    pending = AlertOutbox(tmp_path / 'care_outbox.sqlite3').pending()
    assert [(a['patient_id'], a['reason'], a['urgent']) for a in pending] == [('p-7f3a91', 'on_floor', True)]


def test_a_restarted_link_does_not_take_the_coachs_latched_alert_twice(ros_nodes, rclpy_node, tmp_path):
    from berntsen_bringup.processes import stop_all
    from berntsen_coach.coach_topics import ALERT_QOS
    from berntsen_interfaces.msg import CaregiverAlert

    token = tmp_path / 'robot.token'
    token.write_text('robot-a.secret\n')
    token.chmod(0o600)
    alerts = rclpy_node.create_publisher(CaregiverAlert, 'caregiver/alert', ALERT_QOS)
    alert = CaregiverAlert(patient_id='p-7f3a91', reason='on_floor', urgent=True, detail='x')
    alert.header.stamp.sec = 12
    alerts.publish(alert)   # latched, as the coach's are
    spec = NodeProcessSpec(module='berntsen_bringup.care_link_node', name='care_link', params={
        'care_url': 'http://127.0.0.1:9', 'token_file': str(token),
        'sessions_db': str(tmp_path / 'sessions.sqlite3')})
    outbox = tmp_path / 'care_outbox.sqlite3'

    def pending_after_start():
        link = ros_nodes(spec)
        deadline = time.monotonic() + 20
        while alerts.get_subscription_count() == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(2.0)   # the latched alert has arrived and been kept (or not)
        stop_all([link])
        while alerts.get_subscription_count() > 0 and time.monotonic() < deadline + 10:
            time.sleep(0.05)
        return AlertOutbox(outbox).pending()

    assert len(pending_after_start()) == 1
    assert len(pending_after_start()) == 1, 'heard again after the restart, kept once'
