"""What the coach publishes: its state (re-sent as a heartbeat), the session's events,
caregiver alerts, and the routine's behaviour tree as it runs."""
from __future__ import annotations

import json
import math
from typing import Callable

from berntsen_interfaces.msg import CaregiverAlert, CoachState, SessionEvent
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from std_msgs.msg import String

from .routine import AlertCaregiver, Event, StateChanged

# Late joiners (the simulator's virtual patient, a monitor, a caregiver's screen) need the
# current step, the alerts and the tree's state at once.
LATCHED = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE,
                     durability=DurabilityPolicy.TRANSIENT_LOCAL)
ALERT_QOS = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE,
                       durability=DurabilityPolicy.TRANSIENT_LOCAL)
EVENT_QOS = QoSProfile(depth=50, reliability=ReliabilityPolicy.RELIABLE)
# coach/state is re-sent this often, well inside the base guard's ~3 s staleness limit
STATE_HEARTBEAT_PERIOD = 0.5      # s
SKELETON_STALE = 2.0              # s without a skeleton during an exercise: diagnostics WARN
COUNTING_STEPS = ('exercise', 'test')


class CoachTopics:
    def __init__(self, node: Node):
        self._node = node
        self._state = node.create_publisher(CoachState, 'coach/state', LATCHED)
        self._events = node.create_publisher(SessionEvent, 'coach/events', EVENT_QOS)
        self._alerts = node.create_publisher(CaregiverAlert, 'caregiver/alert', ALERT_QOS)
        self._tree = node.create_publisher(String, 'coach/tree', LATCHED)
        self._diagnostics = node.create_publisher(DiagnosticArray, '/diagnostics', 10)
        self._state_msg: CoachState | None = None   # the latest, re-sent as a heartbeat
        self._state_sent_at = -math.inf
        self._logged_step = ('', '')
        self._running: list | None = None

    def _stamped(self, msg):
        msg.header.stamp = self._node.get_clock().now().to_msg()
        return msg

    def state(self, state: StateChanged, motion_allowed: bool) -> None:
        self._state_msg = CoachState(
            routine=state.routine, step=state.step, exercise=state.exercise, count=state.count,
            target=state.target, set_number=state.set_index if state.sets else 0,
            sets=state.sets, motion_allowed=motion_allowed)
        self.heartbeat(motion_allowed, force=True)
        if (state.step, state.exercise) != self._logged_step:   # counts have their own line
            self._logged_step = (state.step, state.exercise)
            self._node.get_logger().info(f'step: {state.step}' + (
                f' ({state.exercise} {state.count}/{state.target})' if state.exercise else ''))

    def heartbeat(self, motion_allowed: bool, force: bool = False) -> None:
        """Re-send the latest state, stamped now, so the base guard can tell a live coach
        from a dead one."""
        now = self._node.get_clock().now().nanoseconds * 1e-9
        msg = self._state_msg
        if msg is None or (not force and now - self._state_sent_at < STATE_HEARTBEAT_PERIOD):
            return
        msg.motion_allowed = motion_allowed
        self._state_sent_at = now
        self._state.publish(self._stamped(msg))

    def event(self, event: Event, session_id: str) -> None:
        self._events.publish(self._stamped(SessionEvent(
            kind=event.kind, detail=json.dumps(event.detail, default=str),
            session_id=session_id)))

    def alert(self, alert: AlertCaregiver, patient_id: str) -> None:
        self._alerts.publish(self._stamped(CaregiverAlert(
            reason=alert.reason, urgent=alert.urgent, patient_id=patient_id,
            detail=alert.reason)))
        log = self._node.get_logger().error if alert.urgent else self._node.get_logger().warning
        log(f'caregiver alert{" (URGENT)" if alert.urgent else ""}: {alert.reason}')

    def tree(self, running: list[tuple[str, str]], text: Callable[[], str]) -> None:
        """The routine's tree, when what runs in it has changed: JSON with `running` (the
        behaviours from the root to the one at work, each with what it waits for) and
        `tree` (the whole tree with each behaviour's status, as text)."""
        names = [name for name, _ in running]
        if names == self._running:
            return
        self._running = names
        self._tree.publish(String(data=json.dumps(
            {'running': [{'behaviour': n, 'why': why} for n, why in running], 'tree': text()},
            ensure_ascii=False)))

    def diagnostics(self, routine, skeleton_age: float | None, session_id, coached_body: str,
                    speech_pending: int, approach: str) -> None:
        """What the coach does, for `ros2 topic echo /diagnostics` and rqt_robot_monitor;
        WARN while a set or test sees no skeleton of her."""
        step = routine.step.value if routine is not None else ''
        status = DiagnosticStatus(name=f'{self._node.get_name()}: coaching session')
        status.level, status.message = DiagnosticStatus.OK, f'step {step}' if step \
            else 'no session'
        if step in COUNTING_STEPS and (skeleton_age is None or skeleton_age > SKELETON_STALE):
            status.level = DiagnosticStatus.WARN
            status.message = (f'step {step}: no skeleton of the person for '
                              + ('the whole session' if skeleton_age is None
                                 else f'{skeleton_age:.1f} s'))
        exercise = routine.current_exercise if routine is not None else None
        running = routine.running() if routine is not None else []
        values = {
            'step': step,
            'exercise': exercise.name if exercise is not None else '',
            'session_id': '' if session_id is None else session_id,
            'coached_body': coached_body,
            'seconds_since_skeleton': 'never' if skeleton_age is None else f'{skeleton_age:.1f}',
            'speech_requests_pending': speech_pending,
            'approach': approach,
            'behaviour': ': '.join(running[-1]) if running else '',
        }
        status.values = [KeyValue(key=k, value=str(v)) for k, v in values.items()]
        self._diagnostics.publish(self._stamped(DiagnosticArray(status=[status])))
