"""The motor node over DDS: the base guard in front of it (sources, coach/state, e-stop,
person distance), watchdog, limits, diagnostics, sim and serial backends, TwistStamped
commands, lifecycle."""
import math
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

    def __init__(self, node, wait_for_odom=True, stamped=False):
        from diagnostic_msgs.msg import DiagnosticArray
        from geometry_msgs.msg import Twist, TwistStamped
        from nav_msgs.msg import Odometry
        from rclpy.qos import QoSProfile, ReliabilityPolicy
        from std_msgs.msg import Bool
        from std_srvs.srv import Trigger

        self.node, self.Twist, self.Bool, self.Trigger = node, Twist, Bool, Trigger
        reliable1 = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE)
        self.stamped = stamped
        self.cmd_pub = node.create_publisher(TwistStamped if stamped else Twist, 'cmd_vel', reliable1)
        reliable10 = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)
        self.e_stop_pub = node.create_publisher(Bool, 'e_stop', reliable10)
        self.odom = []
        self.diagnostics = []
        node.create_subscription(Odometry, 'odom', lambda m: self.odom.append((time.monotonic(), m)), 50)
        node.create_subscription(DiagnosticArray, '/diagnostics', self.diagnostics.append, 10)
        self.reset_client = node.create_client(Trigger, 'reset_e_stop')
        wait_for(lambda: (self.odom or not wait_for_odom) and self.cmd_pub.get_subscription_count() > 0
                 and self.e_stop_pub.get_subscription_count() > 0, 20, 'motor node to start')

    def drive(self, linear, angular, seconds, rate=10.0, age=0.0):
        """Publish a command at `rate` for `seconds`; stamped ones `age` seconds old."""
        from geometry_msgs.msg import TwistStamped
        from rclpy.duration import Duration

        twist = self.Twist()
        twist.linear.x, twist.angular.z = linear, angular
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if self.stamped:
                msg = TwistStamped(twist=twist)
                msg.header.stamp = (self.node.get_clock().now() - Duration(seconds=age)).to_msg()
                self.cmd_pub.publish(msg)
            else:
                self.cmd_pub.publish(twist)
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

    def diag_values(self, name='base driver'):
        """The status `name` of the next diagnostics message (published at 1 Hz) and its values."""
        self.diagnostics.clear()
        wait_for(lambda: self.diagnostics, 3, 'diagnostics')
        status = next(s for s in self.diagnostics[-1].status if s.name == f'motor: {name}')
        return status, {kv.key: kv.value for kv in status.values}

    def coach_state(self, motion_allowed, step='approach', age=0.0):
        """Publish coach/state as the coach does (transient local), stamped `age` s ago."""
        from berntsen_interfaces.msg import CoachState
        from rclpy.duration import Duration
        from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy

        if not hasattr(self, '_state_pub'):
            self._state_pub = self.node.create_publisher(CoachState, 'coach/state', QoSProfile(
                depth=1, reliability=ReliabilityPolicy.RELIABLE, durability=DurabilityPolicy.TRANSIENT_LOCAL))
        msg = CoachState(step=step, motion_allowed=motion_allowed)
        msg.header.stamp = (self.node.get_clock().now() - Duration(seconds=age)).to_msg()
        self._state_pub.publish(msg)


MOTOR = 'berntsen_drivers.motor_node'


def motor(ros_nodes, backend='mock', **params):
    # These tests are about the driver: unless a test says otherwise, no coach is needed and
    # no wait for an e-stop state (the guard's rules have tests of their own below).
    params = {'backend': backend, 'require_coach_state': False, 'e_stop_wait': 0.0, **params}
    return ros_nodes(NodeProcessSpec(module=MOTOR, name='motor', params=params))


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
    assert probe.diag_values()[0].level == probe.diag_values()[0].WARN
    status, values = probe.diag_values('base guard')
    assert values['e_stop_latched'] == 'true' and status.level == status.WARN
    assert status.message.startswith('e-stop latched')
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
    values = probe.diag_values()[1]
    assert int(values['rejected_commands']) > 0
    assert int(values['limits_hit']) >= 10 and int(values['accel_limited_steps']) > 0


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
    node = motor(ros_nodes, backend='sim')
    probe = Probe(rclpy_node)
    probe.drive(0.2, 0.0, 0.5)
    node.signal(2)
    assert node.popen.wait(5) == 0
    assert 'Traceback' not in node.log_path.read_text()


def test_twist_stamped_commands_and_stale_ones_rejected(ros_nodes, rclpy_node):
    motor(ros_nodes, cmd_vel_stamped=True)
    probe = Probe(rclpy_node, stamped=True)
    probe.drive(0.2, 0.0, 1.0, rate=20)
    assert probe.twist()[0] == pytest.approx(0.2, abs=0.01)
    probe.drive(0.2, 0.0, 1.0, rate=20, age=2.0)  # two seconds old: rejected, the watchdog stops the base
    assert probe.twist() == (0.0, 0.0)
    assert int(probe.diag_values()[1]['rejected_commands']) > 5


@pytest.fixture
def fake_controller():
    from berntsen_drivers.fake_motor_controller import FakeMotorController

    controller = FakeMotorController(ticks_per_rev=4096)
    yield controller
    controller.close()


def test_serial_backend_against_a_fake_controller(ros_nodes, rclpy_node, fake_controller):
    from berntsen_drivers.motor_protocol import Fault

    fake = fake_controller
    motor(ros_nodes, backend='serial', serial_port=fake.port, encoder_ticks_per_rev=4096, link_timeout=0.3)
    probe = Probe(rclpy_node)
    # normal driving: odometry follows the controller's encoders
    probe.drive(0.2, 0.0, 1.5)
    assert fake.last_setpoint() == pytest.approx((2.5, 2.5))  # 0.2 m/s / 0.08 m
    assert probe.twist()[0] == pytest.approx(0.2, abs=0.03)
    travelled = sum(fake.ticks()) / 2 * 2 * math.pi / 4096 * 0.08
    assert probe.odom[-1][1].pose.pose.position.x == pytest.approx(travelled, abs=0.03)
    status, values = probe.diag_values()
    assert status.level == status.OK and values['link'] == 'ok' and values['frames_corrupted'] == '0'
    # corrupted frames: dropped, counted, driving goes on
    fake.corrupt_next(5)
    probe.drive(0.2, 0.0, 0.5)
    assert fake.last_setpoint() == pytest.approx((2.5, 2.5))  # (before the watchdog stops it)
    status, values = probe.diag_values()
    assert 5 <= int(values['frames_corrupted']) <= 10 and status.level == status.OK  # see test_serial_backend
    # controller silent: zero set-points (it may still hear us), diagnostics ERROR
    fake.go_silent()
    probe.drive(0.2, 0.0, 0.8)
    assert fake.last_setpoint() == (0.0, 0.0)
    status, values = probe.diag_values()
    assert status.level == status.ERROR and 'silent' in status.message and values['link'] == 'silent'
    # it comes back: new commands move the wheels again
    fake.come_back()
    probe.drive(0.2, 0.0, 1.0)
    assert fake.last_setpoint() == pytest.approx((2.5, 2.5))
    status, values = probe.diag_values()
    assert status.level == status.OK and values['link_losses'] == '1'
    # a fault: reported in diagnostics, motion stopped while it lasts
    fake.report_fault(Fault.OVER_CURRENT | Fault.UNDER_VOLTAGE)
    probe.drive(0.2, 0.0, 0.5)
    assert fake.last_setpoint() == (0.0, 0.0) and fake.velocities == (0.0, 0.0)
    status, values = probe.diag_values()
    assert status.level == status.ERROR and 'OVER_CURRENT' in status.message
    assert values['fault_code'] == '0x05' and values['faults'] == 'OVER_CURRENT,UNDER_VOLTAGE'
    assert probe.twist() == pytest.approx((0.0, 0.0), abs=0.01)


def change_state(node, transition_id):
    from lifecycle_msgs.srv import ChangeState

    client = node.create_client(ChangeState, 'motor/change_state')
    assert client.wait_for_service(timeout_sec=10)
    request = ChangeState.Request()
    request.transition.id = transition_id
    future = client.call_async(request)
    wait_for(future.done, 5, f'transition {transition_id}')
    node.destroy_client(client)
    return future.result().success


def test_lifecycle_without_autostart_moves_only_when_active(ros_nodes, rclpy_node, fake_controller):
    from lifecycle_msgs.msg import Transition

    fake = fake_controller
    motor(ros_nodes, backend='serial', serial_port=fake.port, autostart=False)
    probe = Probe(rclpy_node, wait_for_odom=False)
    probe.drive(0.2, 0.0, 0.5)
    assert fake.setpoints == [] and fake.heartbeats_received == 0  # unconfigured: port closed
    status, values = probe.diag_values()
    assert values['lifecycle_state'] == 'unconfigured' and not probe.odom
    assert change_state(rclpy_node, Transition.TRANSITION_CONFIGURE)
    probe.drive(0.2, 0.0, 0.5)
    assert fake.heartbeats_received > 0  # the port is open...
    assert {s[1:] for s in fake.setpoints} == {(0.0, 0.0)} and fake.ticks() == (0, 0)  # ...but no motion
    assert probe.diag_values()[1]['lifecycle_state'] == 'inactive'
    assert change_state(rclpy_node, Transition.TRANSITION_ACTIVATE)
    probe.drive(0.2, 0.0, 1.0)
    assert fake.last_setpoint() == pytest.approx((2.5, 2.5)) and probe.odom
    # deactivate while commands still come: the wheels stop, and stay stopped
    commands = threading.Thread(target=probe.drive, args=(0.2, 0.0, 1.5))
    commands.start()
    time.sleep(0.3)
    assert change_state(rclpy_node, Transition.TRANSITION_DEACTIVATE)
    deactivated = time.monotonic()
    time.sleep(0.3)
    assert fake.last_setpoint() == (0.0, 0.0) and fake.velocities == (0.0, 0.0)
    first_zero = next(t for t, left, right in fake.setpoints if t > deactivated - 0.2 and (left, right) == (0.0, 0.0))
    assert first_zero - deactivated < 0.1
    commands.join()
    assert fake.last_setpoint() == (0.0, 0.0)
    assert change_state(rclpy_node, Transition.TRANSITION_CLEANUP)
    heartbeats = fake.heartbeats_received
    time.sleep(0.5)
    assert fake.heartbeats_received == heartbeats  # port closed


def test_serial_backend_stops_the_wheels_on_sigint(ros_nodes, rclpy_node, fake_controller):
    fake = fake_controller
    node = motor(ros_nodes, backend='serial', serial_port=fake.port)
    probe = Probe(rclpy_node)
    probe.drive(0.2, 0.0, 0.5)
    assert fake.last_setpoint() != (0.0, 0.0)
    node.signal(2)
    assert node.popen.wait(5) == 0
    assert fake.last_setpoint() == (0.0, 0.0)  # the last word to the controller: stop
    assert 'Traceback' not in node.log_path.read_text()


def test_the_guard_lets_the_base_move_only_while_the_coach_allows_it(ros_nodes, rclpy_node):
    motor(ros_nodes, require_coach_state=True, coach_state_timeout=1.0)
    probe = Probe(rclpy_node)
    probe.drive(0.2, 0.0, 0.8)
    assert probe.twist() == (0.0, 0.0), 'no coach/state: no motion'
    assert probe.diag_values('base guard')[0].message == 'no coach/state yet'
    probe.coach_state(False, 'exercise')
    probe.drive(0.2, 0.0, 0.8)
    assert probe.twist() == (0.0, 0.0), 'the person exercises: no motion'
    status, values = probe.diag_values('base guard')
    assert status.message == 'coach/state forbids motion (step exercise)' and status.level == status.OK
    probe.coach_state(True)
    probe.drive(0.2, 0.0, 0.7)
    assert probe.twist()[0] == pytest.approx(0.2, abs=0.01)
    probe.drive(0.2, 0.0, 1.0)   # no heartbeat for more than coach_state_timeout
    assert probe.twist() == (0.0, 0.0), 'a stale coach/state stops the base'
    status, values = probe.diag_values('base guard')
    assert status.message.startswith('coach/state is') and status.level == status.WARN
    assert int(values['guard_refusals']) > 10


def test_a_higher_priority_source_outranks_cmd_vel(ros_nodes, rclpy_node):
    from geometry_msgs.msg import Twist
    from rclpy.qos import QoSProfile, ReliabilityPolicy

    motor(ros_nodes)
    probe = Probe(rclpy_node)
    teleop = rclpy_node.create_publisher(Twist, 'teleop/cmd_vel', QoSProfile(
        depth=1, reliability=ReliabilityPolicy.RELIABLE))
    wait_for(lambda: teleop.get_subscription_count() > 0, 5, 'teleop/cmd_vel subscriber')
    back = Twist()
    back.linear.x = -0.1
    end = time.monotonic() + 1.0
    while time.monotonic() < end:   # both at once: the person at the joystick wins
        teleop.publish(back)
        probe.drive(0.2, 0.0, 0.05, rate=20)
    assert probe.twist()[0] == pytest.approx(-0.1, abs=0.01)
    assert probe.diag_values('base guard')[1]['driving_source'] == ''   # all quiet again


def test_forward_motion_near_the_person_is_refused(ros_nodes, rclpy_node):
    from sensor_msgs.msg import Range

    motor(ros_nodes, min_person_distance=1.0)
    probe = Probe(rclpy_node)
    distance = rclpy_node.create_publisher(Range, 'person_distance', 10)
    near = Range(range=0.6)
    near.header.frame_id = 'base_link'

    def drive_near(linear):
        end = time.monotonic() + 0.8
        while time.monotonic() < end:
            near.header.stamp = rclpy_node.get_clock().now().to_msg()
            distance.publish(near)
            probe.drive(linear, 0.0, 0.1, rate=20)

    drive_near(0.2)
    assert probe.twist() == pytest.approx((0.0, 0.0), abs=1e-6)
    drive_near(-0.1)
    assert probe.twist()[0] == pytest.approx(-0.1, abs=0.01), 'backing away is let through'


def test_an_e_stop_pressed_before_the_motor_node_starts_holds(ros_nodes, rclpy_node):
    from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
    from std_msgs.msg import Bool

    button = rclpy_node.create_publisher(Bool, 'e_stop', QoSProfile(
        depth=1, reliability=ReliabilityPolicy.RELIABLE, durability=DurabilityPolicy.TRANSIENT_LOCAL))
    button.publish(Bool(data=True))   # nobody listens yet
    motor(ros_nodes)
    probe = Probe(rclpy_node)
    probe.drive(0.2, 0.0, 1.0)
    assert probe.twist() == (0.0, 0.0)
    assert probe.diag_values('base guard')[1]['e_stop_latched'] == 'true'
    button.publish(Bool(data=False))
    probe.drive(0.2, 0.0, 0.3)
    assert probe.twist() == (0.0, 0.0), 'released, still latched'
    assert probe.reset().success
    probe.drive(0.2, 0.0, 1.0)
    assert probe.twist()[0] == pytest.approx(0.2, abs=0.01)


def test_no_motion_after_start_up_until_the_e_stop_state_is_heard(ros_nodes, rclpy_node):
    motor(ros_nodes, e_stop_wait=30.0)
    probe = Probe(rclpy_node)
    probe.drive(0.2, 0.0, 1.0)
    assert probe.twist() == (0.0, 0.0)
    assert 'no e-stop state heard yet' in probe.diag_values('base guard')[1]['motion_refused']
    probe.e_stop_pub.publish(probe.Bool(data=False))   # the button says: not pressed
    probe.drive(0.2, 0.0, 1.0)
    assert probe.twist()[0] == pytest.approx(0.2, abs=0.01)


def test_the_e_stop_latch_outlives_a_restart_of_the_motor_node(ros_nodes, rclpy_node, tmp_path):
    latch_file = str(tmp_path / 'e_stop_latched')
    first = motor(ros_nodes, e_stop_latch_file=latch_file)
    probe = Probe(rclpy_node)
    probe.e_stop_pub.publish(probe.Bool(data=True))
    probe.e_stop_pub.publish(probe.Bool(data=False))   # pressed and released at once
    wait_for(lambda: (tmp_path / 'e_stop_latched').exists(), 5, 'the latch to be written')
    first.signal(2)
    assert first.popen.wait(5) == 0
    probe.odom.clear()
    second = motor(ros_nodes, e_stop_latch_file=latch_file)
    wait_for(lambda: probe.odom, 20, 'the restarted motor node')
    probe.drive(0.2, 0.0, 1.0)
    assert probe.twist() == (0.0, 0.0), 'the restarted node is still latched'
    assert 'e-stop was latched before this node started' in second.log_path.read_text()
    assert probe.reset().success
    probe.drive(0.2, 0.0, 1.0)
    assert probe.twist()[0] == pytest.approx(0.2, abs=0.01)
