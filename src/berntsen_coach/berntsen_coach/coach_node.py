"""Coach node: runs the morning routine and a patient's programme against the people the
pose node tracks, and records the session.

Adapter only, between ROS and the routine (coach_routine.py, a behaviour tree): the person
comes from the REP 155 body topics (coached_body.py); phrases go to the `speak` action
(speech_client.py); the session and its record are coach_session.py; `coach/state`,
`coach/events`, `caregiver/alert`, `coach/tree` (what runs in the tree, and why) and
`/diagnostics` go out through coach_topics.py; `start_session`, `stop_session`,
`pause_session` and `request_help` are served (coach_services.py). part_watch.py decides when
the pose node or the speech server has been gone too long.

With `approach` true the session starts by driving up to the person: in the routine's
approach step the coach sends a goal to the `approach` action (approach_client.py; served by
approach_node, or any server of berntsen_interfaces/Approach) and waits for its result,
cancelling it when the routine leaves the step (a fall, a stop). The coach itself never
commands the base. `coach/state` is re-sent twice a second (stamped when sent) so that the
base guard can tell a live coach from a dead one.
"""
from __future__ import annotations

import gc
import signal
import sys
import time
from dataclasses import replace
from pathlib import Path

import rclpy
from rclpy.exceptions import ParameterException
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node

from .approach_client import ApproachClient
from .coach_params import declare_coach_parameters
from .coach_routine import CoachRoutine, RoutineSettings
from .coach_services import SessionServices
from .coach_session import CoachSession
from .coach_topics import CoachTopics
from .coached_body import CoachedBody
from .exercises import load_exercises
from .part_watch import PartWatch
from .paths import package_config, resolve_programme
from .phrases import LANGUAGES
from .programme import Programme, load_programme
from .routine import AlertCaregiver, Counted, Event, Say, StateChanged
from .session_log import SessionLog, SessionLogError, default_db_path
from .speech_client import SpeechClient

TICK_PERIOD = 0.1                 # s; re-prompt and rest timing resolution
FINAL_STATE_GRACE = 0.5           # s between the last publish and shutdown (exit_when_done)
DIAGNOSTICS_PERIOD = 1.0          # s


class CoachNode(Node):
    def __init__(self):
        super().__init__('coach')
        self.params = declare_coach_parameters(self)
        exercises_file = self.params['exercises_file'] or str(package_config() / 'exercises.yaml')
        self.exercises = load_exercises(exercises_file)
        self.db_path = Path(self.params['db_path']).expanduser() if self.params['db_path'] \
            else default_db_path()
        self.session: CoachSession | None = None
        self.routine: CoachRoutine | None = None    # the session's
        self.log: SessionLog | None = None
        self._stopping = False
        self.watch = PartWatch(self.params['perception_timeout'],
                               self.params['speech_alert_after'])

        self.topics = CoachTopics(self)
        self.speech = SpeechClient(self, self._speech_finished,
                                   timeout=self.params['speech_timeout'])
        self.approach = ApproachClient(
            self, stop_distance=self.params['approach_distance'],
            server_wait=self.params['approach_server_wait'],
            on_arrived=lambda distance: self.apply(self.routine.on_arrived(self.now())),
            on_failed=lambda reason: self.apply(
                self.routine.on_approach_failed(self.now(), reason)),
        ) if self.params['approach'] else None
        self.body = CoachedBody(
            self, self.params['skeleton_topic'], on_tracked=self._on_tracked,
            on_posture=self._on_posture,
            on_frame=lambda t, frame: self.apply(self.routine.on_frame(t, frame)),
            frames_wanted=lambda: self._running() and self.routine.current_exercise is not None)
        SessionServices(self)
        self.create_timer(TICK_PERIOD, self._on_tick)
        self.create_timer(DIAGNOSTICS_PERIOD, self._publish_diagnostics)
        if self.params['autostart']:
            self._start_timer = self.create_timer(self.params['start_delay'], self._on_autostart)
            self.get_logger().info(f"session with programme {self.params['programme_file']!r} "
                                   f"starts in {self.params['start_delay']:.1f} s")
        else:
            self.get_logger().info('waiting for a start_session request')

    def _running(self) -> bool:
        """A session has started (it may have ended)."""
        return self.routine is not None and self.routine.started

    # ---- sessions -----------------------------------------------------------------------

    def _load_programme(self, name_or_path: str) -> tuple[Programme, Path]:
        path = resolve_programme(name_or_path)
        programme = load_programme(path, self.exercises)
        language = self.params['language']
        if language and language not in LANGUAGES:
            self.get_logger().warning(f'unknown language {language!r}; speaking the '
                                      f'programme\'s ({programme.language})')
        elif language:
            programme = replace(programme, language=language)
        return programme, path

    def start_session(self, name_or_path: str) -> str:
        """Start a session; returns its id. Raises ValueError with a readable reason."""
        if self.routine is not None and not self.routine.finished:
            raise ValueError('a session is already running')
        programme, path = self._load_programme(name_or_path)
        if self.log is None:
            self.log = SessionLog(self.db_path)
        session = CoachSession(
            self.log, programme, path, self.exercises, RoutineSettings(
                reprompt_after=self.params['reprompt_after'], patience=self.params['patience'],
                set_patience=self.params['set_patience'], approach=self.params['approach'],
                blind_alert_after=self.params['perception_alert_after']),
            # the log keeps Unix times; on sim time (use_sim_time) this clock starts at 0
            now=self.now(), clock_offset=time.time() - self.now(),
            simulated=self.get_parameter('use_sim_time').value)
        self.session, self.routine = session, session.routine
        if self.approach is not None:
            self.approach.reset()
        items = ', '.join(getattr(i, 'exercise', None) or i.test for i in programme.items)
        self.get_logger().info(f'session for patient {programme.patient_id} in '
                               f'{programme.language}: {items}; log {self.db_path}')
        self.watch.session_started(self.now())
        self.apply(self.routine.start(self.now()))
        return str(session.session_id)

    def _on_autostart(self):
        self._start_timer.cancel()
        self.destroy_timer(self._start_timer)
        try:
            self.start_session(self.params['programme_file'])
        except (ValueError, SessionLogError, OSError) as exc:
            self.get_logger().error(f'cannot start the session: {exc}')
            if self.params['exit_when_done']:
                raise SystemExit(1) from exc

    # ---- routine plumbing ---------------------------------------------------------------

    def _said(self, say: Say) -> str:
        """An utterance for this node's log: what sort of phrase, its text only when
        log_utterances asks for it (what is said may name the patient)."""
        return f'"{say.text}"' if self.params['log_utterances'] else f'a {say.kind} phrase'

    def now(self) -> float:
        return self.get_clock().now().nanoseconds * 1e-9

    def _on_tick(self):
        self.speech.update()
        live = self._running() and not self.routine.finished
        speech_lost_at = self.watch.speech_lost(self.now(), self.speech.unavailable_since, live)
        if speech_lost_at is not None:   # a caregiver is told: the robot cannot talk to her
            self.apply([Event('fault', {'node': 'speech', 'since': speech_lost_at}),
                        AlertCaregiver('speech_unavailable')])
        if self._running():
            silent_for = self.watch.perception_silent_for(self.now())
            if silent_for is not None and not self.routine.blind and not self.routine.finished:
                self.get_logger().warning(
                    f'nothing on /humans/bodies/tracked for {silent_for:.0f} s: '
                    'the camera or the pose node is down; waiting')
                self.apply(self.routine.on_perception_lost(self.now()))
            self.apply(self.routine.tick(self.now()))
            self.topics.heartbeat(self.routine.motion_allowed)

    def apply(self, actions):
        now = self.now()
        routine = self.routine
        for action in actions:
            if isinstance(action, Say):
                self.get_logger().info(f'say{" (urgent)" if action.urgent else ""}: '
                                       f'{self._said(action)}')
                self.speech.say(action.text, routine.phrases.language,
                                urgent=action.urgent, label=self._said(action))
            elif isinstance(action, Counted):
                rep = action.rep
                self.get_logger().info(f'count: {rep.number}/{action.target} '
                                       f'(peak {rep.peak:.2f}, {rep.duration:.1f} s)')
            elif isinstance(action, StateChanged):
                self.topics.state(action, routine.motion_allowed)
            elif isinstance(action, Event):
                self._record(now, action)
            elif isinstance(action, AlertCaregiver):
                self.topics.alert(action, routine.programme.patient_id)
        self.topics.tree(routine.running(), routine.tree_status)
        self._update_approach()   # e.g. a fall seen during the approach: cancel it at once
        if routine.finished:
            self._end_session(now)

    def _record(self, now: float, event: Event):
        self._log_problem(self.session.record(now, event))
        self.topics.event(event, str(self.session.session_id or ''))

    def _log_problem(self, problem: str):
        if problem:   # the session goes on for the patient; the care team sees the gap
            self.get_logger().error(f'session log: {problem}')

    def _end_session(self, now: float):
        self._log_problem(self.session.end(now))
        if self.params['exit_when_done'] and not self._stopping:
            self._stopping = True
            self.get_logger().info(f'routine ended (step {self.routine.step.value}); '
                                   'shutting down as exit_when_done asks')
            self.create_timer(FINAL_STATE_GRACE, self._shutdown)

    def _shutdown(self):
        # rclpy.spin() in main() returns once the context is shut down; exit code 0.
        self.context.try_shutdown()

    def destroy_node(self):
        # the session log first: after a Ctrl-C the context is gone and nothing can be sent
        if self.session is not None:
            # shut down while a part was down (a supervisor gave up on it): the record says so
            # (speech: gone long enough for an alert, not merely not yet discovered)
            fault = 'pose or camera' if self.routine.blind else \
                'speech' if self.watch.speech_alerted else ''
            self._log_problem(self.session.shut_down(self.now(), fault))
        if self.log is not None:
            self.log.close()
        if self.approach is not None and self.context.ok():
            self.approach.cancel('coach node shut down')
        super().destroy_node()

    # ---- speech and approach -----------------------------------------------------------

    def _speech_finished(self, ticket: int):
        if self.routine is not None:
            self.apply(self.routine.on_speech_finished(self.now()))

    def _update_approach(self):
        """Drive to the person in the routine's approach step; cancel on leaving it."""
        if self.approach is None or self.routine is None or not self.routine.started:
            return
        self.approach.update(self.routine.wants_approach, 'the session is paused'
                             if self.routine.paused else 'the routine left the approach step '
                             f'(now {self.routine.step.value})')

    def _publish_diagnostics(self):
        routine, now = self.routine, self.now()
        seen_at = self.body.last_skeleton_at
        self.topics.diagnostics(
            routine if self._running() else None, skeleton_age=None if seen_at is None
            else now - seen_at, session_id=getattr(self.session, 'session_id', None),
            coached_body=self.body.active, speech_pending=self.speech.pending,
            approach=self.approach.state if self.approach is not None else 'disabled')

    def _on_posture(self, posture, on_floor: bool):
        if self._running():
            self.apply(self.routine.on_posture(self.now(), posture, on_floor=on_floor))

    def _on_tracked(self):
        self.watch.perception_heard(self.now())
        if self.routine is not None and self.routine.blind:
            self.get_logger().info('perception is back')
            self.apply(self.routine.on_perception_restored(self.now()))


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
