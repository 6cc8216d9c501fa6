"""Write a routine's events into the session log (no rclpy).

The routine reports what happened as `Event(kind, detail)`; this module turns those into
session, set, repetition, event and clinical-measure rows. Every event is also kept as an
event row, so nothing the routine reported is lost even where no table fits it.
"""
from __future__ import annotations

from pathlib import Path

from .programme import ExerciseItem, Programme
from .routine import Event
from .session_log import SessionLog

# Final routine steps and the session outcome they stand for. The routine stops only when
# told to from outside (stop_session, an operator's Ctrl-C): that is not the person stopping.
OUTCOME_OF_STEP = {'done': 'completed', 'no_response': 'no_response', 'stopped': 'aborted'}


class SessionRecorder:
    """One session of one programme in a SessionLog.

    Times come on the routine's clock; `clock_offset` (s) added to them gives the Unix time
    the log keeps. It is 0 on a robot, whose ROS clock is the system clock; a simulation's
    clock starts at 0, so the coach node sets the difference when the session begins.
    """

    def __init__(self, log: SessionLog, programme: Programme, programme_path: str | Path | None,
                 routine_name: str, clock_offset: float = 0.0, simulated: bool = False):
        self.log = log
        self.simulated = simulated
        self.closed_interrupted: list[int] = []   # sessions a crash had left open
        self.clock_offset = clock_offset
        self.programme = programme
        self.programme_path = programme_path
        self.routine_name = routine_name
        self.session_id: int | None = None
        self._set_id: int | None = None
        self._set_count = 0
        self._sets_of: dict[str, int] = {}   # sets started per exercise (a restart is a new set)
        self._fall_suspected = False
        self._help_requested = False
        self._stopped_by_fault = False
        self.ended = False

    def begin(self, t: float) -> int:
        """Open the session row; before the routine starts, so a session that cannot be
        recorded is refused rather than run unrecorded. The patient's sessions a crash left
        open are closed first, as interrupted. Raises SessionLogError."""
        self.closed_interrupted = self.log.close_interrupted(self.programme.patient_id)
        self.session_id = self.log.start_session(
            self.programme.patient_id, self.routine_name, self.programme_path,
            self.programme.language, started=t + self.clock_offset,
            private_names=[self.programme.patient_name], simulated=self.simulated)
        if self.closed_interrupted:
            self.log.add_event(self.session_id, t + self.clock_offset, 'closed_interrupted',
                               {'sessions': self.closed_interrupted})
        # what the programme asked for: a report can tell what was not reached
        self.log.add_event(self.session_id, t + self.clock_offset, 'planned',
                           {'items': [_planned(item) for item in self.programme.items]})
        return self.session_id

    def record(self, t: float, event: Event, item=None) -> None:
        """Record one routine event; `item` is the programme item being done at that time."""
        if self.session_id is None or self.ended:
            return
        t += self.clock_offset
        detail = dict(event.detail)
        for key in ('start', 'end'):   # a repetition's times
            if isinstance(detail.get(key), (int, float)):
                detail[key] += self.clock_offset
        self.log.add_event(self.session_id, t, event.kind, detail)
        kind = event.kind
        if kind == 'set_started' and isinstance(item, ExerciseItem):
            exercise = detail.get('exercise') or item.exercise
            self._sets_of[exercise] = self._sets_of.get(exercise, 0) + 1
            self._set_id = self.log.start_set(self.session_id, exercise, self._sets_of[exercise],
                                              item.repetitions, started=t)
            self._set_count = 0
        elif kind in ('repetition', 'partial_repetition') and self._set_id is not None \
                and 'test' not in detail:
            partial = kind == 'partial_repetition'
            number = self._set_count + 1 if partial else int(detail['number'])
            self.log.add_repetition(self._set_id, number, detail['start'], detail['end'],
                                    peak_signal=detail.get('peak'), partial=partial)
            if not partial:
                self._set_count = number
        elif kind in ('set_completed', 'set_incomplete', 'set_interrupted') \
                and self._set_id is not None:
            self.log.end_set(self._set_id, int(detail.get('count', self._set_count)), ended=t)
            self._set_id = None
        elif kind == 'clinical_measure' and detail.get('value') is not None:
            self.log.add_clinical_measure(self.session_id, t, detail['test'], detail['value'])
        elif kind == 'fall_suspected':
            self._fall_suspected = True
        elif kind == 'help_requested':
            self._help_requested = True
        elif kind == 'session_stopped' and detail.get('fault'):
            self._stopped_by_fault = True

    def end(self, t: float, final_step: str) -> None:
        """Close the session (and a set left open) once the routine has ended."""
        if self.session_id is None or self.ended:
            return
        t += self.clock_offset
        if self._set_id is not None:
            self.log.end_set(self._set_id, self._set_count, ended=t)
            self._set_id = None
        if self._fall_suspected:
            outcome = 'fall_alert'
        elif self._help_requested:
            outcome = 'help_alert'
        elif self._stopped_by_fault:
            outcome = 'error'   # a part was down: not the person's doing, nor an operator's
        else:
            outcome = OUTCOME_OF_STEP.get(final_step, 'aborted')
        self.log.end_session(self.session_id, ended=t, outcome=outcome)
        self.ended = True


def _planned(item) -> dict:
    if isinstance(item, ExerciseItem):
        return {'exercise': item.exercise, 'sets': item.sets, 'repetitions': item.repetitions}
    return {'test': item.test}
