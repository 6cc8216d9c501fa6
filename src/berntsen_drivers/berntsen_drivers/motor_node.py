"""Motor node: velocity sources and `e_stop` in, wheel commands out, `odom` and `/diagnostics`.

Its front door is the base guard (`base_guard.BaseGuard`): every velocity source
(`velocity_sources`, with priorities: `teleop/cmd_vel`, `approach/cmd_vel`, `cmd_vel`), the
latching e-stop, the coach's `coach/state` (motion only while it allows it, none when it is
stale) and `person_distance` (only motion away from a person nearer than
`min_person_distance`) decide whether the base may move; the guard's reasons are on
`/diagnostics`. Nothing reaches the wheels past it. Then `diff_drive.MotorController`
(limits, watchdog) and `diff_drive.WheelOdometry`; where the wheels are is the backend's
business (`backend` parameter): `mock` (wheels that do as told), `sim` (the MuJoCo sim's
wheel topics), `serial` (the motor controller, `serial_backend`) or `gazebo` (a Twist for
Gazebo's DiffDrive, which publishes odometry itself).

The e-stop topic is subscribed twice, transient-local (a button node's press published
before this node started still arrives) and volatile (a `ros2 topic pub` arrives too); with
`e_stop_latch_file` the latch survives a restart of this node. Until an e-stop state has been
heard, or `e_stop_wait` has passed since start-up, the base does not move: on a loaded start
discovery can match a velocity source before the button whose press is waiting.

A managed (lifecycle) node: configure opens the backend (the serial port), activate
enables motion and odometry, deactivate stops the wheels (zero set-points, which keep
flowing), cleanup closes the backend. With `autostart` (default) it configures and
activates itself on start-up, for runners without a lifecycle manager; otherwise it waits
for `<node>/change_state`. The e-stop latch survives every transition.
"""
from __future__ import annotations

import gc
import math
import signal
import sys
import time

import rclpy
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from geometry_msgs.msg import Twist, TwistStamped
from nav_msgs.msg import Odometry
from rcl_interfaces.msg import FloatingPointRange, IntegerRange, ParameterDescriptor
from rclpy.exceptions import ParameterException
from rclpy.executors import ExternalShutdownException
from rclpy.lifecycle import LifecycleNode, LifecycleState, TransitionCallbackReturn
from rclpy.node import Node
from rclpy.time import Time
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy, qos_profile_sensor_data
from sensor_msgs.msg import JointState, Range
from std_msgs.msg import Bool, Float64MultiArray
from std_srvs.srv import Trigger

from berntsen_interfaces.msg import CoachState
from berntsen_drivers.base_guard import BaseGuard, Decision, EStopLatch, GuardSettings, Source
from berntsen_drivers.diff_drive import DiffDriveKinematics, Limits, MotorController, WheelOdometry
from berntsen_drivers.wheel_backends import ERROR, OK, WARN, BackendStatus, MockBackend, WheelState

BACKENDS = ('mock', 'sim', 'serial', 'gazebo')
SIM_WHEEL_NAMES = ('left_wheel', 'right_wheel')
WHEEL_STATE_TIMEOUT = 1.0  # s without sim wheel states before diagnostics says ERROR
# A person at the joystick outranks the approach, which outranks any other cmd_vel publisher.
DEFAULT_SOURCES = ('teleop/cmd_vel', 'approach/cmd_vel', 'cmd_vel')
DEFAULT_PRIORITIES = (100, 50, 10)


class SimBackend:
    """The MuJoCo sim's wheels: commands on `sim/wheel_commands`, states on `sim/wheel_states`."""

    name = 'sim'

    def __init__(self, node: Node):
        self._node = node
        # Reliable depth 1: the sim should get every command, and only the newest matters.
        self._pub = node.create_publisher(Float64MultiArray, 'sim/wheel_commands',
                                          QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE))
        # Sensor-data QoS (REP 2003): a lost wheel state is superseded by the next one.
        self._sub = node.create_subscription(JointState, 'sim/wheel_states', self._on_states, qos_profile_sensor_data)
        self._state: WheelState | None = None
        self.received_at: float | None = None
        self._started = time.monotonic()

    def _on_states(self, msg: JointState) -> None:
        try:
            indices = [list(msg.name).index(name) for name in SIM_WHEEL_NAMES]
            positions = [msg.position[i] for i in indices]
            velocities = [msg.velocity[i] if len(msg.velocity) > i else 0.0 for i in indices]
        except (ValueError, IndexError):
            self._node.get_logger().warning(
                f'sim/wheel_states needs positions for {SIM_WHEEL_NAMES}, got names {list(msg.name)}',
                throttle_duration_sec=5.0)
            return
        if not all(math.isfinite(v) for v in positions + velocities):
            self._node.get_logger().warning('sim/wheel_states with NaN or infinity ignored', throttle_duration_sec=5.0)
            return
        self.received_at = time.monotonic()
        stamp = msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9
        self._state = WheelState(*positions, *velocities, stamp=stamp or self.received_at)

    def command(self, left, right, now):
        self._pub.publish(Float64MultiArray(data=[float(left), float(right)]))

    def read(self, now):
        return self._state

    def status(self, now):
        # The sim drives its wheels without us; only say so, don't stop (the sim may be starting).
        since = self.received_at or self._started
        if now - since > WHEEL_STATE_TIMEOUT:
            return BackendStatus(ERROR, 'no sim/wheel_states', True)
        return BackendStatus(OK, 'ok', True)

    def close(self):
        if self._node.context.ok():  # after an external shutdown nothing can be published any more
            self._pub.publish(Float64MultiArray(data=[0.0, 0.0]))
            self._node.destroy_publisher(self._pub)  # on cleanup; destroy_node does it otherwise
            self._node.destroy_subscription(self._sub)


class GazeboBackend:
    """Gazebo's DiffDrive system: the guarded, limited twist on `gazebo/cmd_vel` (bridged by
    ros_gz_bridge). Gazebo integrates the wheels and publishes `odom` itself."""

    name = 'gazebo'
    publishes_odom = False

    def __init__(self, node: Node, kinematics: DiffDriveKinematics):
        self._node, self._kinematics = node, kinematics
        self._pub = node.create_publisher(Twist, 'gazebo/cmd_vel',
                                          QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE))

    def command(self, left, right, now):
        linear, angular = self._kinematics.twist(left, right)   # rad/s -> m/s, rad/s
        twist = Twist()
        twist.linear.x, twist.angular.z = linear, angular
        self._pub.publish(twist)

    def read(self, now):
        return None

    def status(self, now):
        return BackendStatus(OK, 'ok', True)

    def close(self):
        if self._node.context.ok():
            self._pub.publish(Twist())
            self._node.destroy_publisher(self._pub)


def _float_param(description: str, low: float, high: float) -> ParameterDescriptor:
    return ParameterDescriptor(description=description, read_only=True,
                               floating_point_range=[FloatingPointRange(from_value=low, to_value=high, step=0.0)])


def _int_param(description: str, low: int, high: int) -> ParameterDescriptor:
    return ParameterDescriptor(description=description, read_only=True,
                               integer_range=[IntegerRange(from_value=low, to_value=high, step=1)])


SUCCESS, FAILURE = TransitionCallbackReturn.SUCCESS, TransitionCallbackReturn.FAILURE


class MotorNode(LifecycleNode):
    def __init__(self, **kwargs):
        self._backend = None  # destroy_node may run on a half-built node (bad parameter)
        super().__init__('motor', **kwargs)
        self.declare_parameter('backend', 'mock', ParameterDescriptor(
            description=f'Where the wheels are; choices: {", ".join(BACKENDS)}', read_only=True))
        self.declare_parameter('autostart', True, ParameterDescriptor(
            description='Configure and activate on start-up; false: wait for the lifecycle change_state service',
            read_only=True))
        self.declare_parameter('cmd_vel_stamped', False, ParameterDescriptor(
            description='cmd_vel is geometry_msgs/TwistStamped (commands older than cmd_timeout are rejected) '
                        'instead of geometry_msgs/Twist', read_only=True))
        self.declare_parameter('wheel_radius', 0.08, _float_param('Wheel radius (m)', 0.01, 1.0))
        self.declare_parameter('wheel_separation', 0.40, _float_param('Distance between the wheels (m)', 0.05, 2.0))
        self.declare_parameter('max_linear', 0.4, _float_param('Speed limit forwards/backwards (m/s)', 0.01, 2.0))
        self.declare_parameter('max_angular', 1.0, _float_param('Turn rate limit (rad/s)', 0.01, 6.0))
        self.declare_parameter('max_linear_accel', 1.0, _float_param('Linear acceleration limit (m/s^2)', 0.01, 10.0))
        self.declare_parameter('max_angular_accel', 2.0,
                               _float_param('Angular acceleration limit (rad/s^2)', 0.01, 20.0))
        self.declare_parameter('cmd_timeout', 0.3, _float_param(
            'Stop when no cmd_vel came for this long (s); the base must stop within 0.5 s', 0.05, 0.45))
        self.declare_parameter('control_rate', 50.0, _float_param('Control loop and odom rate (Hz)', 10.0, 200.0))
        self.declare_parameter('odom_frame', 'odom', ParameterDescriptor(
            description='Frame of the odometry pose (REP 105)', read_only=True))
        self.declare_parameter('base_frame', 'base_link', ParameterDescriptor(
            description='Frame of the robot base (REP 105)', read_only=True))
        self.declare_parameter('serial_port', '/dev/ttyACM0', ParameterDescriptor(
            description='serial backend: the motor controller\'s device', read_only=True))
        self.declare_parameter('serial_baud', 115200, _int_param('serial backend: baud rate', 9600, 4000000))
        self.declare_parameter('encoder_ticks_per_rev', 4096,
                               _int_param('serial backend: encoder ticks per wheel revolution', 1, 10000000))
        self.declare_parameter('heartbeat_period', 0.1, _float_param(
            'serial backend: seconds between our heartbeats to the controller', 0.01, 1.0))
        self.declare_parameter('link_timeout', 0.3, _float_param(
            'serial backend: controller silent this long (s) -> stop, diagnostics ERROR', 0.05, 2.0))
        self.declare_parameter('reconnect_period', 1.0, _float_param(
            'serial backend: seconds between attempts to reopen a lost port', 0.1, 30.0))
        self.declare_parameter('velocity_sources', list(DEFAULT_SOURCES), ParameterDescriptor(
            description='Velocity command topics; the highest-priority one with a command younger '
                        'than cmd_timeout drives', read_only=True))
        self.declare_parameter('velocity_priorities', list(DEFAULT_PRIORITIES), ParameterDescriptor(
            description='Priority of each of velocity_sources (higher wins)', read_only=True))
        self.declare_parameter('require_coach_state', True, ParameterDescriptor(
            description='Move only while the newest coach/state allows motion; false only on a '
                        'robot without the coach (teleoperated bring-up)', read_only=True))
        self.declare_parameter('coach_state_timeout', 3.0, _float_param(
            'A coach/state older than this (s, stamp against this node\'s clock) forbids motion',
            0.5, 60.0))
        self.declare_parameter('min_person_distance', 1.0, _float_param(
            'Closer to the person than this (m, person_distance) only motion away from her is '
            'let through; 0: off', 0.0, 5.0))
        self.declare_parameter('person_timeout', 1.0, _float_param(
            'A person_distance older than this (s) no longer counts', 0.1, 10.0))
        self.declare_parameter('e_stop_wait', 5.0, _float_param(
            'After start-up, no motion for this long (s) unless an e_stop state (pressed or not) '
            'arrives first: a press made before this node started can arrive late', 0.0, 60.0))
        self.declare_parameter('e_stop_latch_file', '', ParameterDescriptor(
            description='File that keeps the e-stop latch across restarts of this node '
                        '(e.g. ~/.local/state/berntsen/e_stop_latched); empty: kept in memory',
            read_only=True))

        param = lambda name: self.get_parameter(name).value  # noqa: E731
        self._backend_name = param('backend')
        # rclpy enforces the declared ranges, also on start-up overrides, but not choices
        if self._backend_name not in BACKENDS:
            raise ValueError(f'parameter backend: {self._backend_name!r} is not one of {", ".join(BACKENDS)}')
        kinematics = DiffDriveKinematics(param('wheel_radius'), param('wheel_separation'))
        limits = Limits(param('max_linear'), param('max_angular'),
                        param('max_linear_accel'), param('max_angular_accel'))
        self._cmd_timeout = param('cmd_timeout')
        self._kinematics = kinematics
        self._controller = MotorController(kinematics, limits, self._cmd_timeout)
        topics, priorities = list(param('velocity_sources')), list(param('velocity_priorities'))
        if len(topics) != len(priorities):
            raise ValueError(f'velocity_sources ({len(topics)}) and velocity_priorities '
                             f'({len(priorities)}) must be as long as each other')
        # Made here, not in configure: an e-stop latch survives every lifecycle transition.
        self._guard = BaseGuard(GuardSettings(
            sources=tuple(Source(t, int(p)) for t, p in zip(topics, priorities)),
            cmd_timeout=self._cmd_timeout, require_coach_state=param('require_coach_state'),
            state_timeout=param('coach_state_timeout'),
            min_person_distance=param('min_person_distance'),
            person_timeout=param('person_timeout'), e_stop_wait=param('e_stop_wait')),
            EStopLatch(param('e_stop_latch_file') or None), started=time.monotonic())
        if self._guard.e_stop.restored:
            self.get_logger().warning('e-stop was latched before this node started: wheels stopped '
                                      'until reset_e_stop is called')
        self._applied: tuple | None = None   # the (source, receipt time) last given to the controller
        self._last_refusal = ''
        self._refusals = 0   # control steps where a fresh command was refused or limited
        self._odometry = WheelOdometry(kinematics)
        self._odom_frame, self._base_frame = param('odom_frame'), param('base_frame')
        self._rejected_commands = 0
        self._ignored_commands = 0  # while not active
        self._active = False
        self._lifecycle = 'unconfigured'
        self._backend_status = BackendStatus(WARN, 'not configured', False)

        # Reliable depth 1: a velocity command must not be dropped, and only the newest counts.
        cmd_qos = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE)
        for topic in topics:
            if param('cmd_vel_stamped'):
                self.create_subscription(TwistStamped, topic,
                                         lambda m, t=topic: self._on_cmd_vel_stamped(t, m), cmd_qos)
            else:
                self.create_subscription(Twist, topic, lambda m, t=topic: self._on_cmd_vel(t, m), cmd_qos)
        # Reliable: no e-stop edge may be lost. Transient local: a press made before this node
        # (re)started arrives; volatile: publishers that keep no history are heard too.
        for durability in (DurabilityPolicy.TRANSIENT_LOCAL, DurabilityPolicy.VOLATILE):
            self.create_subscription(Bool, 'e_stop', self._on_e_stop, QoSProfile(
                depth=10, reliability=ReliabilityPolicy.RELIABLE, durability=durability))
        # The coach publishes its state transient local and re-publishes it every second.
        self.create_subscription(CoachState, 'coach/state', self._on_coach_state, QoSProfile(
            depth=1, reliability=ReliabilityPolicy.RELIABLE, durability=DurabilityPolicy.TRANSIENT_LOCAL))
        self.create_subscription(Range, 'person_distance', self._on_person_distance,
                                 qos_profile_sensor_data)
        self.create_service(Trigger, 'reset_e_stop', self._on_reset_e_stop)
        # System-default QoS for driver output (REP 2003).
        self._odom_pub = self.create_publisher(Odometry, 'odom', 10)
        self._diag_pub = self.create_publisher(DiagnosticArray, '/diagnostics', 10)
        self.create_timer(1.0 / param('control_rate'), self._control_step)
        self.create_timer(1.0, self._publish_diagnostics)
        self.get_logger().info(f'motor backend {self._backend_name}: r={kinematics.wheel_radius} m, '
                               f'b={kinematics.wheel_separation} m, limits {limits}')
        if param('autostart') and self.trigger_configure() == SUCCESS:
            self.trigger_activate()

    # ------------------------------------------------------------ lifecycle

    def _make_backend(self):
        param = lambda name: self.get_parameter(name).value  # noqa: E731
        if self._backend_name == 'sim':
            return SimBackend(self)
        if self._backend_name == 'gazebo':
            return GazeboBackend(self, self._kinematics)
        if self._backend_name == 'serial':
            from berntsen_drivers.serial_backend import SerialBackend  # pyserial only where it is used
            return SerialBackend(param('serial_port'), param('serial_baud'), param('encoder_ticks_per_rev'),
                                 param('heartbeat_period'), param('link_timeout'), param('reconnect_period'))
        return MockBackend()

    def on_configure(self, state: LifecycleState) -> TransitionCallbackReturn:
        try:
            self._backend = self._make_backend()
        except (ImportError, ValueError) as exc:
            self.get_logger().error(f'cannot configure the {self._backend_name} backend: {exc}')
            return FAILURE
        if self._backend_name == 'serial' and not self._backend.open(time.monotonic()):
            # not fatal: the port is retried every reconnect_period, diagnostics say ERROR meanwhile
            self.get_logger().error(f'{self._backend.last_error}; retrying')
        self._odometry.reset()
        self._lifecycle = 'inactive'
        self.get_logger().info(f'configured: {self._backend_name} backend')
        return SUCCESS

    def on_activate(self, state: LifecycleState) -> TransitionCallbackReturn:
        self._controller.halt()  # a command sent before activation never moves the wheels
        self._active, self._lifecycle = True, 'active'
        self.get_logger().info('active: motion enabled')
        return SUCCESS

    def on_deactivate(self, state: LifecycleState) -> TransitionCallbackReturn:
        self._stop_motion()
        self._lifecycle = 'inactive'
        self.get_logger().info('inactive: wheels stopped')
        return SUCCESS

    def on_cleanup(self, state: LifecycleState) -> TransitionCallbackReturn:
        self._release_backend()
        self._lifecycle = 'unconfigured'
        return SUCCESS

    def on_shutdown(self, state: LifecycleState) -> TransitionCallbackReturn:
        self._release_backend()
        self._lifecycle = 'finalized'
        return SUCCESS

    def on_error(self, state: LifecycleState) -> TransitionCallbackReturn:
        self._release_backend()
        self._lifecycle = 'unconfigured'
        return SUCCESS

    def _stop_motion(self) -> None:
        self._active = False
        self._controller.halt()
        if self._backend is not None:
            self._backend.command(0.0, 0.0, time.monotonic())

    def _release_backend(self) -> None:
        self._stop_motion()
        backend, self._backend = self._backend, None
        if backend is not None:
            backend.close()
        self._backend_status = BackendStatus(WARN, 'not configured', False)

    # ------------------------------------------------------------ inputs

    def _on_cmd_vel(self, topic: str, msg: Twist) -> None:
        if not self._active:
            self._ignored_commands += 1
            self.get_logger().warning(f'{topic} ignored: node is {self._lifecycle}', throttle_duration_sec=5.0)
            return
        try:
            self._guard.offer(topic, msg.linear.x, msg.angular.z, time.monotonic())
        except ValueError as exc:
            self._rejected_commands += 1
            self.get_logger().warning(f'{topic} rejected, stopping: {exc}', throttle_duration_sec=2.0)

    def _on_cmd_vel_stamped(self, topic: str, msg: TwistStamped) -> None:
        stamp = Time.from_msg(msg.header.stamp, clock_type=self.get_clock().clock_type)
        if stamp.nanoseconds:  # an unset stamp is accepted as "now"
            age = (self.get_clock().now() - stamp).nanoseconds * 1e-9
            if age > self._cmd_timeout:
                self._rejected_commands += 1
                self.get_logger().warning(f'{topic}: command {age:.2f} s old rejected', throttle_duration_sec=2.0)
                return
        self._on_cmd_vel(topic, msg.twist)

    def _on_e_stop(self, msg: Bool) -> None:
        if self._guard.e_stop.set(msg.data):
            self._controller.halt()
            self.get_logger().warning('e-stop: wheels stopped until reset_e_stop is called')

    def _on_reset_e_stop(self, request, response):
        response.success, response.message = self._guard.e_stop.reset()
        self._controller.halt()   # a reset never resumes an old command
        self.get_logger().info(f'reset_e_stop: {response.message}')
        return response

    def _ros_now(self) -> float:
        return self.get_clock().now().nanoseconds * 1e-9

    def _on_coach_state(self, msg: CoachState) -> None:
        stamp = Time.from_msg(msg.header.stamp, clock_type=self.get_clock().clock_type)
        # An unstamped state is taken as new now: still safe, since it goes stale like any other.
        self._guard.coach_state(msg.motion_allowed, msg.step,
                                stamp.nanoseconds * 1e-9 if stamp.nanoseconds else self._ros_now())

    def _on_person_distance(self, msg: Range) -> None:
        stamp = Time.from_msg(msg.header.stamp, clock_type=self.get_clock().clock_type)
        try:
            self._guard.person_distance(msg.range, stamp.nanoseconds * 1e-9 if stamp.nanoseconds
                                        else self._ros_now())
        except ValueError as exc:
            self.get_logger().warning(f'person_distance ignored: {exc}', throttle_duration_sec=5.0)

    def _apply(self, decision: Decision) -> None:
        """Hand the guard's decision to the controller; log each new reason for refusing."""
        if decision.refusal and decision.source:
            self._refusals += 1
            if decision.refusal != self._last_refusal:
                self.get_logger().warning(f'{decision.source} refused: {decision.refusal}')
        self._last_refusal = decision.refusal if decision.source else ''
        if decision.command is None:
            self._controller.halt()
            self._applied = None
            return
        # Once per message (and per change the guard makes to it), stamped with its arrival:
        # limits_hit counts messages, and the watchdog runs from the message as before.
        key = (decision.source, decision.received, decision.command)
        if key != self._applied:
            self._controller.command(*decision.command, decision.received)
            self._applied = key

    # ------------------------------------------------------------ control loop

    def _control_step(self) -> None:
        backend = self._backend
        if backend is None:
            return
        now = time.monotonic()
        state = backend.read(now)  # first: the status below is about what just arrived
        status = backend.status(now)
        if status.message != self._backend_status.message:
            # two calls: an rclpy log call site must keep one severity
            if status.level == OK:
                self.get_logger().info(f'{backend.name} backend: {status.message}')
            else:
                self.get_logger().error(f'{backend.name} backend: {status.message}')
        self._backend_status = status
        self._apply(self._guard.decide(now, self._ros_now()))
        left, right = self._controller.step(now)
        if not (self._active and status.can_move):
            self._controller.halt()
            left = right = 0.0
        backend.command(left, right, now)
        if state is not None:
            self._odometry.update(state.left_position, state.right_position, state.stamp)
        if self._active and getattr(backend, 'publishes_odom', True):
            self._publish_odom()

    def _publish_odom(self) -> None:
        pose, odom = self._odometry.pose, Odometry()
        odom.header.stamp = self.get_clock().now().to_msg()
        odom.header.frame_id = self._odom_frame
        odom.child_frame_id = self._base_frame
        odom.pose.pose.position.x, odom.pose.pose.position.y = pose.x, pose.y
        odom.pose.pose.orientation.z = math.sin(pose.theta / 2.0)
        odom.pose.pose.orientation.w = math.cos(pose.theta / 2.0)
        odom.twist.twist.linear.x = self._odometry.linear
        odom.twist.twist.angular.z = self._odometry.angular
        # Planar robot: x, y, yaw drift slowly; z, roll, pitch are fixed (large variance = unused).
        odom.pose.covariance = _diagonal(1e-3, 1e-3, 1e6, 1e6, 1e6, 1e-2)
        odom.twist.covariance = _diagonal(1e-3, 1e6, 1e6, 1e6, 1e6, 1e-2)
        self._odom_pub.publish(odom)

    def _publish_diagnostics(self) -> None:
        controller, backend_status = self._controller, self._backend_status
        status = DiagnosticStatus(name=f'{self.get_name()}: base driver', hardware_id=self._backend_name)
        if backend_status.level != OK and self._backend is not None:
            status.level, status.message = bytes([backend_status.level]), backend_status.message
        elif self._guard.e_stop.latched:
            status.level, status.message = DiagnosticStatus.WARN, 'e-stop latched'
        elif not self._active:
            status.level, status.message = DiagnosticStatus.OK, f'{self._lifecycle}: motion disabled'
        else:
            status.level, status.message = DiagnosticStatus.OK, 'ok'
        left, right = controller.kinematics.wheel_speeds(*controller.output)
        values = {
            'backend': self._backend_name,
            'backend_state': backend_status.message,
            'lifecycle_state': self._lifecycle,
            'watchdog_expired': controller.watchdog.expired(time.monotonic()),
            'watchdog_trips': controller.watchdog.trips,
            'limits_hit': controller.limits_hit,
            'accel_limited_steps': controller.accel_limited_steps,
            'rejected_commands': self._rejected_commands,
            'ignored_commands': self._ignored_commands,
            'linear_command': f'{controller.output[0]:.3f}',
            'angular_command': f'{controller.output[1]:.3f}',
            'left_wheel_command': f'{left:.3f}',
            'right_wheel_command': f'{right:.3f}',
            **backend_status.values,
        }
        status.values = _key_values(values)
        array = DiagnosticArray(status=[status, self._guard_diagnostics()])
        array.header.stamp = self.get_clock().now().to_msg()
        self._diag_pub.publish(array)

    def _guard_diagnostics(self) -> DiagnosticStatus:
        """Whether the base may move now and, if not, why."""
        values = self._guard.status(time.monotonic(), self._ros_now())
        refusal = values['motion_refused']
        status = DiagnosticStatus(name=f'{self.get_name()}: base guard', hardware_id=self._backend_name)
        # A refusal while the person exercises is the guard working; a latched e-stop or a
        # missing coach is something a technician should look at.
        worrying = self._guard.e_stop.latched or (refusal.startswith(('no coach', 'coach/state is')))
        status.level = DiagnosticStatus.WARN if worrying else DiagnosticStatus.OK
        status.message = refusal or 'motion allowed'
        values['guard_refusals'] = self._refusals
        status.values = _key_values(values)
        return status

    def destroy_node(self):
        # rclpy destroys nodes when its context shuts down (SIGINT), while publishing still
        # works, and main() calls this again afterwards: stop the wheels the first time only.
        if self._backend is not None:
            self._backend.close()
            self._backend = None
        super().destroy_node()


def _key_values(values: dict) -> list[KeyValue]:
    return [KeyValue(key=k, value=str(v).lower() if isinstance(v, bool) else str(v))
            for k, v in values.items()]


def _diagonal(*values: float) -> list[float]:
    matrix = [0.0] * 36
    for i, value in enumerate(values):
        matrix[i * 7] = value
    return matrix


def main(args=None):
    rclpy.init(args=args)
    node = None
    try:
        node = MotorNode()
        rclpy.spin(node)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    except (ParameterException, ValueError) as exc:
        if node is not None:
            raise
        # a bad parameter (e.g. a launch argument read as a number): one line, exit 1
        rclpy.logging.get_logger('motor_node').fatal(f'cannot start: {exc}')
        return 1
    except RuntimeError:
        # rclpy may fail to take a message that arrives while Ctrl-C shuts the context down
        # (seen under load; ros/joint_state_publisher#117); while still running it is real
        if rclpy.ok():
            raise
    finally:
        # ros2 launch forwards a second SIGINT while nodes clean up: let the cleanup finish
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if node is not None:
            node.destroy_node()
        else:
            # a node that failed half-way through __init__ is garbage: collected, it is not
            # destroyed by try_shutdown() (AttributeError on what its __init__ never set)
            gc.collect()
        rclpy.try_shutdown()
    return 0


if __name__ == '__main__':
    sys.exit(main())
