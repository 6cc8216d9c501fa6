"""A readable live transcript of a session: what the robot says, sees and counts.

Pure: the monitor node feeds it events with timestamps; it returns the lines to print
(or None when nothing worth a line changed) and keeps the figures for the summary.
"""
from __future__ import annotations

from dataclasses import dataclass, field

POSTURE_NAMES = {0: 'unknown', 1: 'standing', 2: 'sitting', 3: 'lying'}


@dataclass
class SessionFigures:
    said: list[str] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)
    exercise: str = ''
    counted: int = 0
    target: int = 0
    truth_repetitions: int | None = None
    truth_posture: str = ''
    alerts: list[str] = field(default_factory=list)


class Transcript:
    def __init__(self, start_time: float):
        self.start = start_time
        self.figures = SessionFigures()
        self._posture_by_body: dict[str, str] = {}
        self._last_said = ''

    def _line(self, t: float, who: str, text: str) -> str:
        return f'[{t - self.start:6.1f} s] {who:<12} {text}'

    def speech(self, t: float, speaking: bool, text: str) -> str | None:
        if not speaking or not text or text == self._last_said:
            if not speaking:
                self._last_said = ''
            return None
        self._last_said = text
        self.figures.said.append(text)
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

    def coach_state(self, t: float, step: str, exercise: str, count: int, target: int) -> list[str]:
        lines = []
        f = self.figures
        if not f.steps or f.steps[-1] != step:
            f.steps.append(step)
            detail = f' ({exercise}, {target} repetitions)' if exercise and step == 'exercise' else ''
            lines.append(self._line(t, 'coach', f'step {step}{detail}'))
        if exercise and exercise != f.exercise:
            f.exercise, f.counted = exercise, 0
        if exercise:
            f.target = target
        return lines

    def repetition(self, t: float, exercise: str, number: int) -> str:
        """A repetition the coach counted (from its session events)."""
        f = self.figures
        if exercise != f.exercise:
            f.exercise = exercise
        f.counted = number
        return self._line(t, 'robot counts', f'{number}/{f.target or "?"}')

    def alert(self, t: float, reason: str, urgent: bool) -> str:
        self.figures.alerts.append(reason)
        return self._line(t, 'ALERT', f'{"URGENT: " if urgent else ""}caregiver called: {reason}')

    def truth(self, t: float, posture: str | None = None,
              repetitions: int | None = None) -> str | None:
        """What the virtual patient really did (simulation only); a line when it changed."""
        f = self.figures
        if posture is not None and posture != f.truth_posture:
            f.truth_posture = posture
            return self._line(t, 'patient', f'is {posture} (simulator truth)')
        if repetitions is not None and repetitions != f.truth_repetitions:
            f.truth_repetitions = repetitions
            if repetitions:
                return self._line(t, 'patient', f'completed repetition {repetitions} (simulator truth)')
        return None

    def summary(self, t: float) -> list[str]:
        f = self.figures
        lines = [f'Session lasted {t - self.start:.1f} s; steps: {" → ".join(f.steps) or "none"}.',
                 f'The robot said {len(f.said)} utterances.']
        if f.exercise:
            truth = ('no ground truth' if f.truth_repetitions is None
                     else f'the virtual patient did {f.truth_repetitions}')
            lines.append(f'{f.exercise}: counted {f.counted} of {f.target}; {truth}.')
        return lines

    def count_matches_truth(self) -> bool:
        f = self.figures
        return f.truth_repetitions is not None and f.counted == f.truth_repetitions
