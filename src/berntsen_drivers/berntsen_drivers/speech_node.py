"""Speech node: the `speak` action server, `speech/status` and `/diagnostics`, over `SpeechWorker`.

Goal states follow the speech queue: an accepted goal waits (feedback "queued") until the
worker starts its utterance; only then does it start executing (feedback "speaking"), and
goals play in the order they were accepted. The execute callback is a coroutine that waits
for the worker without holding an executor thread, so the node needs no multi-threaded
executor, and should not have one: rclpy 9's MultiThreadedExecutor hands every callback to
its pool and re-dispatches it until a pool thread starts it, which with use_sim_time (/clock
at 100 Hz) kept most of a core busy.

An `urgent` goal is never rejected for a full queue; it is spoken next, and it stops the
goal being spoken (unless that one is urgent too), which ends ABORTED with the error
`PREEMPTED_ERROR`. Urgent goals among themselves keep their order.
"""
from __future__ import annotations

import gc
import signal
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import rclpy
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from rcl_interfaces.msg import FloatingPointRange, IntegerRange, ParameterDescriptor, SetParametersResult
from rclpy.action import ActionServer, CancelResponse, GoalResponse
from rclpy.clock import Clock, ClockType
from rclpy.exceptions import ParameterException
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from rclpy.task import Future

from berntsen_interfaces.action import Speak
from berntsen_interfaces.msg import SpeechStatus
from berntsen_drivers.speech_worker import OUTPUTS, QueueFull, SpeechWorker, Spoken, make_sink
from berntsen_drivers.tts import (DEFAULT_LANGUAGE, DEFAULT_RATE, DEFAULT_VOLUME, RATE_RANGE, VOICES,
                                  Pyttsx3Engine, check_rate, check_volume)

FEEDBACK_PERIOD = 0.2  # seconds between "speaking" feedback messages
DIAGNOSTICS_PERIOD = 1.0  # seconds
LEVELS = {'OK': DiagnosticStatus.OK, 'WARN': DiagnosticStatus.WARN, 'ERROR': DiagnosticStatus.ERROR}
PREEMPTED_ERROR = 'pre-empted by an urgent utterance'
SHUTDOWN_ERROR = 'speech node shut down'


@dataclass(eq=False)
class _Job:
    """One goal on its way through the speech queue; filled in by the worker thread."""

    goal_handle: object
    utterance: object = None
    started: float | None = None
    executing: bool = False  # the goal went to EXECUTING (or, cancelled since, CANCELING)
    spoken: Spoken | None = None
    error: str = ''
    cancelled: bool = False
    # completed in the executor (see SpeechNode._complete_finished); the execute callback awaits it
    finished: Future = field(default_factory=Future)


class SpeechNode(Node):
    def __init__(self, **kwargs):
        self._worker = None  # destroy_node may run on a half-built node (bad parameter)
        super().__init__('speech', **kwargs)
        self.declare_parameter('language', DEFAULT_LANGUAGE, ParameterDescriptor(
            description=f'Language when a goal gives none; choices: {", ".join(VOICES)} (espeak-ng voices)'))
        self.declare_parameter('rate', DEFAULT_RATE, ParameterDescriptor(
            description='Speaking rate in words per minute',
            integer_range=[IntegerRange(from_value=RATE_RANGE[0], to_value=RATE_RANGE[1], step=1)]))
        self.declare_parameter('volume', DEFAULT_VOLUME, ParameterDescriptor(
            description='Volume, 0.0 (silent) to 1.0 (full)',
            floating_point_range=[FloatingPointRange(from_value=0.0, to_value=1.0, step=0.0)]))
        self.declare_parameter('output', 'device', ParameterDescriptor(
            description='Where speech goes; choices: device (audio device; WAV files when there is none), '
                        'wav (one WAV file per utterance in wav_dir), log (log the text only)',
            read_only=True))
        self.declare_parameter('wav_dir', '~/.local/share/berntsen/speech', ParameterDescriptor(
            description='Folder for WAV files (output wav, or device without an audio device)', read_only=True))
        self.declare_parameter('pace', True, ParameterDescriptor(
            description='With wav/log output, stay "speaking" for the duration of the audio, as a loudspeaker would',
            read_only=True))
        self.declare_parameter('max_queue', 10, ParameterDescriptor(
            description='Utterances that may wait behind the one being spoken; more goals are rejected',
            integer_range=[IntegerRange(from_value=1, to_value=100, step=1)], read_only=True))

        language = self._checked('language', self.get_parameter('language').value)
        rate = self._checked('rate', self.get_parameter('rate').value)
        volume = self._checked('volume', self.get_parameter('volume').value)
        output = self._checked('output', self.get_parameter('output').value)
        wav_dir = Path(self.get_parameter('wav_dir').value).expanduser()
        max_queue = self.get_parameter('max_queue').value

        # Reliable + transient-local depth 1: the coach (or a screen) joining late still gets
        # the current state, and no speaking->idle edge is lost.
        status_qos = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE,
                                durability=DurabilityPolicy.TRANSIENT_LOCAL)
        self._status_pub = self.create_publisher(SpeechStatus, 'speech/status', status_qos)

        log = self.get_logger()
        sink = make_sink(output, wav_dir, log, pace=self.get_parameter('pace').value)
        self._closing = False  # set on shutdown: goal handles and publishers are going away
        self._jobs: dict[bytes, _Job] = {}
        self._jobs_lock = threading.Lock()
        self._finished_jobs: deque[_Job] = deque()  # ended in the worker; completed in the executor
        self._wake = self.create_guard_condition(self._complete_finished)
        self._steady = Clock(clock_type=ClockType.STEADY_TIME)  # feedback follows the audio, not /clock
        self._worker = SpeechWorker(Pyttsx3Engine(), sink, log, default_language=language, rate=rate,
                                    volume=volume, max_queue=max_queue, on_state=self._publish_status)
        self._publish_status(self._worker.state())
        self.add_on_set_parameters_callback(self._on_set_parameters)
        self._diagnostics_pub = self.create_publisher(DiagnosticArray, '/diagnostics', 10)
        self.create_timer(DIAGNOSTICS_PERIOD, self._publish_diagnostics)

        self._action_server = ActionServer(
            self, Speak, 'speak', execute_callback=self._execute, goal_callback=self._on_goal,
            handle_accepted_callback=self._on_accepted, cancel_callback=self._on_cancel)
        self.get_logger().info(f'speaking {language} at {rate} wpm, volume {volume:.2f}, output {sink.name}'
                               + (f' ({wav_dir})' if sink.name == 'wav' else ''))

    # ------------------------------------------------------------ parameters

    def _checked(self, name, value):
        try:
            if name == 'language':
                if value not in VOICES:
                    raise ValueError(f'{value!r} is not one of {", ".join(VOICES)}')
            elif name == 'rate':
                check_rate(value)
            elif name == 'volume':
                check_volume(value)
            elif name == 'output':
                if value not in OUTPUTS:
                    raise ValueError(f'{value!r} is not one of {", ".join(OUTPUTS)}')
        except (TypeError, ValueError) as exc:
            raise ValueError(f'parameter {name}: {exc}') from exc
        return value

    def _on_set_parameters(self, params):
        try:
            for param in params:
                self._checked(param.name, param.value)
        except ValueError as exc:
            return SetParametersResult(successful=False, reason=str(exc))
        for param in params:  # the worker reads these for each new utterance
            if param.name == 'language':
                self._worker.default_language = param.value
            elif param.name == 'rate':
                self._worker.rate = param.value
            elif param.name == 'volume':
                self._worker.volume = float(param.value)
        return SetParametersResult(successful=True)

    # ------------------------------------------------------------ status

    def _ending(self) -> bool:
        """Shutting down: after Ctrl-C's context shutdown nothing can be published any more."""
        return self._closing or not self.context.ok()

    def _publish_status(self, state) -> None:
        if self._ending():
            return
        msg = SpeechStatus(speaking=state.speaking, text=state.text, language=state.language, queued=state.queued)
        msg.header.stamp = self.get_clock().now().to_msg()
        self._status_pub.publish(msg)

    def _publish_diagnostics(self) -> None:
        health = self._worker.health()
        level, message = health.level()
        values = {'backend': health.engine, 'engine_state': health.engine_state, 'output': health.output,
                  'speaking': health.speaking, 'language': health.language,
                  'speaking_for': f'{health.speaking_for:.1f}', 'queued': health.queued,
                  'max_queue': self._worker.max_queue, 'spoken': health.spoken, 'failed': health.failed,
                  'stopped': health.stopped, 'last_error': health.last_error}
        status = DiagnosticStatus(level=LEVELS[level], name=f'{self.get_name()}: speech output',
                                  message=message, hardware_id=health.engine,
                                  values=[KeyValue(key=k, value=str(v).lower() if isinstance(v, bool) else str(v))
                                          for k, v in values.items()])
        array = DiagnosticArray(status=[status])
        array.header.stamp = self.get_clock().now().to_msg()
        self._diagnostics_pub.publish(array)

    # ------------------------------------------------------------ action

    def _on_goal(self, goal: Speak.Goal) -> GoalResponse:
        if not goal.text.strip():
            self.get_logger().warning('rejected a Speak goal with empty text')
            return GoalResponse.REJECT
        if not goal.urgent and self._worker.state().queued >= self._worker.max_queue:
            self.get_logger().warning(f'speech queue full ({self._worker.max_queue} waiting): rejected a goal')
            return GoalResponse.REJECT
        return GoalResponse.ACCEPT

    def _on_accepted(self, goal_handle) -> None:
        job = _Job(goal_handle)
        with self._jobs_lock:
            self._jobs[bytes(goal_handle.goal_id.uuid)] = job
        goal = goal_handle.request
        # before submitting: the worker may start it (feedback "speaking") at once
        goal_handle.publish_feedback(Speak.Feedback(state='queued', elapsed=0.0))
        try:
            job.utterance = self._worker.submit(
                goal.text, goal.language, urgent=goal.urgent,
                on_preempted=lambda _u: self._on_done(job, error=PREEMPTED_ERROR),
                on_started=lambda _u: self._on_started(job), on_finished=lambda _u, spoken: self._on_done(job, spoken),
                on_failed=lambda _u, error: self._on_done(job, error=error),
                on_cancelled=lambda _u: self._on_done(job, cancelled=True))
        except (QueueFull, ValueError, RuntimeError) as exc:  # the queue filled up since _on_goal
            self._on_done(job, error=str(exc))

    def _on_started(self, job: _Job) -> None:
        job.started = time.monotonic()
        if not self._ending():
            job.goal_handle.execute()
            job.executing = True

    def _on_done(self, job: _Job, spoken: Spoken | None = None, error: str = '', cancelled: bool = False) -> None:
        """The worker (or, for a queued goal, the cancel callback) ended the job's utterance."""
        job.spoken, job.error, job.cancelled = spoken, error, cancelled
        if self._ending():  # destroy_node ends the goals
            return
        self._finished_jobs.append(job)
        self._wake.trigger()  # from the worker thread: wakes the executor to resume _execute
        # a queued goal cancelled or refused: its result comes from the execute callback too
        if job.started is None:
            job.goal_handle.execute()

    def _complete_finished(self) -> None:
        while self._finished_jobs:
            self._finished_jobs.popleft().finished.set_result(None)

    def _on_cancel(self, goal_handle) -> CancelResponse:
        with self._jobs_lock:
            job = self._jobs.get(bytes(goal_handle.goal_id.uuid))
        if job is None or job.utterance is None:
            return CancelResponse.REJECT
        return CancelResponse.ACCEPT if self._worker.cancel(job.utterance) else CancelResponse.REJECT

    def _publish_speaking(self, job: _Job) -> None:
        if not self._ending():
            job.goal_handle.publish_feedback(Speak.Feedback(state='speaking', elapsed=time.monotonic() - job.started))

    async def _execute(self, goal_handle) -> Speak.Result:
        with self._jobs_lock:
            job = self._jobs[bytes(goal_handle.goal_id.uuid)]
        progress = None
        if job.started is not None:  # the utterance being spoken; a refused or cancelled queued one is over
            self._publish_speaking(job)
            progress = self.create_timer(FEEDBACK_PERIOD, lambda: self._publish_speaking(job), clock=self._steady)
        await job.finished  # holds no executor thread
        if progress is not None:
            self.destroy_timer(progress)
        with self._jobs_lock:
            del self._jobs[bytes(goal_handle.goal_id.uuid)]
        result = Speak.Result()
        if not goal_handle.is_active or self._ending():  # destroy_node has ended it
            result.error = SHUTDOWN_ERROR
            return result
        if job.spoken is not None:
            result.success, result.duration, result.output = True, job.spoken.duration, job.spoken.output
            goal_handle.succeed()
            return result
        result.error = job.error or 'cancelled'
        if job.cancelled:
            # A multi-threaded executor may get here before the server marks the goal CANCELING,
            # just after our cancel callback returned; a single-threaded one never does.
            deadline = time.monotonic() + 1.0
            while not goal_handle.is_cancel_requested and time.monotonic() < deadline:
                time.sleep(0.005)
            if goal_handle.is_cancel_requested:
                goal_handle.canceled()
                return result
        goal_handle.abort()
        return result

    def destroy_node(self):
        self._closing = True
        if self._worker is not None:
            self._worker.shutdown()
        # The goal being spoken ends ABORTED while the context can still say so (after Ctrl-C's
        # context shutdown it cannot); its execute callback never resumes, so rclpy does not
        # try to abort it later through a destroyed server. Queued goals go with the server:
        # ACCEPTED cannot end without an execute callback, which would never run.
        if self._worker is not None and self.context.ok():
            with self._jobs_lock:
                goals = [job.goal_handle for job in self._jobs.values() if job.executing]
            for goal_handle in goals:
                if goal_handle.is_active:
                    goal_handle.abort()
        super().destroy_node()


def main(args=None):
    rclpy.init(args=args)
    node = None
    try:
        node = SpeechNode()
        # One thread: the execute callback awaits the worker (see the module docstring)
        rclpy.spin(node)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    except (ParameterException, ValueError) as exc:
        if node is not None:
            raise
        # a bad parameter (e.g. a launch argument read as a number): one line, exit 1
        rclpy.logging.get_logger('speech_node').fatal(f'cannot start: {exc}')
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
