"""ROS 2 adapter of the headless MuJoCo bedroom: robot physics, head camera, virtual patient.

Physics runs on a wall-clock timer in fixed chunks, paced at `real_time_factor` times the
wall clock; the head camera is rendered in a worker thread from position snapshots at
`camera_fps` of simulated time, so a slow render drops camera frames instead of slowing the
physics. The virtual patient (berntsen_sim.patient) listens to what the robot says
(`speech/status`: each utterance's text and language as it begins and ends) and to nothing
else of the robot: no coach topic is read here.

Simulated time: the node publishes `/clock` (rosgraph_msgs/Clock) from the physics time at
every physics tick (~100 Hz of wall time), starting at 0 when the physics starts, and
stamps everything it publishes with that time, so nodes run with use_sim_time=true see one
consistent clock. The node itself paces on the wall clock (it drives /clock). The wheel
command timeout stays a wall-clock safety: it stops the wheels when the commanding process
is gone, whatever the simulated time does (at real_time_factor k the robot coasts up to k
times wheel_command_timeout of simulated time).

Published (QoS in brackets):
  camera/image_raw, camera/camera_info   [reliable, keep-last 2]
  sim/wheel_states (JointState), sim/truth/odom (Odometry, relative to the start pose)
                                         [reliable, keep-last 10, at state_rate]
  sim/truth/patient_distance (Float64)   horizontal m from the robot base centre to the
                                         patient's hip-joint centre [reliable, keep-last 10,
                                         at state_rate]
  sim/truth/clearance (Float64)          m between the nearest robot part and the patient,
                                         bed, chair or walls, at most 1.0 (farther reads 1.0)
                                         [reliable, keep-last 10, at state_rate]
  sim/truth/contact (String)             what the robot touches besides the floor ('' for
                                         nothing; a geom name such as bed_frame, or a body
                                         name such as chair for unnamed geoms); the patient's
                                         geoms do not collide, so closer than 5 mm to one is
                                         touching it [latched, on change; checked at state_rate]
  sim/truth/posture (String)             [latched, on change]
  sim/truth/visitor (String)             'walking' while a second person (a scenario's
                                         visitor) walks through the room, else ''
                                         [latched, on change]
  sim/truth/repetition (String)          one JSON object per repetition the patient finishes,
                                         full or short of the range: {"motion", "start",
                                         "end" (s of simulated time), "duration", "amplitude"
                                         (share of the range), "counted" (reached the
                                         motion's counted fraction), "side"}
                                         [reliable, keep-last 50]
  /clock (Clock)                         [reliable, keep-last 1, volatile: rclpy's and
                                         rclcpp's TimeSource subscribe best-effort depth 1,
                                         which a reliable writer serves, and so does a
                                         reliable subscriber such as `ros2 topic echo`]

Scenarios (berntsen_sim.scenario): parameter `scenario` names one (or a YAML path); the
persona, seed and robot start then come from it instead of the parameters, and a visitor
(a second person walking through the room) if it has one.

The OpenGL backend comes from the MUJOCO_GL environment variable: osmesa when unset; egl
works too (on a machine without a GPU both render in software, at the same speed here;
with a GPU, egl is the faster choice).
"""
import array
import gc
import json
import math
import os
import signal
import sys
import threading
import time

os.environ.setdefault('MUJOCO_GL', 'osmesa')
os.environ.setdefault('PYOPENGL_PLATFORM', os.environ['MUJOCO_GL'])

import mujoco  # noqa: E402  (after choosing the OpenGL backend)
import rclpy  # noqa: E402
from berntsen_interfaces.msg import SpeechStatus  # noqa: E402
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue  # noqa: E402
from nav_msgs.msg import Odometry  # noqa: E402
from rcl_interfaces.msg import FloatingPointRange, IntegerRange, ParameterDescriptor  # noqa: E402
from rclpy.clock import Clock as WallClock, ClockType  # noqa: E402
from rclpy._rclpy_pybind11 import RCLError  # noqa: E402  (rclpy exports it nowhere else)
from rclpy.exceptions import ParameterException  # noqa: E402
from rclpy.executors import ExternalShutdownException  # noqa: E402
from rclpy.node import Node  # noqa: E402
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy  # noqa: E402
from rclpy.time import Time  # noqa: E402
from rosgraph_msgs.msg import Clock  # noqa: E402
from sensor_msgs.msg import CameraInfo, Image, JointState  # noqa: E402
from std_msgs.msg import Float64, Float64MultiArray, String  # noqa: E402

from berntsen_sim.patient import PERSONAS, VirtualPatient  # noqa: E402
from berntsen_sim.scenario import RobotStart, load_scenario, robot_start_problem  # noqa: E402
from berntsen_sim.world import WHEEL_NAMES, BedroomWorld, HeadCameraRenderer  # noqa: E402

CAMERA_FRAME = 'camera_optical_frame'
ODOM_FRAME = 'odom'
BASE_FRAME = 'base_link'
PHYSICS_TICK = 0.01        # s between physics timer callbacks (steps run in chunks)
MAX_CATCH_UP = 0.1         # s of physics one tick may run; beyond, the sim falls behind
WARN_PERIOD = 5.0          # s between repeated warnings of one kind
PUBLISH_STUCK_S = 2.0      # s inside one camera frame's publish() before diagnostics call it stuck

# Images: reliable keep-last 2 (best-effort lost ~9 of 10 VGA frames between processes here).
IMAGE_QOS = QoSProfile(reliability=ReliabilityPolicy.RELIABLE, history=HistoryPolicy.KEEP_LAST,
                       depth=2)
# Wheel and odometry state: the REP 2003 driver default (reliable, volatile, depth 10).
STATE_QOS = QoSProfile(reliability=ReliabilityPolicy.RELIABLE, history=HistoryPolicy.KEEP_LAST,
                       depth=10)
# Commands: only the newest matters.
COMMAND_QOS = QoSProfile(reliability=ReliabilityPolicy.RELIABLE, history=HistoryPolicy.KEEP_LAST,
                         depth=1)
# Latched state (speech status in, ground truth out): late joiners get the current value.
LATCHED_QOS = QoSProfile(reliability=ReliabilityPolicy.RELIABLE, history=HistoryPolicy.KEEP_LAST,
                         depth=1, durability=DurabilityPolicy.TRANSIENT_LOCAL)
# /clock: only the newest time matters; reliable serves best-effort (TimeSource) and
# reliable subscribers alike.
# Every finished repetition matters to whoever judges the session.
TRUTH_STREAM_QOS = QoSProfile(reliability=ReliabilityPolicy.RELIABLE,
                              history=HistoryPolicy.KEEP_LAST, depth=50)
CLOCK_QOS = QoSProfile(reliability=ReliabilityPolicy.RELIABLE, history=HistoryPolicy.KEEP_LAST,
                       depth=1)


def _int_param(value, description, low, high):
    return value, ParameterDescriptor(
        description=f'{description} [{low}, {high}]', read_only=True,
        integer_range=[IntegerRange(from_value=low, to_value=high, step=1)])


def _float_param(value, description, low, high):
    return value, ParameterDescriptor(
        description=f'{description} [{low}, {high}]', read_only=True,
        floating_point_range=[FloatingPointRange(from_value=low, to_value=high, step=0.0)])


PARAMETERS = {
    'camera_fps': _int_param(15, 'Head-camera frames per second', 1, 30),
    'image_width': _int_param(640, 'Rendered image width in pixels', 64, 1280),
    'image_height': _int_param(480, 'Rendered image height in pixels', 48, 960),
    'physics_rate': _int_param(500, 'Physics steps per simulated second (Hz)', 100, 2000),
    'state_rate': _float_param(50.0, 'Rate of sim/wheel_states and sim/truth/odom (Hz)',
                               1.0, 200.0),
    'wheel_command_timeout': _float_param(
        0.5, 'Seconds without sim/wheel_commands after which the wheels stop', 0.05, 10.0),
    'persona': ('cooperative', ParameterDescriptor(
        description=f'Virtual patient behaviour, one of {sorted(PERSONAS)}', read_only=True)),
    'seed': _int_param(0, 'Seed of the patient\'s timing variations', 0, 2**31 - 1),
    'robot_x': _float_param(2.5, 'Robot start x in the world frame (m; the patient sits at 0)',
                            -1.2, 4.3),
    'robot_y': _float_param(0.0, 'Robot start y in the world frame (m)', -2.0, 2.0),
    'robot_yaw_deg': _float_param(180.0, 'Robot start heading in the world frame (degrees; '
                                  '180 faces the patient)', -360.0, 360.0),
    'real_time_factor': _float_param(1.0, 'Simulated seconds per wall-clock second', 0.1, 10.0),
    'scenario': ('', ParameterDescriptor(
        description='Scenario name (config/scenarios/) or YAML path; when set, persona, seed '
                    'and the robot start come from it. Empty: from the parameters',
        read_only=True)),
}


def _in_range(name, value, descriptor):
    for r in descriptor.integer_range or descriptor.floating_point_range:
        if not r.from_value <= value <= r.to_value:
            raise ValueError(f'parameter {name}={value} out of range '
                             f'[{r.from_value}, {r.to_value}]')


class SimNode(Node):
    """Simulated robot, room and patient, publishing what the real robot's drivers would."""

    def __init__(self):
        super().__init__('sim')
        self.params = {}
        for name, (default, descriptor) in PARAMETERS.items():
            value = self.declare_parameter(name, default, descriptor).value
            _in_range(name, value, descriptor)
            self.params[name] = value
        if self.params['persona'] not in PERSONAS:
            raise ValueError(f'parameter persona={self.params["persona"]!r} unknown; '
                             f'one of {sorted(PERSONAS)}')

        self.world = BedroomWorld()
        self.world.model.opt.timestep = 1.0 / self.params['physics_rate']
        persona, seed, robot, self.visitor = self._setup_choice()
        self.patient = VirtualPatient(persona, seed=seed)
        self.world.set_patient_joints(self.patient.state(0.0).joints)
        self.world.place_robot(robot.x, robot.y, math.radians(robot.yaw_deg))
        self._start_pos, self._start_quat = self.world.base_pose()
        self._contact = None
        self._last_warning = {}
        self._last_command_time = None
        self._posture = None
        self._utterance = None      # (text, language) the robot is saying, as last heard
        self._unsent_reps = []      # truth of finished repetitions not yet published
        self._steps_behind = 0

        self.image_pub = self.create_publisher(Image, 'camera/image_raw', IMAGE_QOS)
        self.info_pub = self.create_publisher(CameraInfo, 'camera/camera_info', IMAGE_QOS)
        self.wheel_pub = self.create_publisher(JointState, 'sim/wheel_states', STATE_QOS)
        self.odom_pub = self.create_publisher(Odometry, 'sim/truth/odom', STATE_QOS)
        self.posture_pub = self.create_publisher(String, 'sim/truth/posture', LATCHED_QOS)
        self.rep_pub = self.create_publisher(String, 'sim/truth/repetition', TRUTH_STREAM_QOS)
        self.distance_pub = self.create_publisher(Float64, 'sim/truth/patient_distance',
                                                  STATE_QOS)
        self.clearance_pub = self.create_publisher(Float64, 'sim/truth/clearance', STATE_QOS)
        self.contact_pub = self.create_publisher(String, 'sim/truth/contact', LATCHED_QOS)
        self.visitor_pub = self.create_publisher(String, 'sim/truth/visitor', LATCHED_QOS)
        self._visitor_walking = False    # nobody at first: said only when someone comes
        self.clock_pub = self.create_publisher(Clock, '/clock', CLOCK_QOS)
        self.create_subscription(Float64MultiArray, 'sim/wheel_commands', self.on_wheel_command,
                                 COMMAND_QOS)
        self.create_subscription(SpeechStatus, 'speech/status', self.on_speech_status,
                                 LATCHED_QOS)

        self.camera = CameraWorker(self, self.world.model, self.params['image_width'],
                                   self.params['image_height'])
        self._camera_period = 1.0 / self.params['camera_fps']
        self._next_frame_time = 0.0
        self._state_period = 1.0 / self.params['state_rate']
        self._next_state_time = 0.0
        self._wall_start = None    # set on the first tick, so start-up time is not 'behind'
        self._sim_start = self.world.time
        # The physics drives /clock, so its timer runs on the steady wall clock even when
        # use_sim_time is set (a timer on sim time would wait for a clock that never starts).
        self.create_timer(PHYSICS_TICK, self.on_physics_tick,
                          clock=WallClock(clock_type=ClockType.STEADY_TIME))
        self.diagnostics_pub = self.create_publisher(DiagnosticArray, '/diagnostics', 10)
        self.create_timer(1.0, self.publish_diagnostics,
                          clock=WallClock(clock_type=ClockType.STEADY_TIME))
        self.get_logger().info(
            f'sim started: persona {self.patient.persona.name}, '
            f'seed {seed}, robot at ({robot.x}, {robot.y}) m facing {robot.yaw_deg} deg, '
            f'{self.params["real_time_factor"]}x real time, camera '
            f'{self.params["image_width"]}x{self.params["image_height"]} at '
            f'{self.params["camera_fps"]} fps, physics {self.params["physics_rate"]} Hz, '
            f'MUJOCO_GL={os.environ["MUJOCO_GL"]}')

    def _setup_choice(self):
        """(persona, seed, RobotStart, VisitorWalk or None) from the scenario, else from the
        parameters (and nobody else in the room)."""
        name = self.params['scenario']
        if name:
            scenario = load_scenario(name)   # ScenarioError (a ValueError) names the problem
            self.get_logger().info(
                # not its description: that names the patient, who is named nowhere but in
                # the programme (the test of a simulated morning checks every file)
                f'scenario {scenario.name} ({scenario.path}) '
                f'(persona, seed and robot start from it; parameters persona, seed and '
                f'robot_* ignored)')
            return scenario.persona, scenario.seed, scenario.robot, scenario.visitor
        persona = self.params['persona']
        robot = RobotStart(self.params['robot_x'], self.params['robot_y'],
                           self.params['robot_yaw_deg'])
        problem = robot_start_problem(robot, persona, self.params['seed'], self.world)
        if problem:
            raise ValueError(f'parameters robot_x, robot_y, robot_yaw_deg: {problem}')
        return persona, self.params['seed'], robot, None

    def sim_stamp(self):
        """The physics time as a message stamp."""
        return Time(nanoseconds=round(self.world.time * 1e9)).to_msg()

    def warn(self, kind, text):
        """Warning rate-limited per kind."""
        now = time.monotonic()
        if now - self._last_warning.get(kind, -math.inf) >= WARN_PERIOD:
            self._last_warning[kind] = now
            self.get_logger().warning(text)

    def on_wheel_command(self, msg):
        values = list(msg.data)
        if len(values) != 2 or not all(math.isfinite(v) for v in values):
            self.warn('bad_command', f'ignoring sim/wheel_commands {values}: expected 2 finite '
                      'wheel velocities [left, right] in rad/s; wheels stopped')
            self.world.set_wheel_velocities(0.0, 0.0)
            self._last_command_time = None
            return
        limit = self.world.wheel_limit
        if any(abs(v) > limit for v in values):
            self.warn('clipped_command', f'sim/wheel_commands {values} beyond +-{limit} rad/s; '
                      'clipped')
        self.world.set_wheel_velocities(*values)
        self._last_command_time = time.monotonic()

    def on_speech_status(self, msg):
        """The patient hears an utterance begin, and end when the status moves on."""
        now = self.world.time
        saying = (msg.text, msg.language) if msg.speaking and msg.text else None
        if saying == self._utterance:
            return
        try:
            if self._utterance is not None:
                self.patient.hear(now, *self._utterance, finished=True)
            if saying is not None:
                self.patient.hear(now, *saying, finished=False)
        except (TypeError, ValueError) as exc:
            self.warn('bad_speech_status', f'the patient could not follow speech/status: {exc}')
        self._utterance = saying

    def on_physics_tick(self):
        if not self.camera.started.is_set():
            return   # creating the GL context holds the interpreter; start the clock after it
        if (self._last_command_time is not None
                and time.monotonic() - self._last_command_time
                > self.params['wheel_command_timeout']):
            self.world.set_wheel_velocities(0.0, 0.0)
            self._last_command_time = None
        rate = self.params['physics_rate'] * self.params['real_time_factor']   # steps per wall s
        if self._wall_start is None:
            self._wall_start = time.monotonic()
        due = round((time.monotonic() - self._wall_start) * rate)
        done = round((self.world.time - self._sim_start) * self.params['physics_rate'])
        steps = due - done
        if steps <= 0:
            return
        max_steps = round(MAX_CATCH_UP * rate)
        if steps > max_steps:
            # Physics cannot keep up: run what fits and let simulated time fall behind.
            self._wall_start += (steps - max_steps) / rate
            self._steps_behind += steps - max_steps
            self.warn('behind', f'physics behind {self.params["real_time_factor"]}x real time, '
                      f'{self._steps_behind} steps dropped so far')
            steps = max_steps
        truth = self.patient.state(self.world.time)
        self.world.set_patient_joints(truth.joints)
        visitor = self.visitor.pose(self.world.time) if self.visitor is not None else None
        if self.visitor is not None:
            self.world.set_visitor(visitor)
        self.world.step(steps)
        stamp = self.sim_stamp()
        now = self.world.time
        try:
            self.clock_pub.publish(Clock(clock=stamp))
            self.publish_truth(truth)
            if (visitor is not None) != self._visitor_walking:
                self.visitor_pub.publish(String(data='walking' if visitor is not None else ''))
                self._visitor_walking = visitor is not None
            if now >= self._next_state_time:
                self._next_state_time = max(self._next_state_time + self._state_period, now)
                self.publish_wheel_states(stamp)
                self.publish_odom(stamp)
                self.publish_geometry_truth()
        except RCLError as error:
            # Fast DDS now and then refuses one sample ("cannot publish data", ros2/
            # rmw_fastrtps#310); the next tick publishes afresh, so the world goes on.
            self.warn('publish_failed', f'a publish failed ({error}); trying again next tick')
        if now >= self._next_frame_time:
            self._next_frame_time = max(self._next_frame_time + self._camera_period, now)
            self.camera.request(self.world.snapshot(), stamp)

    def publish_diagnostics(self):
        """Sim time and camera frames, so that a stalled world or a camera publish that
        never returns (a DDS transport wedged by a killed subscriber) shows from outside."""
        camera = self.camera
        stuck_since = camera.publishing_since
        status = DiagnosticStatus(name=f'{self.get_name()}: simulation', hardware_id='mujoco')
        if stuck_since is not None and time.monotonic() - stuck_since > PUBLISH_STUCK_S:
            status.level = DiagnosticStatus.ERROR
            status.message = (f'a camera frame has been publishing for '
                              f'{time.monotonic() - stuck_since:.0f} s')
        elif not camera.published:
            status.level, status.message = DiagnosticStatus.WARN, 'no camera frame published yet'
        else:
            status.level = DiagnosticStatus.OK
            status.message = f'sim time {self.world.time:.1f} s, {camera.published} frames'
        status.values = [KeyValue(key=k, value=str(v)) for k, v in (
            ('sim_time_s', f'{self.world.time:.2f}'), ('frames_published', camera.published),
            ('frames_skipped', camera.skipped), ('physics_steps_dropped', self._steps_behind))]
        array = DiagnosticArray(status=[status])
        array.header.stamp = self.sim_stamp()
        try:
            self.diagnostics_pub.publish(array)
        except RCLError as error:
            self.warn('publish_failed', f'a publish failed ({error}); trying again next tick')

    def publish_truth(self, truth):
        # remembered once sent: a failed publish is tried again on the next tick
        if truth.posture != self._posture:
            self.posture_pub.publish(String(data=truth.posture))
            self._posture = truth.posture
        self._unsent_reps += [json.dumps({
            'motion': truth.exercise, 'start': round(rep.start, 3), 'end': round(rep.end, 3),
            'duration': round(rep.end - rep.start, 3), 'amplitude': round(rep.amplitude, 3),
            'counted': rep.counted, 'side': rep.side})
            for rep in self.patient.finished_repetitions(self.world.time)]
        while self._unsent_reps:
            self.rep_pub.publish(String(data=self._unsent_reps[0]))
            self._unsent_reps.pop(0)

    def publish_geometry_truth(self):
        """Patient distance, clearance and contact (latched, on change) of this instant."""
        clearance = self.world.clearance()
        self.distance_pub.publish(Float64(data=self.world.patient_distance()))
        self.clearance_pub.publish(Float64(data=clearance.distance))
        contact = self.world.touching(clearance)
        if contact != self._contact:
            self.contact_pub.publish(String(data=contact))
            self._contact = contact
            if contact:
                self.warn(f'contact_{contact}', f'the robot touches {contact}')

    def publish_wheel_states(self, stamp):
        position, velocity = self.world.wheel_states()
        msg = JointState()
        msg.header.stamp = stamp
        msg.name = list(WHEEL_NAMES)
        msg.position = position.tolist()
        msg.velocity = velocity.tolist()
        self.wheel_pub.publish(msg)

    def publish_odom(self, stamp):
        """True base pose relative to where the robot started (REP 105 odom -> base_link)."""
        pos, quat = self.world.base_pose()
        start_inv = mujoco_quat_inverse(self._start_quat)
        rel_pos = rotate(start_inv, pos - self._start_pos)
        rel_quat = quat_multiply(start_inv, quat)
        linear, angular = self.world.base_twist()
        msg = Odometry()
        msg.header.stamp = stamp
        msg.header.frame_id = ODOM_FRAME
        msg.child_frame_id = BASE_FRAME
        p = msg.pose.pose
        p.position.x, p.position.y, p.position.z = (float(v) for v in rel_pos)
        (p.orientation.w, p.orientation.x, p.orientation.y,
         p.orientation.z) = (float(v) for v in rel_quat)
        t = msg.twist.twist
        t.linear.x, t.linear.y, t.linear.z = (float(v) for v in linear)
        t.angular.x, t.angular.y, t.angular.z = (float(v) for v in angular)
        self.odom_pub.publish(msg)

    def camera_info(self, stamp):
        width, height = self.params['image_width'], self.params['image_height']
        fx, fy, cx, cy = self.world.camera_intrinsics(width, height)
        msg = CameraInfo()
        msg.header.stamp = stamp
        msg.header.frame_id = CAMERA_FRAME
        msg.width, msg.height = width, height
        msg.distortion_model = 'plumb_bob'
        msg.d = [0.0] * 5
        msg.k = [fx, 0.0, cx, 0.0, fy, cy, 0.0, 0.0, 1.0]
        msg.r = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]
        msg.p = [fx, 0.0, cx, 0.0, 0.0, fy, cy, 0.0, 0.0, 0.0, 1.0, 0.0]
        return msg

    def publish_frame(self, pixels, stamp):
        """Called from the camera worker thread (rclpy publishers are thread-safe)."""
        msg = Image()
        msg.header.stamp = stamp
        msg.header.frame_id = CAMERA_FRAME
        msg.height, msg.width = pixels.shape[:2]
        msg.encoding = 'rgb8'
        msg.is_bigendian = 0
        msg.step = msg.width * 3
        msg.data = array.array('B', pixels.tobytes())   # the fast path of the setter
        self.image_pub.publish(msg)
        self.info_pub.publish(self.camera_info(stamp))

    def destroy_node(self):
        camera = getattr(self, 'camera', None)   # absent when the constructor failed
        if camera is not None:
            camera.stop()
        super().destroy_node()


def mujoco_quat_inverse(q):
    out = q.copy()
    mujoco.mju_negQuat(out, q)
    return out


def quat_multiply(a, b):
    out = a.copy()
    mujoco.mju_mulQuat(out, a, b)
    return out


def rotate(q, v):
    out = v.copy()
    mujoco.mju_rotVecQuat(out, v, q)
    return out


class CameraWorker:
    """Renders the newest requested snapshot in its own thread.

    A request that arrives while a frame is rendering waits as the single pending one; a
    newer request replaces it (counted as skipped), so the physics never waits for the
    camera and frames are dropped, not queued. The OpenGL context belongs to the thread
    that creates it, so the renderer is created and used only inside the worker thread.
    """

    def __init__(self, node, model, width, height):
        self.node = node
        self._model, self._size = model, (width, height)
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._pending = None
        self._running = True
        self.started = threading.Event()   # set once the renderer exists (or failed)
        self.rendered = 0
        self.skipped = 0
        self.published = 0
        self.publishing_since: float | None = None   # monotonic, while inside publish_frame
        self._thread = threading.Thread(target=self._run, name='sim_camera', daemon=True)
        self._thread.start()

    def request(self, qpos, stamp):
        """Ask for a frame of this snapshot; replaces a request not yet started."""
        with self._lock:
            if self._pending is not None:
                self.skipped += 1
                if self.rendered > 0:   # not while the renderer is still starting
                    self.node.warn('frames_skipped', f'rendering slower than camera_fps: '
                                   f'{self.skipped} frames skipped, {self.rendered} rendered')
            self._pending = (qpos, stamp)
        self._wake.set()

    def _run(self):
        try:
            renderer = HeadCameraRenderer(self._model, *self._size)
        except Exception as exc:  # noqa: BLE001 - any GL failure leaves the sim without images
            self.node.get_logger().error(
                f'cannot render the head camera ({exc}); check MUJOCO_GL (egl or osmesa) and '
                'its libraries; the simulation runs on without images')
            return
        finally:
            self.started.set()
        try:
            while True:
                self._wake.wait()
                self._wake.clear()
                if not self._running:
                    break
                with self._lock:
                    request, self._pending = self._pending, None
                if request is None:
                    continue
                pixels = renderer.render(request[0])
                self.publishing_since = time.monotonic()
                try:
                    self.node.publish_frame(pixels, request[1])
                    self.published += 1
                except Exception as exc:  # noqa: BLE001 - e.g. the context shut down meanwhile
                    if self._running:
                        self.node.warn('publish_failed', f'cannot publish a camera frame: {exc}')
                finally:
                    self.publishing_since = None
                self.rendered += 1
        finally:
            renderer.close()

    def stop(self):
        self._running = False
        self._wake.set()
        self._thread.join(timeout=5.0)


def main(args=None):
    rclpy.init(args=args)
    node = None
    try:
        node = SimNode()
        rclpy.spin(node)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    except (ParameterException, ValueError) as exc:
        if node is not None:
            raise
        # a bad parameter (e.g. a launch argument read as a number): one line, exit 1
        rclpy.logging.get_logger('sim_node').fatal(f'cannot start: {exc}')
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
