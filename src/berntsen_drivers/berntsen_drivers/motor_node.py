"""Motor node: `cmd_vel` and `e_stop` in, wheel commands out, `odom` and `/diagnostics`.

The logic is in `diff_drive.MotorController` (limits, watchdog, e-stop) and
`diff_drive.WheelOdometry`; where the wheels are is the backend's business (`backend`
parameter): `mock` (wheels that do as told), `sim` (the MuJoCo sim's wheel topics) or
`serial` (the motor controller, `serial_backend`).

A managed (lifecycle) node: configure opens the backend (the serial port), activate
enables motion and odometry, deactivate stops the wheels (zero set-points, which keep
flowing), cleanup closes the backend. With `autostart` (default) it configures and
activates itself on start-up, for runners without a lifecycle manager; otherwise it waits
for `<node>/change_state`. The e-stop latch survives every transition.
"""
from __future__ import annotations

import math
import time

import rclpy
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from geometry_msgs.msg import Twist, TwistStamped
from nav_msgs.msg import Odometry
from rcl_interfaces.msg import FloatingPointRange, IntegerRange, ParameterDescriptor
from rclpy.executors import ExternalShutdownException
from rclpy.lifecycle import LifecycleNode, LifecycleState, TransitionCallbackReturn
from rclpy.node import Node
from rclpy.time import Time
from rclpy.qos import QoSProfile, ReliabilityPolicy, qos_profile_sensor_data
from sensor_msgs.msg import JointState
from std_msgs.msg import Bool, Float64MultiArray
from std_srvs.srv import Trigger

from berntsen_drivers.diff_drive import DiffDriveKinematics, Limits, MotorController, WheelOdometry
from berntsen_drivers.wheel_backends import ERROR, OK, WARN, BackendStatus, MockBackend, WheelState

BACKENDS = ('mock', 'sim', 'serial')
SIM_WHEEL_NAMES = ('left_wheel', 'right_wheel')
WHEEL_STATE_TIMEOUT = 1.0  # s without sim wheel states before diagnostics says ERROR


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

        param = lambda name: self.get_parameter(name).value  # noqa: E731
        self._backend_name = param('backend')
        # rclpy enforces the declared ranges, also on start-up overrides, but not choices
        if self._backend_name not in BACKENDS:
            raise ValueError(f'parameter backend: {self._backend_name!r} is not one of {", ".join(BACKENDS)}')
        kinematics = DiffDriveKinematics(param('wheel_radius'), param('wheel_separation'))
        limits = Limits(param('max_linear'), param('max_angular'),
                        param('max_linear_accel'), param('max_angular_accel'))
        self._cmd_timeout = param('cmd_timeout')
        # Made here, not in configure: an e-stop latch survives every lifecycle transition.
        self._controller = MotorController(kinematics, limits, self._cmd_timeout)
        self._odometry = WheelOdometry(kinematics)
        self._odom_frame, self._base_frame = param('odom_frame'), param('base_frame')
        self._rejected_commands = 0
        self._ignored_commands = 0  # while not active
        self._active = False
        self._lifecycle = 'unconfigured'
        self._backend_status = BackendStatus(WARN, 'not configured', False)

        # Reliable depth 1: a velocity command must not be dropped, and only the newest counts.
        cmd_qos = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE)
        if param('cmd_vel_stamped'):
            self.create_subscription(TwistStamped, 'cmd_vel', self._on_cmd_vel_stamped, cmd_qos)
        else:
            self.create_subscription(Twist, 'cmd_vel', self._on_cmd_vel, cmd_qos)
        # Reliable depth 10: no e-stop edge may be lost.
        self.create_subscription(Bool, 'e_stop', self._on_e_stop,
                                 QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE))
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

    def _on_cmd_vel(self, msg: Twist) -> None:
        if not self._active:
            self._ignored_commands += 1
            self.get_logger().warning(f'cmd_vel ignored: node is {self._lifecycle}', throttle_duration_sec=5.0)
            return
        try:
            self._controller.command(msg.linear.x, msg.angular.z, time.monotonic())
        except (TypeError, ValueError) as exc:
            self._rejected_commands += 1
            self.get_logger().warning(f'cmd_vel rejected, stopping: {exc}', throttle_duration_sec=2.0)

    def _on_cmd_vel_stamped(self, msg: TwistStamped) -> None:
        stamp = Time.from_msg(msg.header.stamp, clock_type=self.get_clock().clock_type)
        if stamp.nanoseconds:  # an unset stamp is accepted as "now"
            age = (self.get_clock().now() - stamp).nanoseconds * 1e-9
            if age > self._cmd_timeout:
                self._rejected_commands += 1
                self.get_logger().warning(f'cmd_vel {age:.2f} s old rejected', throttle_duration_sec=2.0)
                return
        self._on_cmd_vel(msg.twist)

    def _on_e_stop(self, msg: Bool) -> None:
        if msg.data and not self._controller.e_stop_latched:
            self.get_logger().warning('e-stop: wheels stopped until reset_e_stop is called')
        self._controller.set_e_stop(msg.data)

    def _on_reset_e_stop(self, request, response):
        response.success, response.message = self._controller.reset_e_stop()
        self.get_logger().info(f'reset_e_stop: {response.message}')
        return response

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
        left, right = self._controller.step(now)
        if not (self._active and status.can_move):
            self._controller.halt()
            left = right = 0.0
        backend.command(left, right, now)
        if state is not None:
            self._odometry.update(state.left_position, state.right_position, state.stamp)
        if self._active:
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
        elif controller.e_stop_latched:
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
            'e_stop_latched': controller.e_stop_latched,
            'e_stop_asserted': controller.e_stop_asserted,
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
        status.values = [KeyValue(key=k, value=str(v).lower() if isinstance(v, bool) else str(v))
                         for k, v in values.items()]
        array = DiagnosticArray(status=[status])
        array.header.stamp = self.get_clock().now().to_msg()
        self._diag_pub.publish(array)

    def destroy_node(self):
        # rclpy destroys nodes when its context shuts down (SIGINT), while publishing still
        # works, and main() calls this again afterwards: stop the wheels the first time only.
        if self._backend is not None:
            self._backend.close()
            self._backend = None
        super().destroy_node()


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
    except RuntimeError:
        # rclpy may fail to take a message that arrives while Ctrl-C shuts the context down
        # (seen under load; ros/joint_state_publisher#117); while still running it is real
        if rclpy.ok():
            raise
    finally:
        if node is not None:
            node.destroy_node()
        rclpy.try_shutdown()


if __name__ == '__main__':
    main()
