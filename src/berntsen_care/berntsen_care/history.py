"""The robot's progress report, drawn from the service's store.

`berntsen_coach.report.html_report` reads a session log through `patient_progress` and
`events`; `CareHistory` answers both from PostgreSQL, so the care team sees the same report
(tables, plots, wording) as `berntsen report --html` makes on a robot.
"""
from __future__ import annotations

import psycopg

from berntsen_coach.session_history import ClinicalMeasure, ExerciseProgress, SessionProgress


class CareHistory:
    def __init__(self, conn: psycopg.Connection, patient_db_id: int):
        self._conn = conn
        self._patient = patient_db_id

    def patient_progress(self, patient_id: str) -> list[SessionProgress]:
        """Per session of the patient, oldest first (`patient_id` is the pseudonym, unused:
        the patient was chosen, and checked against the reader's team, before)."""
        sessions = self._conn.execute(
            'SELECT id, started, ended, outcome FROM sessions WHERE patient_id = %s '
            'ORDER BY started, id', (self._patient,)).fetchall()
        exercises: dict[int, list[ExerciseProgress]] = {}
        for session_id, *fields in self._conn.execute(
                'SELECT s.session_id, s.exercise, count(*), sum(coalesce(s.counted_reps, 0)), '
                '  sum(s.target_reps), '
                '  sum((SELECT count(*) FROM repetitions r WHERE r.set_id = s.id AND r.partial)) '
                'FROM sets s JOIN sessions ON sessions.id = s.session_id '
                'WHERE sessions.patient_id = %s '
                'GROUP BY s.session_id, s.exercise ORDER BY s.session_id, min(s.started)',
                (self._patient,)):
            exercises.setdefault(session_id, []).append(ExerciseProgress(*fields))
        measures: dict[int, list[ClinicalMeasure]] = {}
        for session_id, *fields in self._conn.execute(
                'SELECT m.session_id, m.test, m.value, m.unit, m.time FROM clinical_measures m '
                'JOIN sessions ON sessions.id = m.session_id WHERE sessions.patient_id = %s '
                'ORDER BY m.time, m.id', (self._patient,)):
            measures.setdefault(session_id, []).append(ClinicalMeasure(*fields))
        return [SessionProgress(sid, started, ended, outcome,
                                tuple(exercises.get(sid, ())), tuple(measures.get(sid, ())))
                for sid, started, ended, outcome in sessions]

    def events(self, session_id: int) -> list[tuple[float, str, dict]]:
        return [tuple(row) for row in self._conn.execute(
            'SELECT time, kind, detail FROM events WHERE session_id = %s ORDER BY time, id',
            (session_id,))]


def report_page(url: str, patient_db_id: int, pseudonym: str, language: str) -> str:
    from berntsen_coach.report import html_report, report_language

    with psycopg.connect(url) as conn:
        return html_report(CareHistory(conn, patient_db_id), pseudonym,
                           words=report_language(language))
