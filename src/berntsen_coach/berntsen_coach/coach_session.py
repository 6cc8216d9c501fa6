"""One coaching session: the routine that coaches and the record it leaves (no rclpy).

The session log never stops a session: a row that cannot be written is reported (the care
team sees the gap) and the morning goes on for the patient.
"""
from __future__ import annotations

from pathlib import Path
from typing import Mapping

from .coach_routine import ROUTINE_NAME, CoachRoutine, RoutineSettings
from .exercises import Exercise
from .programme import Programme
from .routine import Event
from .session_log import SessionLog, SessionLogError
from .session_recorder import SessionRecorder


class CoachSession:
    def __init__(self, log: SessionLog, programme: Programme, programme_path: Path,
                 exercises: Mapping[str, Exercise], settings: RoutineSettings, *, now: float,
                 clock_offset: float, simulated: bool):
        """Raises ValueError (the programme) or SessionLogError (the log) before anything
        is said: a session that cannot be recorded is refused rather than run unrecorded."""
        self.routine = CoachRoutine(programme, exercises, settings)
        self.recorder = SessionRecorder(log, programme, programme_path, ROUTINE_NAME,
                                        clock_offset=clock_offset, simulated=simulated)
        self.recorder.begin(now)

    @property
    def session_id(self) -> int | None:
        return self.recorder.session_id

    def record(self, now: float, event: Event) -> str:
        """Write one event; returns what went wrong, or ''."""
        try:
            self.recorder.record(now, event, item=self.routine.item)
        except (SessionLogError, TypeError) as exc:
            return f'could not record {event.kind}: {exc}'
        return ''

    def end(self, now: float) -> str:
        """Close the record once the routine has finished; returns what went wrong, or ''."""
        if self.recorder.ended:
            return ''
        try:
            self.recorder.end(now, self.routine.step.value)
        except SessionLogError as exc:
            return f'could not close the session: {exc}'
        return ''

    def shut_down(self, now: float, fault: str) -> str:
        """The coach is going away mid-session: stop the routine and say so in the record
        (naming the part that was down, if one was). Returns what went wrong, or ''."""
        if not self.routine.started or self.routine.finished:
            return ''
        events = [a for a in self.routine.stop(now, 'coach node shut down', fault)
                  if isinstance(a, Event)]
        problems = [self.record(now, event) for event in events] + [self.end(now)]
        return '; '.join(p for p in problems if p)
