"""Coach node: runs the morning routine and a patient's programme against the people the
pose node tracks, and records the session.

Adapter only: turns REP 155 body messages into routine events, sends the routine's phrases
to the `speak` action server (speech_client.py), publishes `coach/state`,
`coach/events` and `caregiver/alert`, serves `start_session` / `stop_session`, and writes the
session log. The logic lives in coach_routine.py and the modules it uses.

With `approach` true the session starts by driving up to the person: in the routine's
approach step the coach sends a goal to the `approach` action (approach_client.py; served by
approach_node, or any server of berntsen_interfaces/Approach) and waits for its result,
cancelling it when the routine leaves the step (a fall, a stop). The coach itself never commands the base.

`coach/state` is re-sent at least once a second (stamped when sent) so that the base guard
can tell a live coach from a dead one; `/diagnostics` says what the coach is doing.
"""
from __future__ import annotations

import gc
import json
import math
import signal
import sys
import time
from pathlib import Path

import rclpy
from berntsen_interfaces.msg import (BodyPosture, CaregiverAlert, CoachState, IdsList,
                                     SessionEvent, Skeleton2D)
from berntsen_interfaces.srv import StartSession
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from rcl_interfaces.msg import FloatingPointRange, ParameterDescriptor
from rclpy.exceptions import ParameterException
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy, qos_profile_sensor_data
from std_srvs.srv import Trigger

from .approach_client import ApproachClient
from .coach_routine import ROUTINE_NAME, CoachRoutine, RoutineSettings
from .exercises import BodyFrame, load_exercises
from .paths import package_config, resolve_programme
from .phrases import LANGUAGES
from .programme import Programme, load_programme
from .routine import AlertCaregiver, Counted, Event, Posture, Say, StateChanged
from .session_log import SessionLog, SessionLogError, default_db_path
from .session_recorder import SessionRecorder
from .speech_client import SpeechClient

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

TICK_PERIOD = 0.1                 # s; re-prompt and rest timing resolution
# s a session waits for the first /humans/bodies/tracked: BlazePose loads for seconds, longer
# on a loaded machine, and "I cannot see you" before the greeting would be wrong
PERCEPTION_STARTUP_GRACE = 30.0
DEFAULT_APPROACH_DISTANCE = 2.2   # m; the approach_distance parameter's default
FINAL_STATE_GRACE = 0.5           # s between the last publish and shutdown (exit_when_done)
# coach/state is re-sent this often, well inside the base guard's ~3 s staleness limit
STATE_HEARTBEAT_PERIOD = 0.5      # s
DIAGNOSTICS_PERIOD = 1.0          # s
SKELETON_STALE = 2.0              # s without a skeleton during an exercise: diagnostics WARN
COUNTING_STEPS = ('exercise', 'test')


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
        self.speech = SpeechClient(self, self._speech_finished,
                                   timeout=self.params['speech_timeout'])
        self.create_service(StartSession, 'start_session', self._on_start_session)
        self.create_service(Trigger, 'stop_session', self._on_stop_session)
        self._active_body = ''
        self._body_subs: dict[str, tuple] = {}
        self._unusable_ids: set[str] = set()        # ids that make no valid topic name
        self._stopping = False
        self._logged_step = ('', '')
        self._state_msg: CoachState | None = None   # the latest, re-sent as a heartbeat
        self._state_sent_at = -math.inf
        self._last_skeleton_at: float | None = None  # node clock, the coached body's
        self._perception_heard_at = 0.0   # node clock: /humans/bodies/tracked, or session start
        self._perception_ever_heard = False   # before, the pose node may still be loading
        self._speech_missing_since: float | None = None   # node clock, while a session runs
        self._speech_alerted = False
        self.diag_pub = self.create_publisher(DiagnosticArray, '/diagnostics', 10)
        self.approach = ApproachClient(
            self, stop_distance=self.params['approach_distance'],
            server_wait=self.params['approach_server_wait'],
            on_arrived=lambda distance: self._apply(self.routine.on_arrived(self._now())),
            on_failed=lambda reason: self._apply(
                self.routine.on_approach_failed(self._now(), reason)),
        ) if self.params['approach'] else None
        self.create_subscription(IdsList, '/humans/bodies/tracked', self._on_tracked, BODY_QOS)
        self.create_timer(TICK_PERIOD, self._on_tick)
        self.create_timer(DIAGNOSTICS_PERIOD, self._publish_diagnostics)
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
            'language': ('', ParameterDescriptor(
                description=f'Language instead of the programme\'s: {", ".join(LANGUAGES)} '
                            '(empty: the programme\'s; unknown: the programme\'s, with a warning)')),
            'exercises_file': ('', ParameterDescriptor(
                description='Exercise definitions YAML (empty: this package\'s config/exercises.yaml)')),
            'db_path': ('', ParameterDescriptor(
                description='Session log (SQLite); empty: ~/.local/share/berntsen/sessions.sqlite3')),
            'skeleton_topic': ('skeleton2d_smoothed', ParameterDescriptor(
                description='Per-body landmarks to count on: skeleton2d_smoothed or skeleton2d')),
            'log_utterances': (False, ParameterDescriptor(
                description='Write what the robot says into this node\'s log (it may name the '
                            'patient; for debugging only)')),
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
            'perception_timeout': seconds('No /humans/bodies/tracked at all (the camera or the pose '
                                          'node is down, not the person out of view) for this '
                                          'long: tell her and wait', 3.0, 0.5, 60),
            'perception_alert_after': seconds('Seeing nothing at all for this long during a '
                                              'session: alert a caregiver (the robot is blind)',
                                              60.0, 1, 3600),
            'speech_alert_after': seconds('No speech server for this long during a session: alert a '
                                          'caregiver (the robot cannot talk to her)', 30.0, 1, 600),
            'speech_timeout': seconds('Wait at most this long for a phrase\'s result (less for a short '
                                      'one) before carrying on without it, '
                                      'so a dead speech node cannot stall the routine', 30.0, 1, 600),
            'approach': (False, ParameterDescriptor(
                description='Start each session by driving up to the person through the '
                            '"approach" action (the approach node); false: greet from where '
                            'the robot stands')),
            'approach_distance': metres('Ask the approach to stop this far from the person '
                                        '(horizontally, base centre to pelvis)',
                                        DEFAULT_APPROACH_DISTANCE, 1.0, 4.0),
            'approach_server_wait': seconds('Greet from where the robot stands when the '
                                            '"approach" action server has been unavailable, '
                                            'or silent during a goal (no feedback), this long',
                                            30.0, 1, 600),
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
            set_patience=self.params['set_patience'], approach=self.params['approach'],
            blind_alert_after=self.params['perception_alert_after']))
        if self.log is None:
            self.log = SessionLog(self.db_path)
        # the log keeps Unix times; on sim time (use_sim_time) this node's clock starts at 0
        recorder = SessionRecorder(self.log, programme, path, ROUTINE_NAME,
                                   clock_offset=time.time() - self._now(),
                                   simulated=self.get_parameter('use_sim_time').value)
        recorder.begin(self._now())
        self.routine, self.recorder = routine, recorder
        if self.approach is not None:
            self.approach.reset()
        items = ', '.join(getattr(i, 'exercise', None) or i.test for i in programme.items)
        self.get_logger().info(f'session for patient {programme.patient_id} in '
                               f'{programme.language}: {items}; log {self.db_path}')
        self._perception_heard_at = self._now()
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
        response.success, response.message = True, 'session stopped'
        return response

    # ---- routine plumbing ---------------------------------------------------------------

    def _said(self, say: Say) -> str:
        """An utterance for this node's log: what sort of phrase, its text only when
        log_utterances asks for it (what is said may name the patient)."""
        return f'"{say.text}"' if self.params['log_utterances'] else f'a {say.kind} phrase'

    def _now(self) -> float:
        return self.get_clock().now().nanoseconds * 1e-9

    def _on_tick(self):
        self.speech.update()
        self._watch_speech()
        if self.routine is not None and self.routine.started:
            silent_for = self._now() - self._perception_heard_at
            allowed = self.params['perception_timeout'] if self._perception_ever_heard \
                else max(self.params['perception_timeout'], PERCEPTION_STARTUP_GRACE)
            if silent_for > allowed and not self.routine.blind and not self.routine.finished:
                self.get_logger().warning(
                    f'nothing on /humans/bodies/tracked for {silent_for:.0f} s: '
                    'the camera or the pose node is down; waiting')
                self._apply(self.routine.on_perception_lost(self._now()))
            self._apply(self.routine.tick(self._now()))
            self._update_approach()
        if self._state_msg is not None and \
                self._now() - self._state_sent_at >= STATE_HEARTBEAT_PERIOD:
            self._send_state()

    def _apply(self, actions):
        now = self._now()
        for action in actions:
            if isinstance(action, Say):
                self.get_logger().info(f'say{" (urgent)" if action.urgent else ""}: '
                                       f'{self._said(action)}')
                self.speech.say(action.text, self.routine.phrases.language,
                                urgent=action.urgent, label=self._said(action))
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
        self._update_approach()   # e.g. a fall seen during the approach: cancel it at once
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
        self._state_msg = msg
        self._send_state()
        if (state.step, state.exercise) != self._logged_step:   # counts have their own line
            self._logged_step = (state.step, state.exercise)
            self.get_logger().info(f'step: {state.step}' + (
                f' ({state.exercise} {state.count}/{state.target})' if state.exercise else ''))

    def _send_state(self):
        """Publish the latest state stamped now: on a change and as the heartbeat."""
        msg = self._state_msg
        msg.motion_allowed = self.routine.motion_allowed
        msg.header.stamp = self.get_clock().now().to_msg()
        self._state_sent_at = self._now()
        self.state_pub.publish(msg)

    def _shutdown(self):
        # rclpy.spin() in main() returns once the context is shut down; exit code 0.
        self.context.try_shutdown()

    def destroy_node(self):
        # the session log first: after a Ctrl-C the context is gone and nothing can be sent
        if self.routine is not None and self.routine.started and not self.routine.finished:
            now = self._now()
            # shut down while a part was down (a supervisor gave up on it): the record says so
            # (speech: gone long enough for an alert, not merely not yet discovered)
            fault = 'pose or camera' if self.routine.blind else \
                'speech' if self._speech_alerted else ''
            try:
                for action in self.routine.stop(now, 'coach node shut down', fault):
                    if isinstance(action, Event):
                        self.recorder.record(now, action, item=self.routine.item)
                self.recorder.end(now, self.routine.step.value)
            except SessionLogError as exc:
                self.get_logger().error(f'session log: could not close the session: {exc}')
        if self.log is not None:
            self.log.close()
        if self.approach is not None and self.context.ok():
            self.approach.cancel('coach node shut down')
        super().destroy_node()

    # ---- speech and approach -----------------------------------------------------------

    def _speech_finished(self, ticket: int):
        if self.routine is not None:
            self._apply(self.routine.on_speech_finished(self._now()))

    def _watch_speech(self):
        """No speech server for speech_alert_after during a session: a caregiver is told (the
        robot cannot talk to her)."""
        if self.speech.server_ready:
            if self._speech_missing_since is not None:
                self.get_logger().info('speech server is back')
            self._speech_missing_since, self._speech_alerted = None, False
            return
        if self.routine is None or not self.routine.started or self.routine.finished:
            return
        now = self._now()
        if self._speech_missing_since is None:
            self._speech_missing_since = now
        elif not self._speech_alerted and \
                now - self._speech_missing_since >= self.params['speech_alert_after']:
            self._speech_alerted = True
            self._apply([Event('fault', {'node': 'speech', 'since': self._speech_missing_since}),
                         AlertCaregiver('speech_unavailable')])

    def _update_approach(self):
        """Drive to the person in the routine's approach step; cancel on leaving it."""
        if self.approach is None or self.routine is None or not self.routine.started:
            return
        self.approach.update(self.routine.wants_approach,
                             f'the routine left the approach step (now {self.routine.step.value})')

    # ---- diagnostics --------------------------------------------------------------------

    def _publish_diagnostics(self):
        now = self._now()
        routine = self.routine
        step = routine.step.value if routine is not None and routine.step else ''
        skeleton_age = None if self._last_skeleton_at is None else now - self._last_skeleton_at
        status = DiagnosticStatus(name=f'{self.get_name()}: coaching session', hardware_id='')
        if routine is None or not routine.started:
            status.level, status.message = DiagnosticStatus.OK, 'no session'
        elif step in COUNTING_STEPS and (skeleton_age is None or skeleton_age > SKELETON_STALE):
            status.level = DiagnosticStatus.WARN
            status.message = (f'step {step}: no skeleton of the person for '
                              + ('the whole session' if skeleton_age is None
                                 else f'{skeleton_age:.1f} s'))
        else:
            status.level, status.message = DiagnosticStatus.OK, f'step {step}'
        session_id = self.recorder.session_id if self.recorder is not None else None
        values = {
            'step': step,
            'exercise': routine.current_exercise.name
            if routine is not None and routine.current_exercise is not None else '',
            'session_id': '' if session_id is None else session_id,
            'coached_body': self._active_body,
            'seconds_since_skeleton': 'never' if skeleton_age is None else f'{skeleton_age:.1f}',
            'speech_requests_pending': self.speech.pending,
            'approach': self.approach.state if self.approach is not None else 'disabled',
        }
        status.values = [KeyValue(key=k, value=str(v)) for k, v in values.items()]
        msg = DiagnosticArray(status=[status])
        msg.header.stamp = self.get_clock().now().to_msg()
        self.diag_pub.publish(msg)

    # ---- bodies -------------------------------------------------------------------------

    def _on_tracked(self, msg: IdsList):
        self._perception_heard_at, self._perception_ever_heard = self._now(), True
        if self.routine is not None and self.routine.blind:
            self.get_logger().info('perception is back')
            self._apply(self.routine.on_perception_restored(self._now()))
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
        if body_id != self._active_body:
            return
        self._last_skeleton_at = self._now()
        if self.routine is None or not self.routine.started:
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
