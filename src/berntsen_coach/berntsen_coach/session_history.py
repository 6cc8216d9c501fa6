"""Reading the session log: sessions, progress per patient, repetitions, events.

No ROS imports. Reports and the coach read through `SessionHistory`; `SessionLog` adds the
writes.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .session_store import SessionLogError, SessionStore


@dataclass(frozen=True)


class SessionSummary:
    """One row of `list_sessions`."""

    id: int
    patient_id: str
    started: float
    ended: float | None
    routine: str
    outcome: str | None
    language: str
    programme_file: str | None
    programme_sha256: str | None
    simulated: bool
    exercises: tuple[str, ...]      # in the order they were first done


@dataclass(frozen=True)


class ExerciseProgress:
    """What one session did of one exercise, summed over its sets."""

    exercise: str
    sets: int
    counted_reps: int               # sets still open count as 0
    target_reps: int
    partial_reps: int


@dataclass(frozen=True)


class ClinicalMeasure:
    test: str
    value: float
    unit: str
    time: float


@dataclass(frozen=True)


class SessionProgress:
    """One session in `patient_progress`."""

    session_id: int
    started: float
    ended: float | None
    outcome: str | None
    exercises: tuple[ExerciseProgress, ...]
    measures: tuple[ClinicalMeasure, ...]


def patient_progress(read: Callable[[str, tuple], Sequence[tuple]], placeholder: str,
                     patient) -> list[SessionProgress]:
    """Per session of `patient`, oldest first, from any store with this log's tables:
    `read(sql, params)` returns rows; `placeholder` is its parameter marker ('?' for SQLite,
    '%s' for the care service's PostgreSQL)."""
    def rows(sql: str) -> Sequence[tuple]:
        return read(sql.replace('?', placeholder), (patient,))

    exercises: dict[int, list[ExerciseProgress]] = {}
    for session_id, *fields in rows(
            'SELECT s.session_id, s.exercise, COUNT(*), SUM(COALESCE(s.counted_reps, 0)), '
            'SUM(s.target_reps), '
            '  SUM((SELECT COUNT(*) FROM repetitions r WHERE r.set_id = s.id AND r.partial)) '
            'FROM sets s JOIN sessions ON sessions.id = s.session_id '
            'WHERE sessions.patient_id = ? '
            'GROUP BY s.session_id, s.exercise ORDER BY s.session_id, MIN(s.started)'):
        exercises.setdefault(session_id, []).append(ExerciseProgress(*fields))
    measures: dict[int, list[ClinicalMeasure]] = {}
    for session_id, *fields in rows(
            'SELECT m.session_id, m.test, m.value, m.unit, m.time FROM clinical_measures m '
            'JOIN sessions ON sessions.id = m.session_id WHERE sessions.patient_id = ? '
            'ORDER BY m.time, m.id'):
        measures.setdefault(session_id, []).append(ClinicalMeasure(*fields))
    return [SessionProgress(sid, started, ended, outcome,
                            tuple(exercises.get(sid, ())), tuple(measures.get(sid, ())))
            for sid, started, ended, outcome in rows(
                'SELECT id, started, ended, outcome FROM sessions WHERE patient_id = ? '
                'ORDER BY started, id')]


class SessionHistory(SessionStore):
    """A session log opened for reading (a `SessionStore` with queries)."""

    def patients(self) -> list[str]:
        return [row[0] for row in self._read('SELECT id FROM patients ORDER BY id')]

    def _check_patient(self, patient_id: str) -> None:
        if not isinstance(patient_id, str):
            raise TypeError(f'patient_id must be a string, got {type(patient_id).__name__}')
        if not self._read('SELECT 1 FROM patients WHERE id = ?', (patient_id,)):
            raise SessionLogError(f'unknown patient {patient_id!r} in {self.path}')

    def list_sessions(self, patient_id: str | None = None) -> list[SessionSummary]:
        """All sessions (of one patient, if given), oldest first."""
        if patient_id is not None:
            self._check_patient(patient_id)
        rows = self._read(
            'SELECT id, patient_id, started, ended, routine, outcome, language, programme_file, '
            'programme_sha256, simulated FROM sessions WHERE ?1 IS NULL OR patient_id = ?1 '
            'ORDER BY started, id', (patient_id,))
        exercises: dict[int, list[str]] = {}
        for session_id, exercise in self._read(
                'SELECT session_id, exercise FROM sets GROUP BY session_id, exercise '
                'ORDER BY session_id, MIN(started), MIN(id)'):
            exercises.setdefault(session_id, []).append(exercise)
        return [SessionSummary(*row[:-1], simulated=bool(row[-1]),
                               exercises=tuple(exercises.get(row[0], ()))) for row in rows]

    def patient_progress(self, patient_id: str) -> list[SessionProgress]:
        """Per session of the patient, oldest first: reps per exercise and clinical measures."""
        self._check_patient(patient_id)
        return patient_progress(self._read, '?', patient_id)

    def repetitions(self, set_id: int) -> list[tuple[int, float, float, float | None, bool]]:
        """(number, started, ended, peak_signal, partial) of a set's repetitions, in order."""
        return [(n, s, e, p, bool(partial)) for n, s, e, p, partial in self._read(
            'SELECT number, started, ended, peak_signal, partial FROM repetitions '
            'WHERE set_id = ? ORDER BY started, id', (set_id,))]

    def events(self, session_id: int) -> list[tuple[float, str, dict]]:
        """(time, kind, detail) of a session's events, in order."""
        return [(t, kind, json.loads(detail)) for t, kind, detail in self._read(
            'SELECT time, kind, detail FROM events WHERE session_id = ? ORDER BY time, id',
            (session_id,))]
