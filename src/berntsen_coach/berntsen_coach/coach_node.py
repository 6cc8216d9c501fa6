"""Coach node: runs the `morning` routine against the people the pose node tracks.

Adapter only: converts REP 155 body messages into routine events, sends the routine's
phrases to the `speak` action server, and publishes `coach/state`. The logic lives in
routine.py, rep_counter.py, exercises.py and phrases.py.
"""
from __future__ import annotations

import math
from collections import deque
from pathlib import Path

import rclpy
from berntsen_interfaces.action import Speak
from berntsen_interfaces.msg import BodyPosture, CoachState, IdsList, Skeleton2D
from rcl_interfaces.msg import FloatingPointRange, IntegerRange, ParameterDescriptor
from rclpy.action import ActionClient
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy, qos_profile_sensor_data

from .exercises import exercise_signal, load_exercises
from .phrases import DEFAULT_LANGUAGE, LANGUAGES, Phrases
from .routine import (Counted, MorningRoutine, MorningSettings, Posture, Say, StateChanged)

# Late joiners (the simulator's virtual patient, a monitor) need the current step at once.
STATE_QOS = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE,
                       durability=DurabilityPolicy.TRANSIENT_LOCAL)
# Body topics are a stream of measurements: a lost sample is replaced by the next one and
# the rep counter tolerates gaps. Sensor-data QoS (best effort, REP 2003) also matches a
# publisher that chose reliable, so the coach hears the pose node whichever it picks.
BODY_QOS = qos_profile_sensor_data

TICK_PERIOD = 0.1                 # s; re-prompt timing resolution
SPEECH_WAIT_LOG_PERIOD = 5.0      # s between "speech server not up" warnings
FINAL_STATE_GRACE = 0.5           # s between the last publish and shutdown (exit_when_done)


def default_exercises_file() -> str:
    """The installed config/exercises.yaml, or the source tree's when not installed."""
    try:
        from ament_index_python.packages import (PackageNotFoundError,
                                                 get_package_share_directory)
        try:
            installed = Path(get_package_share_directory('berntsen_coach')) / 'config'
            if (installed / 'exercises.yaml').is_file():
                return str(installed / 'exercises.yaml')
        except (PackageNotFoundError, OSError):   # OSError: AMENT_PREFIX_PATH unset
            pass
    except ImportError:
        pass
    return str(Path(__file__).resolve().parent.parent / 'config' / 'exercises.yaml')


class CoachNode(Node):
    def __init__(self):
        super().__init__('coach')
        p = self._declare_parameters()
        exercises = load_exercises(p['exercises_file'])
        if p['exercise'] not in exercises:
            raise ValueError(f"parameter exercise: {p['exercise']!r} is not in "
                             f"{p['exercises_file']} (known: {', '.join(sorted(exercises))})")
        self.exercise = exercises[p['exercise']]
        try:
            phrases = Phrases(p['language'])
        except ValueError as exc:
            self.get_logger().warning(f'{exc}; speaking {DEFAULT_LANGUAGE} instead')
            phrases = Phrases(DEFAULT_LANGUAGE)
        self.language = phrases.language
        self.routine = MorningRoutine(self.exercise, phrases, MorningSettings(
            patient_name=p['patient_name'], repetitions=p['repetitions'],
            reprompt_after=p['reprompt_after'], patience=p['patience']))
        self.exit_when_done = p['exit_when_done']
        self.speech_timeout = p['speech_timeout']

        self.state_pub = self.create_publisher(CoachState, 'coach/state', STATE_QOS)
        self.speak_client = ActionClient(self, Speak, 'speak')
        self._unsent: deque[str] = deque()        # phrases waiting for the speech server
        self._awaiting: dict[int, tuple[float, str]] = {}  # goal seq → (sent at, text), in order
        self._goal_seq = 0
        self._last_speech_wait_log = -math.inf
        self._active_body = ''
        self._body_subs: dict[str, tuple] = {}
        self._unusable_ids: set[str] = set()      # ids that make no valid topic name
        self._stopping = False
        self._logged_step = ('', '')
        self.create_subscription(IdsList, '/humans/bodies/tracked', self._on_tracked, BODY_QOS)
        self.create_timer(TICK_PERIOD, self._on_tick)
        self._start_timer = self.create_timer(p['start_delay'], self._on_start)
        self.get_logger().info(
            f"morning routine for {p['patient_name']} in {self.language}: "
            f"{self.exercise.name} ×{p['repetitions']}, starting in {p['start_delay']:.1f} s")

    def _declare_parameters(self) -> dict:
        def float_range(low, high):
            return [FloatingPointRange(from_value=float(low), to_value=float(high))]

        specs = {
            'patient_name': ('Kari', ParameterDescriptor(
                description='Name the robot greets the patient by')),
            'language': (DEFAULT_LANGUAGE, ParameterDescriptor(
                description=f'Language the robot speaks; one of {", ".join(LANGUAGES)} '
                            f'(unknown → {DEFAULT_LANGUAGE} with a warning)')),
            'exercise': ('arm_raise', ParameterDescriptor(
                description='Exercise of the morning routine, a name in exercises_file')),
            'exercises_file': ('', ParameterDescriptor(
                description='YAML file of exercise definitions; empty = the package\'s '
                            'config/exercises.yaml')),
            'repetitions': (5, ParameterDescriptor(
                description='Repetitions to count (1-50)',
                integer_range=[IntegerRange(from_value=1, to_value=50, step=1)])),
            'reprompt_after': (15.0, ParameterDescriptor(
                description='Seconds after a stand-up prompt before asking again (1-600)',
                floating_point_range=float_range(1, 600))),
            'patience': (60.0, ParameterDescriptor(
                description='Seconds after the first stand-up prompt before giving up with '
                            'step no_response (1-3600, at least reprompt_after)',
                floating_point_range=float_range(1, 3600))),
            'exit_when_done': (False, ParameterDescriptor(
                description='Shut down (exit code 0) once the routine has ended (step done or '
                            'no_response) and its last phrase has been spoken')),
            'speech_timeout': (30.0, ParameterDescriptor(
                description='Seconds to wait for a phrase\'s result before carrying on without '
                            'it, so a dead speech node cannot stall the routine (1-600)',
                floating_point_range=float_range(1, 600))),
            'start_delay': (2.0, ParameterDescriptor(
                description='Seconds before the greeting (0-600)',
                floating_point_range=float_range(0, 600))),
        }
        values = {}
        for name, (default, descriptor) in specs.items():
            descriptor.read_only = True   # read once at start; a later change would do nothing
            values[name] = self.declare_parameter(name, default, descriptor).value
        if not str(values['patient_name']).strip():
            raise ValueError('parameter patient_name must not be empty')
        if values['patience'] < values['reprompt_after']:
            raise ValueError(f"parameter patience ({values['patience']}) must be at least "
                             f"reprompt_after ({values['reprompt_after']})")
        if not values['exercises_file']:
            values['exercises_file'] = default_exercises_file()
        return values

    # ---- routine plumbing ---------------------------------------------------------------

    def _now(self) -> float:
        return self.get_clock().now().nanoseconds * 1e-9

    def _on_start(self):
        self._start_timer.cancel()
        self.destroy_timer(self._start_timer)
        self._apply(self.routine.start(self._now()))

    def _on_tick(self):
        if self._awaiting:
            seq, (sent_at, text) = next(iter(self._awaiting.items()))
            if self._now() - sent_at > self.speech_timeout:
                self.get_logger().warning(
                    f'no result from the speech server {self.speech_timeout:.0f} s after '
                    f'"{text}"; carrying on')
                self._speech_finished(seq)
        if self.routine.started:
            self._apply(self.routine.tick(self._now()))
        self._send_unsent()

    def _apply(self, actions):
        for action in actions:
            if isinstance(action, Say):
                self.get_logger().info(f'say: "{action.text}"')
                self._unsent.append(action.text)
            elif isinstance(action, Counted):
                rep = action.rep
                self.get_logger().info(
                    f'count: {rep.number}/{action.target} '
                    f'(peak {rep.peak:.0f}°, {rep.duration:.1f} s)')
            elif isinstance(action, StateChanged):
                self._publish_state(action)
        self._send_unsent()
        if self.routine.finished and self.exit_when_done and not self._stopping:
            self._stopping = True
            self.get_logger().info(f'routine ended (step {self.routine.step.value}); '
                                   'shutting down as exit_when_done asks')
            self.create_timer(FINAL_STATE_GRACE, self._shutdown)

    def _publish_state(self, state: StateChanged):
        msg = CoachState()
        msg.header.stamp = self.get_clock().now().to_msg()
        msg.routine, msg.step, msg.exercise = state.routine, state.step, state.exercise
        msg.count, msg.target = state.count, state.target
        self.state_pub.publish(msg)
        if (state.step, state.exercise) != self._logged_step:   # counts have their own line
            self._logged_step = (state.step, state.exercise)
            self.get_logger().info(f'step: {state.step}' + (
                f' ({state.exercise} {state.count}/{state.target})' if state.exercise else ''))

    def _shutdown(self):
        # rclpy.spin() in main() returns once the context is shut down; exit code 0.
        self.context.try_shutdown()

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
                    f'waiting, next: "{self._unsent[0]}"')
            return
        while self._unsent:
            text = self._unsent.popleft()
            self._goal_seq += 1
            seq = self._goal_seq
            self._awaiting[seq] = (self._now(), text)
            goal = Speak.Goal(text=text, language=self.language, urgent=False)
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
            self.get_logger().warning(f'speech failed ({error}); carrying on')
        self._speech_finished(seq)

    def _speech_finished(self, seq: int):
        # Results of phrases already given up on (timeout) must not advance the routine twice.
        if self._awaiting.pop(seq, None) is None:
            return
        self._apply(self.routine.on_speech_finished(self._now()))

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
        # The walking skeleton coaches one person: the first tracked body.
        active = next((i for i in ids if i in self._body_subs), '')
        if active != self._active_body:
            self.get_logger().info(f'coaching body "{active}"' if active else 'nobody tracked')
            self._active_body = active

    def _subscribe_body(self, body_id: str):
        prefix = f'/humans/bodies/{body_id}'
        try:
            subs = (
                self.create_subscription(Skeleton2D, f'{prefix}/skeleton2d',
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
        if body_id != self._active_body:
            return
        try:
            posture = Posture(msg.posture)
        except ValueError:
            self.get_logger().warning(f'unknown posture value {msg.posture}; ignored',
                                      throttle_duration_sec=10.0)
            return
        self._apply(self.routine.on_posture(self._now(), posture))

    def _on_skeleton(self, body_id: str, msg: Skeleton2D):
        if body_id != self._active_body:
            return
        stamp = msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9
        t = stamp if stamp > 0 else self._now()
        landmarks = [(lm.x, lm.y, lm.visibility) for lm in msg.landmarks]
        try:
            value = exercise_signal(self.exercise, landmarks, msg.image_width, msg.image_height)
        except ValueError as exc:
            self.get_logger().warning(f'skeleton from body {body_id!r} unusable: {exc}',
                                      throttle_duration_sec=10.0)
            value = None
        self._apply(self.routine.on_signal(t, value))


def main(args=None):
    rclpy.init(args=args)
    node = None
    try:
        node = CoachNode()
        rclpy.spin(node)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        if node is not None:
            node.destroy_node()
        rclpy.try_shutdown()


if __name__ == '__main__':
    main()
