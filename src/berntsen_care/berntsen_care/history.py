"""The robot's progress report, drawn from the service's store.

`berntsen_coach.report.html_report` reads a session log through `patient_progress` and
`events`; `CareHistory` answers both from PostgreSQL, so the care team sees the same report
(tables, plots, wording) as `berntsen report --html` makes on a robot.
"""
from __future__ import annotations

import psycopg

from berntsen_coach.session_history import SessionProgress, patient_progress


class CareHistory:
    def __init__(self, conn: psycopg.Connection, patient_db_id: int):
        self._conn = conn
        self._patient = patient_db_id

    def patient_progress(self, patient_id: str) -> list[SessionProgress]:
        """The robot's own query on this store (`patient_id` is the pseudonym, unused: the
        patient was chosen, and checked against the reader's team, before)."""
        return patient_progress(lambda sql, params: self._conn.execute(sql, params).fetchall(),
                                '%s', self._patient)

    def events(self, session_id: int) -> list[tuple[float, str, dict]]:
        return [tuple(row) for row in self._conn.execute(
            'SELECT time, kind, detail FROM events WHERE session_id = %s ORDER BY time, id',
            (session_id,))]


def report_page(url: str, patient_db_id: int, pseudonym: str, language: str) -> str:
    from berntsen_coach.report import html_report, report_language

    with psycopg.connect(url) as conn:
        return html_report(CareHistory(conn, patient_db_id), pseudonym,
                           words=report_language(language))
