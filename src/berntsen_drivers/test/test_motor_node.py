"""The motor node over DDS: watchdog, e-stop latch, limits, diagnostics, sim backend."""
import threading
import time

import pytest

from berntsen_bringup.processes import NodeProcessSpec

pytestmark = [pytest.mark.ros, pytest.mark.slow]


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f'timed out after {timeout} s waiting for {what}')


class Probe:
    """Publishes cmd_vel / e_stop, records odom (with arrival time) and diagnostics."""

    def __init__(self, node):
        from diagnostic_msgs.msg import DiagnosticArray
        from geometry_msgs.msg import Twist
        from nav_msgs.msg import Odometry
        from rclpy.qos import QoSProfile, ReliabilityPolicy
        from std_msgs.msg import Bool
        from std_srvs.srv import Trigger

        self.node, self.Twist, self.Bool, self.Trigger = node, Twist, Bool, Trigger
        reliable1 = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE)
        self.cmd_pub = node.create_publisher(Twist, 'cmd_vel', reliable1)
        reliable10 = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)
        self.e_stop_pub = node.create_publisher(Bool, 'e_stop', reliable10)
        self.odom = []
        self.diagnostics = []
        node.create_subscription(Odometry, 'odom', lambda m: self.odom.append((time.monotonic(), m)), 50)
        node.create_subscription(DiagnosticArray, '/diagnostics', self.diagnostics.append, 10)
        self.reset_client = node.create_client(Trigger, 'reset_e_stop')
        wait_for(lambda: self.odom and self.cmd_pub.get_subscription_count() > 0
                 and self.e_stop_pub.get_subscription_count() > 0, 20, 'motor node to start')

    def drive(self, linear, angular, seconds, rate=10.0):
        msg = self.Twist()
        msg.linear.x, msg.angular.z = linear, angular
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.cmd_pub.publish(msg)
            time.sleep(1.0 / rate)
        return time.monotonic()

    def twist(self):
        msg = self.odom[-1][1]
        return msg.twist.twist.linear.x, msg.twist.twist.angular.z

    def reset(self):
        assert self.reset_client.wait_for_service(timeout_sec=5)
        future = self.reset_client.call_async(self.Trigger.Request())
        wait_for(future.done, 5, 'reset_e_stop response')
        return future.result()

    def diag_values(self):
        """The next diagnostics message (published at 1 Hz)."""
        self.diagnostics.clear()
        wait_for(lambda: self.diagnostics, 3, 'diagnostics')
        status = self.diagnostics[-1].status[0]
        return status, {kv.key: kv.value for kv in status.values}


def motor(ros_nodes, backend='mock'):
    ros_nodes(NodeProcessSpec(module='berntsen_drivers.motor_node', name='motor', params={'backend': backend}))


def test_watchdog_stops_the_base_when_commands_stop(ros_nodes, rclpy_node):
    motor(ros_nodes)
    probe = Probe(rclpy_node)
    last_command = probe.drive(0.2, 0.3, 1.5)
    assert probe.twist() == pytest.approx((0.2, 0.3), abs=0.01)
    time.sleep(0.8)
    stopped = [t for t, m in probe.odom if t > last_command and m.twist.twist.linear.x == 0.0
               and m.twist.twist.angular.z == 0.0]
    assert stopped and stopped[0] - last_command < 0.5
    last = probe.odom[-1][1]
    assert last.header.frame_id == 'odom' and last.child_frame_id == 'base_link'
    assert last.pose.pose.position.x > 0.2 and last.pose.pose.orientation.z > 0.0  # went forward, turned left
    times = [t for t, _ in probe.odom[-25:]]
    # 50 Hz, seen at the probe on a loaded 2-core machine
    assert 20 < (len(times) - 1) / (times[-1] - times[0]) < 80
    status, values = probe.diag_values()
    assert values['backend'] == 'mock' and int(values['watchdog_trips']) >= 1


def test_e_stop_latches_until_reset(ros_nodes, rclpy_node):
    motor(ros_nodes)
    probe = Probe(rclpy_node)
    probe.drive(0.2, 0.0, 1.0)
    assert probe.twist()[0] == pytest.approx(0.2, abs=0.01)
    probe.e_stop_pub.publish(probe.Bool(data=True))
    probe.drive(0.2, 0.0, 0.5)
    assert probe.twist() == (0.0, 0.0)
    assert not probe.reset().success  # still asserted
    probe.e_stop_pub.publish(probe.Bool(data=False))
    probe.drive(0.2, 0.0, 0.5)
    assert probe.twist() == (0.0, 0.0)  # released but latched
    status, values = probe.diag_values()
    assert values['e_stop_latched'] == 'true' and status.level == status.WARN
    assert probe.reset().success
    probe.drive(0.2, 0.0, 1.0)
    assert probe.twist()[0] == pytest.approx(0.2, abs=0.01)


def test_limits_hold_under_a_burst_of_extreme_and_nan_commands(ros_nodes, rclpy_node):
    motor(ros_nodes)
    probe = Probe(rclpy_node)
    start = len(probe.odom)
    for linear, angular in [(1e6, -1e6), (-1e6, 1e6), (50.0, 50.0)] * 100:  # 300 commands at once
        msg = probe.Twist()
        msg.linear.x, msg.angular.z = linear, angular
        probe.cmd_pub.publish(msg)
    probe.drive(10.0, 10.0, 1.0, rate=50)
    twists = [(m.twist.twist.linear.x, m.twist.twist.angular.z) for _, m in probe.odom[start:]]
    assert max(abs(v) for v, _ in twists) <= 0.4 + 1e-6
    assert max(abs(w) for _, w in twists) <= 1.0 + 1e-6
    assert twists[-1] == pytest.approx((0.4, 1.0))
    probe.drive(float('nan'), 0.0, 0.7, rate=20)  # rejected: slows to zero at the accel limit (0.4 s)
    assert probe.twist() == (0.0, 0.0)
    assert int(probe.diag_values()[1]['rejected_commands']) > 0


def test_sim_backend_uses_wheel_topics(ros_nodes, rclpy_node):
    from rclpy.qos import qos_profile_sensor_data
    from sensor_msgs.msg import JointState
    from std_msgs.msg import Float64MultiArray

    motor(ros_nodes, backend='sim')
    commands = []
    positions = [0.0, 0.0]
    lock = threading.Lock()
    rclpy_node.create_subscription(Float64MultiArray, 'sim/wheel_commands',
                                   lambda m: commands.append(list(m.data)), 10)
    states = rclpy_node.create_publisher(JointState, 'sim/wheel_states', qos_profile_sensor_data)

    def fake_sim():  # a perfect simulated base at 50 Hz
        with lock:
            if commands:
                positions[0] += commands[-1][0] * 0.02
                positions[1] += commands[-1][1] * 0.02
            msg = JointState(name=['left_wheel', 'right_wheel'], position=list(positions),
                             velocity=list(commands[-1]) if commands else [0.0, 0.0])
        msg.header.stamp = rclpy_node.get_clock().now().to_msg()
        states.publish(msg)

    rclpy_node.create_timer(0.02, fake_sim)
    probe = Probe(rclpy_node)
    probe.drive(0.2, 0.0, 1.5)
    assert commands[-1] == pytest.approx([2.5, 2.5])  # 0.2 m/s / 0.08 m
    assert probe.twist()[0] == pytest.approx(0.2, abs=0.03)
    assert probe.odom[-1][1].pose.pose.position.x > 0.1
    time.sleep(0.6)
    assert commands[-1] == [0.0, 0.0]
    status, values = probe.diag_values()
    assert values['backend'] == 'sim' and status.level == status.OK



def test_sim_backend_exits_cleanly_on_sigint_while_driving(ros_nodes, rclpy_node):
    # rclpy's SIGINT handler invalidates the context before destroy_node runs, so no final
    # zero command can be published then: the sim must time out wheel commands itself.
    node = ros_nodes(NodeProcessSpec(module='berntsen_drivers.motor_node', name='motor', params={'backend': 'sim'}))
    probe = Probe(rclpy_node)
    probe.drive(0.2, 0.0, 0.5)
    node.signal(2)
    assert node.popen.wait(5) == 0
    assert 'Traceback' not in node.log_path.read_text()
