"""A readable live transcript of a session: what the robot says, sees and counts.

Pure: the monitor node feeds it events with timestamps; it returns the lines to print
(or None when nothing worth a line changed) and keeps the record the verdict judges
(`SessionFigures`): what was said and when, the coach's session log, alerts, and the
simulator's truth (postures, each repetition the patient finished).
"""
from __future__ import annotations

from dataclasses import dataclass, field

POSTURE_NAMES = {0: 'unknown', 1: 'standing', 2: 'sitting', 3: 'lying'}
DISTANCE_LINE_STEP = 0.25   # m the robot must have moved before another distance line
# s after the approach step during which the distance still counts as the robot's doing:
# truth samples sent before the step changed, and the base coming to a halt
AFTER_APPROACH = 1.0


@dataclass(frozen=True)
class TruthRepetition:
    """A repetition the virtual patient finished (simulator truth), in the monitor's time."""

    start: float
    end: float
    motion: str
    amplitude: float      # share of the motion's range reached
    counted: bool         # reached the motion's counted fraction: a full repetition
    side: str = ''


@dataclass
class SessionFigures:
    said: list[tuple[float, str]] = field(default_factory=list)   # (t, text) as it began
    steps: list[str] = field(default_factory=list)     # coach/state steps, for the transcript
    events: list[tuple[float, str, dict]] = field(default_factory=list)  # the session log
    truth_posture: str = ''
    truth_postures: list[tuple[float, str]] = field(default_factory=list)
    truth_reps: list[TruthRepetition] = field(default_factory=list)
    alert_times: list[tuple[float, str, bool]] = field(default_factory=list)  # t, reason, urgent
    floor_since: float | None = None          # truth: the patient reached the floor
    # while the robot drives (step approach, and AFTER_APPROACH s more): afterwards only
    # the patient moves, e.g. she stands up and comes half a metre closer
    closest_patient_distance: float | None = None
    arrived_at_distance: float | None = None   # truth when the coach reported 'arrived'
    smallest_clearance: float | None = None
    contacts: list[str] = field(default_factory=list)
    supervision: list[tuple[float, str]] = field(default_factory=list)  # faults, restarts

    @property
    def alerts(self) -> list[str]:
        return [reason for _, reason, _ in self.alert_times]

    @property
    def final_step(self) -> str:
        """The last step the session log recorded ('' before any)."""
        return next((d.get('step', '') for _, kind, d in reversed(self.events)
                     if kind == 'step'), '')


class Transcript:
    def __init__(self, start_time: float):
        self.start = start_time
        self.figures = SessionFigures()
        self._posture_by_body: dict[str, str] = {}
        self._last_said = ''
        self._target = 0
        self._step = ''
        self._approach_ended: float | None = None
        self._distance: float | None = None
        self._distance_reported: float | None = None

    def _line(self, t: float, who: str, text: str) -> str:
        return f'[{t - self.start:6.1f} s] {who:<12} {text}'

    def speech(self, t: float, speaking: bool, text: str) -> str | None:
        if not speaking or not text or text == self._last_said:
            if not speaking:
                self._last_said = ''
            return None
        self._last_said = text
        self.figures.said.append((t, text))
        return self._line(t, 'robot says', f'"{text}"')

    def posture(self, t: float, body_id: str, posture: int, confidence: float) -> str | None:
        name = POSTURE_NAMES.get(posture, f'posture {posture}')
        if self._posture_by_body.get(body_id) == name:
            return None
        self._posture_by_body[body_id] = name
        return self._line(t, 'robot sees', f'person {body_id} {name} ({confidence:.0%})')

    def body_lost(self, t: float, body_id: str) -> str | None:
        if self._posture_by_body.pop(body_id, None) is None:
            return None
        return self._line(t, 'robot sees', f'person {body_id} lost')

    def coach_state(self, t: float, step: str, exercise: str, count: int, target: int,
                    set_number: int = 0, sets: int = 0) -> list[str]:
        lines = []
        f = self.figures
        if self._step == 'approach' and step != 'approach':
            self._approach_ended = t
        self._step = step
        if not f.steps or f.steps[-1] != step:
            f.steps.append(step)
            detail = ''
            if exercise and step == 'exercise':
                of_sets = f', set {set_number} of {sets}' if sets > 1 else ''
                detail = f' ({exercise}, {target} repetitions{of_sets})'
            lines.append(self._line(t, 'coach', f'step {step}{detail}'))
        self._target = target if exercise else self._target
        return lines

    def event(self, t: float, kind: str, detail: dict) -> str | None:
        """An entry of the coach's session log; a line for the repetitions it counted."""
        self.figures.events.append((t, kind, detail))
        if kind == 'repetition' and 'number' in detail:
            return self._line(t, 'robot counts', f'{detail["number"]}/{self._target or "?"}')
        if kind == 'arrived':
            return self.arrived(t)
        return None

    def runner(self, t: float, text: str) -> str:
        """What the runner did to the graph: a fault injected, a node started again."""
        self.figures.supervision.append((t, text))
        return self._line(t, 'RUNNER', text)

    def alert(self, t: float, reason: str, urgent: bool) -> str:
        self.figures.alert_times.append((t, reason, urgent))
        return self._line(t, 'ALERT', f'{"URGENT: " if urgent else ""}caregiver called: {reason}')

    def truth(self, t: float, posture: str) -> str | None:
        """The virtual patient's posture (simulation only); a line when it changed."""
        f = self.figures
        if posture == f.truth_posture:
            return None
        f.truth_posture = posture
        f.truth_postures.append((t, posture))
        if posture == 'lying_on_floor' and f.floor_since is None:
            f.floor_since = t
        return self._line(t, 'patient', f'is {posture} (simulator truth)')

    def visitor(self, t: float, walking: bool) -> str:
        """A second person walks into or out of the room (simulation only)."""
        what = 'walks through the room' if walking else 'has left the room'
        return self._line(t, 'visitor', f'{what} (simulator truth)')

    def truth_repetition(self, t: float, motion: str, duration: float, amplitude: float,
                         counted: bool, side: str = '') -> str:
        """A repetition the virtual patient just finished (simulation only)."""
        self.figures.truth_reps.append(
            TruthRepetition(t - duration, t, motion, amplitude, counted, side))
        full = [r for r in self.figures.truth_reps if r.counted]
        what = (f'a repetition ({len(full)} in all)' if counted
                else f'a movement short of the range ({amplitude:.0%})')
        return self._line(t, 'patient', f'did {what} (simulator truth)')

    def distance(self, t: float, patient_distance: float) -> str | None:
        """The simulator's robot-to-patient distance; a line while the robot drives."""
        f = self.figures
        self._distance = patient_distance
        driving = self._step == 'approach' or (
            self._approach_ended is not None and t - self._approach_ended <= AFTER_APPROACH)
        if driving and (f.closest_patient_distance is None
                        or patient_distance < f.closest_patient_distance):
            f.closest_patient_distance = patient_distance
        last = self._distance_reported
        if last is None or abs(patient_distance - last) >= DISTANCE_LINE_STEP:
            self._distance_reported = patient_distance
            return self._line(t, 'robot drives' if self._step == 'approach' else 'robot is',
                              f'{patient_distance:.2f} m from the patient (simulator truth)')
        return None

    def arrived(self, t: float) -> str:
        """The coach says the robot reached its approach distance."""
        self.figures.arrived_at_distance = self._distance
        where = '' if self._distance is None else \
            f' at {self._distance:.2f} m from the patient (simulator truth)'
        return self._line(t, 'robot', f'arrived{where}')

    def clearance(self, clearance: float) -> None:
        f = self.figures
        if f.smallest_clearance is None or clearance < f.smallest_clearance:
            f.smallest_clearance = clearance

    def contact(self, t: float, touched: str) -> str | None:
        if not touched:
            return None
        self.figures.contacts.append(touched)
        return self._line(t, 'COLLISION', f'the robot touches {touched} (simulator truth)')

    def summary(self, t: float) -> list[str]:
        f = self.figures
        lines = [f'Session lasted {t - self.start:.1f} s; steps: {" → ".join(f.steps) or "none"}.',
                 f'The robot said {len(f.said)} utterances.']
        if f.smallest_clearance is not None or f.contacts:   # the simulator reports these
            driving = ('did not drive up to the patient' if f.closest_patient_distance is None
                       else f'came to {f.closest_patient_distance:.2f} m of the patient while '
                            'driving')
            clearance = ('' if f.smallest_clearance is None
                         else f', smallest clearance to anything {f.smallest_clearance:.2f} m')
            touched = (f'touched {", ".join(sorted(set(f.contacts)))}' if f.contacts
                       else 'touched nothing')
            lines.append(f'Robot: {driving}{clearance}; {touched}.')
        for when, reason, urgent in f.alert_times:
            lines.append(f'Caregiver alert at {when - self.start:.1f} s'
                         f'{" (urgent)" if urgent else ""}: {reason}.')
        for when, text in f.supervision:
            lines.append(f'Runner at {when - self.start:.1f} s: {text}.')
        return lines
