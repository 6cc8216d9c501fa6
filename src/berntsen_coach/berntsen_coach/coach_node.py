"""Coach node: runs the morning routine and a patient's programme against the people the
pose node tracks, and records the session.

Adapter only: turns REP 155 body messages into routine events, sends the routine's phrases
to the `speak` action server (one at a time, urgent ones flagged), publishes `coach/state`,
`coach/events` and `caregiver/alert`, serves `start_session` / `stop_session`, and writes the
session log. The logic lives in coach_routine.py and the modules it uses.

With `approach` true the session starts by driving up to the person: `cmd_vel` is published
only in the routine's approach step (approach.py decides the command from the newest
skeleton, `camera/camera_info` and the camera mounting; `odom` bounds the travel; `e_stop`
ends it), followed by one zero Twist when the approach ends for any reason. The motor
node's watchdog stops the base if the commands stop.
"""
from __future__ import annotations

import gc
import json
import math
import signal
import sys
import time
from collections import deque
from pathlib import Path

import rclpy
from berntsen_interfaces.action import Speak
from berntsen_interfaces.msg import (BodyPosture, CaregiverAlert, CoachState, IdsList,
                                     SessionEvent, Skeleton2D)
from berntsen_interfaces.srv import StartSession
from geometry_msgs.msg import Twist
from nav_msgs.msg import Odometry
from rcl_interfaces.msg import FloatingPointRange, ParameterDescriptor
from rclpy.action import ActionClient
from rclpy.exceptions import ParameterException
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy, qos_profile_sensor_data
from sensor_msgs.msg import CameraInfo
from std_msgs.msg import Bool
from std_srvs.srv import Trigger

from .approach import (ARRIVED, FAILED, ApproachController, ApproachSettings, CameraModel,
                       estimate_person)
from .coach_routine import ROUTINE_NAME, CoachRoutine, RoutineSettings
from .exercises import BodyFrame, load_exercises
from .paths import package_config, resolve_programme
from .phrases import LANGUAGES
from .programme import Programme, load_programme
from .routine import AlertCaregiver, Counted, Event, Posture, Say, StateChanged
from .session_log import SessionLog, SessionLogError, default_db_path
from .session_recorder import SessionRecorder

# Late joiners (the simulator's virtual patient, a monitor, a caregiver's screen) need the
# current step and the alerts at once.
STATE_QOS = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE,
                       durability=DurabilityPolicy.TRANSIENT_LOCAL)
ALERT_QOS = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE,
                       durability=DurabilityPolicy.TRANSIENT_LOCAL)
EVENT_QOS = QoSProfile(depth=50, reliability=ReliabilityPolicy.RELIABLE)
# Body topics are a stream of measurements: a lost sample is replaced by the next one and
# the counter tolerates gaps. Sensor-data QoS (best effort, REP 2003) also matches a
# reliable publisher, so the coach hears the pose node whichever it picks.
BODY_QOS = qos_profile_sensor_data
# Velocity commands: reliable, only the newest matters (the motor node subscribes the same).
CMD_VEL_QOS = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE)
# An e-stop press must arrive; the motor node subscribes with the same profile.
E_STOP_QOS = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)
# camera_info and odometry come with every frame / control cycle: a lost one is replaced by
# the next; sensor-data QoS matches reliable and best-effort publishers alike.
CAMERA_INFO_QOS = qos_profile_sensor_data
ODOM_QOS = qos_profile_sensor_data

TICK_PERIOD = 0.1                 # s; re-prompt and rest timing resolution
SPEECH_WAIT_LOG_PERIOD = 5.0      # s between "speech server not up" warnings
STAMP_SKEW_WARN = 2.0             # s; skeleton stamps this far from the node's clock: warn
DEFAULT_APPROACH_DISTANCE = 2.2   # m; the approach_distance parameter's default
FINAL_STATE_GRACE = 0.5           # s between the last publish and shutdown (exit_when_done)


class CoachNode(Node):
    def __init__(self):
        super().__init__('coach')
        self.params = self._declare_parameters()
        exercises_file = self.params['exercises_file'] or str(package_config() / 'exercises.yaml')
        self.exercises = load_exercises(exercises_file)
        self.db_path = Path(self.params['db_path']).expanduser() if self.params['db_path'] \
            else default_db_path()
        self.routine: CoachRoutine | None = None
        self.recorder: SessionRecorder | None = None
        self.log: SessionLog | None = None

        self.state_pub = self.create_publisher(CoachState, 'coach/state', STATE_QOS)
        self.event_pub = self.create_publisher(SessionEvent, 'coach/events', EVENT_QOS)
        self.alert_pub = self.create_publisher(CaregiverAlert, 'caregiver/alert', ALERT_QOS)
        self.speak_client = ActionClient(self, Speak, 'speak')
        self.create_service(StartSession, 'start_session', self._on_start_session)
        self.create_service(Trigger, 'stop_session', self._on_stop_session)
        self._unsent: deque[Say] = deque()          # phrases waiting for the speech server
        self._awaiting: dict[int, tuple[float, str]] = {}  # goal seq → (sent at, text), in order
        self._goal_seq = 0
        self._last_speech_wait_log = -math.inf
        self._active_body = ''
        self._body_subs: dict[str, tuple] = {}
        self._unusable_ids: set[str] = set()        # ids that make no valid topic name
        self._stopping = False
        self._logged_step = ('', '')
        self._camera: CameraModel | None = None
        self._approach: ApproachController | None = None
        self._approach_status = ''
        self._travelled = 0.0
        self._last_odom_xy: tuple[float, float] | None = None
        self.create_subscription(IdsList, '/humans/bodies/tracked', self._on_tracked, BODY_QOS)
        if self.params['approach']:
            self.cmd_vel_pub = self.create_publisher(Twist, 'cmd_vel', CMD_VEL_QOS)
            self.create_subscription(CameraInfo, 'camera/camera_info', self._on_camera_info,
                                     CAMERA_INFO_QOS)
            self.create_subscription(Odometry, 'odom', self._on_odom, ODOM_QOS)
            self.create_subscription(Bool, 'e_stop', self._on_e_stop, E_STOP_QOS)
        self.create_timer(TICK_PERIOD, self._on_tick)
        if self.params['autostart']:
            self._start_timer = self.create_timer(self.params['start_delay'], self._on_autostart)
            self.get_logger().info(f"session with programme {self.params['programme_file']!r} "
                                   f"starts in {self.params['start_delay']:.1f} s")
        else:
            self.get_logger().info('waiting for a start_session request')

    def _declare_parameters(self) -> dict:
        def ranged(unit):
            def spec(description, default, low, high):
                return default, ParameterDescriptor(
                    description=f'{description} ({low}-{high} {unit})',
                    floating_point_range=[FloatingPointRange(from_value=float(low),
                                                             to_value=float(high))])
            return spec

        seconds, metres = ranged('s'), ranged('m')

        specs = {
            'programme_file': ('example', ParameterDescriptor(
                description='Programme YAML: a path, or the name of one in this package\'s '
                            'config/programmes/ (e.g. example, sim_morning)')),
            'patient_name': ('', ParameterDescriptor(
                description='Name to greet the patient by instead of the programme\'s (empty: '
                            'the programme\'s)')),
            'language': ('', ParameterDescriptor(
                description=f'Language instead of the programme\'s: {", ".join(LANGUAGES)} '
                            '(empty: the programme\'s; unknown: the programme\'s, with a warning)')),
            'exercises_file': ('', ParameterDescriptor(
                description='Exercise definitions YAML (empty: this package\'s config/exercises.yaml)')),
            'db_path': ('', ParameterDescriptor(
                description='Session log (SQLite); empty: ~/.local/share/berntsen/sessions.sqlite3')),
            'skeleton_topic': ('skeleton2d_smoothed', ParameterDescriptor(
                description='Per-body landmarks to count on: skeleton2d_smoothed or skeleton2d')),
            'autostart': (True, ParameterDescriptor(
                description='Start a session with programme_file after start_delay; false: wait '
                            'for a start_session request')),
            'exit_when_done': (False, ParameterDescriptor(
                description='Shut down (exit code 0) once the routine has ended and its last '
                            'phrase has been spoken')),
            'start_delay': seconds('Wait before the session starts', 2.0, 0, 600),
            'reprompt_after': seconds('Wait after a prompt before asking again', 15.0, 1, 600),
            'patience': seconds('Wait after a step\'s first prompt before calling a caregiver '
                                '(at least reprompt_after)', 90.0, 1, 3600),
            'set_patience': seconds('Wait for a repetition before a set ends incomplete',
                                    60.0, 1, 3600),
            'speech_timeout': seconds('Wait for a phrase\'s result before carrying on without it, '
                                      'so a dead speech node cannot stall the routine', 30.0, 1, 600),
            'approach': (False, ParameterDescriptor(
                description='Start each session by driving up to the person (publishes cmd_vel '
                            'in the approach step only; needs camera/camera_info); false: '
                            'greet from where the robot stands')),
            'approach_distance': metres('Stop this far from the person (horizontally, base '
                                        'centre to pelvis)', DEFAULT_APPROACH_DISTANCE, 1.0, 4.0),
            'approach_speed': ranged('m/s')('Top forward speed while approaching',
                                            0.25, 0.05, 0.5),
            'approach_timeout': seconds('Give up the approach and greet from where the robot '
                                        'stands after', 120.0, 10, 600),
            'approach_max_travel': metres('Give up the approach after driving this far '
                                          '(odometry)', 5.0, 0.5, 20.0),
            'camera_height': metres('Height of the camera\'s optical centre above the floor',
                                    1.12, 0.2, 3.0),
            'camera_tilt_deg': ranged('deg')('Downward tilt of the camera', 5.0, -30.0, 60.0),
            'camera_forward_offset': metres('Camera position ahead of the base centre',
                                            0.035, -1.0, 1.0),
        }
        values = {}
        for name, (default, descriptor) in specs.items():
            descriptor.read_only = True   # read once at start; a later change would do nothing
            values[name] = self.declare_parameter(name, default, descriptor).value
        if values['skeleton_topic'] not in ('skeleton2d_smoothed', 'skeleton2d'):
            raise ValueError(f"parameter skeleton_topic must be skeleton2d_smoothed or "
                             f"skeleton2d, got {values['skeleton_topic']!r}")
        if values['patience'] < values['reprompt_after']:
            raise ValueError(f"parameter patience ({values['patience']}) must be at least "
                             f"reprompt_after ({values['reprompt_after']})")
        return values

    # ---- sessions -----------------------------------------------------------------------

    def _load_programme(self, name_or_path: str) -> tuple[Programme, Path]:
        path = resolve_programme(name_or_path)
        programme = load_programme(path, self.exercises)
        overrides = {}
        if self.params['patient_name'].strip():
            overrides['patient_name'] = self.params['patient_name'].strip()
        language = self.params['language']
        if language and language not in LANGUAGES:
            self.get_logger().warning(f'unknown language {language!r}; speaking the '
                                      f'programme\'s ({programme.language})')
        elif language:
            overrides['language'] = language
        if overrides:
            programme = Programme(**{**programme.__dict__, **overrides})
        return programme, path

    def start_session(self, name_or_path: str) -> str:
        """Start a session; returns its id. Raises ValueError with a readable reason."""
        if self.routine is not None and not self.routine.finished:
            raise ValueError('a session is already running')
        programme, path = self._load_programme(name_or_path)
        routine = CoachRoutine(programme, self.exercises, RoutineSettings(
            reprompt_after=self.params['reprompt_after'], patience=self.params['patience'],
            set_patience=self.params['set_patience'], approach=self.params['approach']))
        if self.log is None:
            self.log = SessionLog(self.db_path)
        # the log keeps Unix times; on sim time (use_sim_time) this node's clock starts at 0
        recorder = SessionRecorder(self.log, programme, path, ROUTINE_NAME,
                                   clock_offset=time.time() - self._now())
        recorder.begin(self._now())
        self.routine, self.recorder = routine, recorder
        items = ', '.join(getattr(i, 'exercise', None) or i.test for i in programme.items)
        self.get_logger().info(f'session for patient {programme.patient_id} in '
                               f'{programme.language}: {items}; log {self.db_path}')
        self._apply(routine.start(self._now()))
        return str(recorder.session_id)

    def _on_autostart(self):
        self._start_timer.cancel()
        self.destroy_timer(self._start_timer)
        try:
            self.start_session(self.params['programme_file'])
        except (ValueError, SessionLogError, OSError) as exc:
            self.get_logger().error(f'cannot start the session: {exc}')
            if self.params['exit_when_done']:
                raise SystemExit(1) from exc

    def _on_start_session(self, request, response):
        try:
            response.session_id = self.start_session(
                request.programme_file or self.params['programme_file'])
            response.success = True
        except (ValueError, SessionLogError, OSError) as exc:
            response.success, response.message = False, str(exc)
            self.get_logger().warning(f'start_session refused: {exc}')
        return response

    def _on_stop_session(self, request, response):
        if self.routine is None or not self.routine.started or self.routine.finished:
            response.success, response.message = False, 'no session is running'
            return response
        self._apply(self.routine.stop(self._now(), 'stopped by request'))
        self._drive()
        response.success, response.message = True, 'session stopped'
        return response

    # ---- routine plumbing ---------------------------------------------------------------

    def _now(self) -> float:
        return self.get_clock().now().nanoseconds * 1e-9

    def _on_tick(self):
        if self._awaiting:
            seq, (sent_at, text) = next(iter(self._awaiting.items()))
            if self._now() - sent_at > self.params['speech_timeout']:
                self.get_logger().warning(
                    f"no result from the speech server {self.params['speech_timeout']:.0f} s "
                    f'after "{text}"; carrying on')
                self._speech_finished(seq)
        if self.routine is not None and self.routine.started:
            self._apply(self.routine.tick(self._now()))
            self._drive()
        self._send_unsent()

    def _apply(self, actions):
        now = self._now()
        for action in actions:
            if isinstance(action, Say):
                self.get_logger().info(f'say{" (urgent)" if action.urgent else ""}: "{action.text}"')
                self._unsent.append(action)
            elif isinstance(action, Counted):
                rep = action.rep
                self.get_logger().info(f'count: {rep.number}/{action.target} '
                                       f'(peak {rep.peak:.2f}, {rep.duration:.1f} s)')
            elif isinstance(action, StateChanged):
                self._publish_state(action)
            elif isinstance(action, Event):
                self._record(now, action)
            elif isinstance(action, AlertCaregiver):
                self._alert(action)
        self._send_unsent()
        if self._approach is not None and not self.routine.wants_approach:
            self._end_drive()   # e.g. a fall seen during the approach: stand still at once
        if self.routine is not None and self.routine.finished:
            self._end_session(now)

    def _record(self, now: float, event: Event):
        msg = SessionEvent(kind=event.kind, detail=json.dumps(event.detail, default=str))
        msg.header.stamp = self.get_clock().now().to_msg()
        try:
            self.recorder.record(now, event, item=self.routine.item)
            msg.session_id = str(self.recorder.session_id or '')
        except (SessionLogError, TypeError) as exc:
            # the session goes on for the patient; the care team sees the gap in the log
            self.get_logger().error(f'session log: could not record {event.kind}: {exc}')
        self.event_pub.publish(msg)

    def _alert(self, alert: AlertCaregiver):
        msg = CaregiverAlert(reason=alert.reason, urgent=alert.urgent,
                             patient_id=self.routine.programme.patient_id, detail=alert.reason)
        msg.header.stamp = self.get_clock().now().to_msg()
        self.alert_pub.publish(msg)
        log = self.get_logger().error if alert.urgent else self.get_logger().warning
        log(f'caregiver alert{" (URGENT)" if alert.urgent else ""}: {alert.reason}')

    def _end_session(self, now: float):
        if self.recorder is not None and not self.recorder.ended:
            try:
                self.recorder.end(now, self.routine.step.value)
            except SessionLogError as exc:
                self.get_logger().error(f'session log: could not close the session: {exc}')
        if self.params['exit_when_done'] and not self._stopping:
            self._stopping = True
            self.get_logger().info(f'routine ended (step {self.routine.step.value}); '
                                   'shutting down as exit_when_done asks')
            self.create_timer(FINAL_STATE_GRACE, self._shutdown)

    def _publish_state(self, state: StateChanged):
        msg = CoachState(routine=state.routine, step=state.step, exercise=state.exercise,
                         count=state.count, target=state.target,
                         set_number=state.set_index if state.sets else 0, sets=state.sets,
                         motion_allowed=self.routine.motion_allowed)
        msg.header.stamp = self.get_clock().now().to_msg()
        self.state_pub.publish(msg)
        if (state.step, state.exercise) != self._logged_step:   # counts have their own line
            self._logged_step = (state.step, state.exercise)
            self.get_logger().info(f'step: {state.step}' + (
                f' ({state.exercise} {state.count}/{state.target})' if state.exercise else ''))

    def _shutdown(self):
        # rclpy.spin() in main() returns once the context is shut down; exit code 0.
        self.context.try_shutdown()

    def destroy_node(self):
        # the session log first: after a Ctrl-C the context is gone and nothing can be sent
        if self.routine is not None and self.routine.started and not self.routine.finished:
            now = self._now()
            try:
                for action in self.routine.stop(now, 'coach node shut down'):
                    if isinstance(action, Event):
                        self.recorder.record(now, action, item=self.routine.item)
                self.recorder.end(now, self.routine.step.value)
            except SessionLogError as exc:
                self.get_logger().error(f'session log: could not close the session: {exc}')
        if self.log is not None:
            self.log.close()
        if self._approach is not None:
            self._end_drive()
        super().destroy_node()

    # ---- speech -------------------------------------------------------------------------

    def _send_unsent(self):
        if not self._unsent:
            return
        if not self.speak_client.server_is_ready():
            now = self._now()
            if now - self._last_speech_wait_log >= SPEECH_WAIT_LOG_PERIOD:
                self._last_speech_wait_log = now
                self.get_logger().warning(
                    f'speech server "speak" not available yet; {len(self._unsent)} phrase(s) '
                    f'waiting, next: "{self._unsent[0].text}"')
            return
        while self._unsent:
            say = self._unsent.popleft()
            self._goal_seq += 1
            seq = self._goal_seq
            self._awaiting[seq] = (self._now(), say.text)
            goal = Speak.Goal(text=say.text, language=self.routine.phrases.language,
                              urgent=say.urgent)
            self.speak_client.send_goal_async(goal).add_done_callback(
                lambda future, seq=seq: self._on_goal_response(seq, future))

    def _on_goal_response(self, seq: int, future):
        handle = future.result()
        if handle is None or not handle.accepted:
            self.get_logger().warning('speech server rejected a phrase; carrying on')
            self._speech_finished(seq)
            return
        handle.get_result_async().add_done_callback(
            lambda result_future: self._on_speech_result(seq, result_future))

    def _on_speech_result(self, seq: int, future):
        response = future.result()
        result = response.result if response is not None else None
        if result is None or not result.success:
            error = result.error if result is not None else 'no result'
            self.get_logger().warning(f'speech did not finish ({error}); carrying on')
        self._speech_finished(seq)

    def _speech_finished(self, seq: int):
        # Results of phrases already given up on (timeout) must not advance the routine twice.
        if self._awaiting.pop(seq, None) is None or self.routine is None:
            return
        self._apply(self.routine.on_speech_finished(self._now()))

    # ---- approach -----------------------------------------------------------------------

    def _on_camera_info(self, msg: CameraInfo):
        fx, fy, cx, cy = msg.k[0], msg.k[4], msg.k[2], msg.k[5]
        try:
            camera = CameraModel(float(fx), float(fy), float(cx), float(cy), int(msg.width),
                                 int(msg.height), mount_height=self.params['camera_height'],
                                 tilt=math.radians(self.params['camera_tilt_deg']),
                                 forward_offset=self.params['camera_forward_offset'])
        except ValueError as exc:
            self.get_logger().warning(f'camera_info unusable ({exc}); not driving on it',
                                      throttle_duration_sec=10.0)
            return
        if camera != self._camera:
            self.get_logger().info(f'camera intrinsics: fx {fx:.1f} fy {fy:.1f} cx {cx:.1f} '
                                   f'cy {cy:.1f} ({msg.width}x{msg.height})')
        self._camera = camera

    def _on_odom(self, msg: Odometry):
        p = msg.pose.pose.position
        if not (math.isfinite(p.x) and math.isfinite(p.y)):
            self.get_logger().warning('odometry with a non-finite position ignored',
                                      throttle_duration_sec=10.0)
            return
        if self._approach is not None and self._last_odom_xy is not None:
            last_x, last_y = self._last_odom_xy
            self._travelled += math.hypot(p.x - last_x, p.y - last_y)
        self._last_odom_xy = (p.x, p.y)

    def _on_e_stop(self, msg: Bool):
        # The motor node's latching e-stop stops the wheels; the coach stops asking.
        if msg.data and self.routine is not None and self.routine.wants_approach:
            self.get_logger().warning('e-stop pressed: the approach ends here')
            self._approach_controller().stop('e-stop pressed')
            self._drive()

    def _on_approach_skeleton(self, body_id: str, msg: Skeleton2D):
        controller = self._approach_controller()
        if self._camera is None:
            return   # _drive() says why it stands still
        now = self._now()
        stamp = msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9
        if stamp <= 0:
            stamp = now
        elif abs(now - stamp) > STAMP_SKEW_WARN:
            self.get_logger().warning(
                f'skeleton stamped {now - stamp:+.1f} s off this node\'s clock; only fresh '
                'ones allow driving (use_sim_time alike on all nodes?)', throttle_duration_sec=10.0)
        try:
            estimate = estimate_person([(lm.x, lm.y, lm.visibility) for lm in msg.landmarks],
                                       self._camera)
        except ValueError as exc:
            self.get_logger().warning(f'skeleton from body {body_id!r} unusable: {exc}',
                                      throttle_duration_sec=10.0)
            estimate = None
        controller.add_estimate(stamp, estimate)
        self._drive()

    def _approach_controller(self) -> ApproachController:
        if self._approach is None:
            p = self.params
            self._approach = ApproachController(ApproachSettings(
                stop_distance=p['approach_distance'], max_speed=p['approach_speed'],
                timeout=p['approach_timeout'], max_travel=p['approach_max_travel']), self._now())
            self._travelled = 0.0
            self._approach_status = ''
            self.get_logger().info(f"approaching the person to {p['approach_distance']:.2f} m")
        return self._approach

    def _drive(self):
        """Publish the approach command; end the approach when it or the step has ended."""
        if self.routine is None or not self.routine.wants_approach:
            if self._approach is not None:   # stopped, or ended elsewhere: stand still
                self._end_drive()
            return
        controller = self._approach_controller()
        now = self._now()
        command = controller.update(now, self._travelled)
        if self._camera is None and command.status not in (ARRIVED, FAILED):
            # Guessed intrinsics could put the person farther than they are and the robot
            # closer than approach_distance: no camera_info, no motion (the timeout still runs).
            self.get_logger().warning('no camera/camera_info yet: standing still',
                                      throttle_duration_sec=10.0)
            self.cmd_vel_pub.publish(Twist())
            return
        if command.status != self._approach_status:
            self._approach_status = command.status
            distance = '' if command.distance is None else f' at {command.distance:.2f} m'
            self.get_logger().info(f'approach: {command.status}{distance}'
                                   + (f' ({command.reason})' if command.reason else ''))
        if command.status == ARRIVED:
            self._end_drive()
            self._apply(self.routine.on_arrived(now))
        elif command.status == FAILED:
            self._end_drive()
            self._apply(self.routine.on_approach_failed(now, command.reason))
        else:
            twist = Twist()
            twist.linear.x, twist.angular.z = command.linear, command.angular
            self.cmd_vel_pub.publish(twist)

    def _end_drive(self):
        self._approach = None
        if not self.context.ok():
            return   # shut down: the motor node's watchdog stops the base within 0.3 s
        self.cmd_vel_pub.publish(Twist())   # stand still now, not after the watchdog

    # ---- bodies -------------------------------------------------------------------------

    def _on_tracked(self, msg: IdsList):
        ids = [i for i in msg.ids if i and i not in self._unusable_ids]
        for body_id in list(self._body_subs):
            if body_id not in ids:
                for sub in self._body_subs.pop(body_id):
                    self.destroy_subscription(sub)
        for body_id in ids:
            if body_id not in self._body_subs:
                self._subscribe_body(body_id)
        # One person is coached: the first tracked body.
        active = next((i for i in ids if i in self._body_subs), '')
        if active != self._active_body:
            self.get_logger().info(f'coaching body "{active}"' if active else 'nobody tracked')
            self._active_body = active

    def _subscribe_body(self, body_id: str):
        prefix = f'/humans/bodies/{body_id}'
        try:
            subs = (
                self.create_subscription(Skeleton2D, f"{prefix}/{self.params['skeleton_topic']}",
                                         lambda m, b=body_id: self._on_skeleton(b, m), BODY_QOS),
                self.create_subscription(BodyPosture, f'{prefix}/posture',
                                         lambda m, b=body_id: self._on_posture(b, m), BODY_QOS),
            )
        except Exception as exc:  # rclpy raises several types for invalid topic names
            self._unusable_ids.add(body_id)
            self.get_logger().warning(f'ignoring body id {body_id!r}: {exc}')
            return
        self._body_subs[body_id] = subs

    def _on_posture(self, body_id: str, msg: BodyPosture):
        if body_id != self._active_body or self.routine is None or not self.routine.started:
            return
        try:
            posture = Posture(msg.posture)
        except ValueError:
            self.get_logger().warning(f'unknown posture value {msg.posture}; ignored',
                                      throttle_duration_sec=10.0)
            return
        self._apply(self.routine.on_posture(self._now(), posture, on_floor=msg.on_floor))

    def _on_skeleton(self, body_id: str, msg: Skeleton2D):
        if body_id != self._active_body or self.routine is None or not self.routine.started:
            return
        if self.routine.wants_approach:
            self._on_approach_skeleton(body_id, msg)
            return
        if self.routine.current_exercise is None:
            return
        stamp = msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9
        t = stamp if stamp > 0 else self._now()
        try:
            frame = BodyFrame.from_arrays(
                [(lm.x, lm.y, lm.z, lm.visibility) for lm in msg.landmarks],
                [(lm.x, lm.y, lm.z, lm.visibility) for lm in msg.world_landmarks],
                msg.image_width, msg.image_height)
        except ValueError as exc:
            self.get_logger().warning(f'skeleton from body {body_id!r} unusable: {exc}',
                                      throttle_duration_sec=10.0)
            frame = None
        self._apply(self.routine.on_frame(t, frame))


def main(args=None):
    rclpy.init(args=args)
    node = None
    try:
        node = CoachNode()
        rclpy.spin(node)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    except (ParameterException, ValueError) as exc:
        if node is not None:
            raise
        # a bad parameter (e.g. a launch argument read as a number): one line, exit 1
        rclpy.logging.get_logger('coach_node').fatal(f'cannot start: {exc}')
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
