"""A node that watches the session topics and feeds the transcript (used by `berntsen`)."""
from __future__ import annotations

import json
import threading
import time

from diagnostic_msgs.msg import DiagnosticArray
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from std_msgs.msg import Float64, String

from berntsen_bringup.transcript import Transcript
from berntsen_interfaces.msg import (
    BodyPosture,
    CaregiverAlert,
    CoachState,
    IdsList,
    SessionEvent,
    SpeechStatus,
)

# Same QoS as the publishers of coach/state and speech/status: late joiners get the last value.
LATCHED = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE,
                     durability=DurabilityPolicy.TRANSIENT_LOCAL)
EVENTS = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)
# the simulator's per-repetition truth: every one matters to the verdict
TRUTH_STREAM = QoSProfile(depth=50, reliability=ReliabilityPolicy.RELIABLE)


class SessionMonitor(Node):
    def __init__(self, print_line=print):
        super().__init__('session_monitor')
        self.transcript = Transcript(time.monotonic())
        self._print = print_line
        self._lock = threading.Lock()
        self._posture_subs = {}
        self.coach_step = ''
        # node name -> monotonic time of its latest /diagnostics (statuses are "<node>: ...")
        self.diagnostics_heard: dict[str, float] = {}
        self.diagnostics_said: dict[str, str] = {}   # node name -> its latest status message
        self.create_subscription(SpeechStatus, 'speech/status', self._on_speech, LATCHED)
        self.create_subscription(CoachState, 'coach/state', self._on_coach, LATCHED)
        self.create_subscription(IdsList, '/humans/bodies/tracked', self._on_tracked, EVENTS)
        self.create_subscription(SessionEvent, 'coach/events', self._on_event, EVENTS)
        self.create_subscription(CaregiverAlert, 'caregiver/alert', self._on_alert,
                                 QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE,
                                            durability=DurabilityPolicy.TRANSIENT_LOCAL))
        self.create_subscription(DiagnosticArray, '/diagnostics', self._on_diagnostics, EVENTS)
        self.create_subscription(String, 'sim/truth/posture', self._on_truth_posture, LATCHED)
        self.create_subscription(String, 'sim/truth/repetition', self._on_truth_rep,
                                 TRUTH_STREAM)
        self.create_subscription(Float64, 'sim/truth/patient_distance', self._on_truth_distance,
                                 EVENTS)
        self.create_subscription(Float64, 'sim/truth/clearance', self._on_truth_clearance, EVENTS)
        self.create_subscription(String, 'sim/truth/contact', self._on_truth_contact, LATCHED)
        self.create_subscription(String, 'sim/truth/visitor', self._on_truth_visitor, LATCHED)

    def _emit(self, *lines):
        with self._lock:
            for line in lines:
                if line:
                    self._print(line)

    def _on_speech(self, msg: SpeechStatus):
        self._emit(self.transcript.speech(time.monotonic(), msg.speaking, msg.text))

    def _on_coach(self, msg: CoachState):
        self.coach_step = msg.step
        self._emit(*self.transcript.coach_state(time.monotonic(), msg.step, msg.exercise,
                                                msg.count, msg.target, msg.set_number,
                                                msg.sets))

    def _on_event(self, msg: SessionEvent):
        try:
            detail = json.loads(msg.detail or '{}')
        except ValueError:
            detail = None
        if not isinstance(detail, dict):
            self.get_logger().warning(f'unreadable {msg.kind} event: {msg.detail!r}')
            detail = {}
        self._emit(self.transcript.event(time.monotonic(), msg.kind, detail))

    def _on_diagnostics(self, msg: DiagnosticArray):
        now = time.monotonic()
        for status in msg.status:
            node = status.name.split(':', 1)[0]
            self.diagnostics_heard[node] = now
            self.diagnostics_said[node] = status.message

    def _on_alert(self, msg: CaregiverAlert):
        self._emit(self.transcript.alert(time.monotonic(), msg.reason, msg.urgent))

    def _on_tracked(self, msg: IdsList):
        ids = set(msg.ids)
        for body_id in ids - set(self._posture_subs):
            self._posture_subs[body_id] = self.create_subscription(
                BodyPosture, f'/humans/bodies/{body_id}/posture', self._on_posture, EVENTS)
        for body_id in set(self._posture_subs) - ids:
            self.destroy_subscription(self._posture_subs.pop(body_id))
            self._emit(self.transcript.body_lost(time.monotonic(), body_id))

    def _on_posture(self, msg: BodyPosture):
        self._emit(self.transcript.posture(time.monotonic(), msg.body_id, msg.posture,
                                           msg.confidence))

    def _on_truth_posture(self, msg: String):
        self._emit(self.transcript.truth(time.monotonic(), msg.data))

    def _on_truth_rep(self, msg: String):
        try:
            rep = json.loads(msg.data)
            line = self.transcript.truth_repetition(
                time.monotonic(), str(rep['motion']), float(rep['duration']),
                float(rep['amplitude']), bool(rep['counted']), str(rep.get('side', '')))
        except (ValueError, KeyError, TypeError):
            self.get_logger().warning(f'unreadable sim/truth/repetition: {msg.data!r}')
            return
        self._emit(line)

    def _on_truth_distance(self, msg: Float64):
        self._emit(self.transcript.distance(time.monotonic(), msg.data))

    def _on_truth_clearance(self, msg: Float64):
        with self._lock:
            self.transcript.clearance(msg.data)

    def _on_truth_contact(self, msg: String):
        self._emit(self.transcript.contact(time.monotonic(), msg.data))

    def _on_truth_visitor(self, msg: String):
        self._emit(self.transcript.visitor(time.monotonic(), msg.data == 'walking'))
