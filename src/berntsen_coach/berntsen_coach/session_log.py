"""The session log: what happened in each coaching session, stored in SQLite.

No ROS imports. One `SessionLog` wraps one database file:

    log = SessionLog(default_db_path())
    session = log.start_session('p-7f3a', 'morning', 'programme.yaml', 'nb', time.time(),
                                private_names=['Kari Nordmann'])
    set_id = log.start_set(session, 'arm_raise', 1, target_reps=5, started=time.time())
    log.add_repetition(set_id, 1, started=t0, ended=t1, peak_signal=142.0)
    log.end_set(set_id, counted_reps=5, ended=time.time())
    log.add_event(session, time.time(), 'prompt', {'step': 'stand_up'})
    log.add_clinical_measure(session, time.time(), 'chair_stand_30s', 11, 'repetitions')
    log.end_session(session, time.time(), 'completed')

Durability: every write is its own transaction, committed before the method returns, in
WAL mode with synchronous=FULL, so a crash (or a power cut) loses nothing a method has
already returned from.

Privacy (health data): the file and its -wal/-shm companions are readable and writable by
their owner only (0600), a folder created for it is 0700. Patients are stored under a
pseudonymous id chosen by the caller ("p-7f3a"), never a name; the name lives only in the
programme file. Names given as `private_names` to `start_session` are replaced by
"[name]" in everything later written for that session (event kinds and details, the
programme file name), so a greeting logged as an event cannot leak the name. Only the
programme's file name (not its folder) and the SHA-256 of its content are stored. No
camera image is ever stored: the log has no place for one.

Times are seconds since the Unix epoch (UTC), as `time.time()` returns them; reports turn
them into dates. Bad input raises `SessionLogError` (a `ValueError`) or `TypeError` with a
message that names the problem; nothing is dropped silently.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import re
import sqlite3
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from .session_history import (ClinicalMeasure, ExerciseProgress, SessionHistory,  # noqa: F401
                              SessionProgress, SessionSummary)
from .session_store import SCHEMA_VERSION, SessionLogError, default_db_path  # noqa: F401


# How a session ended. A session without an outcome is still open (or its process died).
OUTCOMES = (
    'completed',      # the whole programme was done
    'stopped_early',  # the person chose to stop (tired, pain) and said so
    'no_response',    # the person did not respond; a caregiver was notified
    'fall_alert',     # the person was lying on the floor; urgent caregiver alert
    'help_alert',     # the person pressed Help; urgent caregiver alert
    'aborted',        # stopped from outside (caregiver, operator, service call)
    'error',          # the software could not continue
    'interrupted',    # the recording process died; closed at the next start with what it
                      # had recorded (`close_interrupted`)
)

# Clinical tests the coach runs, with the unit each is recorded in.
CLINICAL_TEST_UNITS = {
    'chair_stand_30s': 'repetitions',   # 30-second chair stand: stands completed
    'five_times_sit_to_stand': 's',     # five-times sit-to-stand: seconds taken
}

NAME_PLACEHOLDER = '[name]'
_PATIENT_ID = re.compile(r'[A-Za-z0-9][A-Za-z0-9._-]{0,63}')
_IDENTIFIER = re.compile(r'[a-z][a-z0-9_]{0,63}')
_LANGUAGE = re.compile(r'[a-z]{2,3}(-[A-Za-z0-9]{2,8})?')


def _check_time(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f'{name} must be epoch seconds (a number), got {type(value).__name__}')
    if not math.isfinite(value) or value < 0:
        raise SessionLogError(f'{name} must be finite epoch seconds >= 0, got {value}')
    return float(value)


def _check_count(name: str, value, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f'{name} must be an integer, got {type(value).__name__}')
    if value < minimum:
        raise SessionLogError(f'{name} must be >= {minimum}, got {value}')
    return value


def _check_text(name: str, value, pattern: re.Pattern, example: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f'{name} must be a string, got {type(value).__name__}')
    if not pattern.fullmatch(value):
        raise SessionLogError(f'{name} {value!r} is not valid '
                              f'(expected something like {example!r})')
    return value


def _check_order(started: float, ended: float, what: str) -> None:
    if ended < started:
        raise SessionLogError(f'{what} cannot end ({ended}) before it started ({started})')


def _check_number(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f'{name} must be a number, got {type(value).__name__}')
    if not math.isfinite(value):
        raise SessionLogError(f'{name} must be finite, got {value}')
    return float(value)


def _check_measure(test: str, value, unit: str | None) -> str:
    """A clinical test's name, value and unit are sound; returns the unit."""
    _check_text('test', test, _IDENTIFIER, 'chair_stand_30s')
    if _check_number('value', value) < 0:
        raise SessionLogError(f'{test} value must be finite and >= 0, got {value}')
    expected = CLINICAL_TEST_UNITS.get(test)
    if unit is None:
        unit = expected
    if not isinstance(unit, str) or not unit.strip():
        raise SessionLogError(f'{test} needs a unit')
    if expected is not None and unit != expected:
        raise SessionLogError(f'{test} is measured in {expected!r}, not {unit!r}')
    return unit


def _programme_fingerprint(path: str | os.PathLike | None,
                           names: re.Pattern | None) -> tuple[str | None, str | None]:
    """(file name, SHA-256 of the content) of a programme file, the name redacted."""
    if path is None:
        return None, None
    path = Path(path)
    try:
        sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        raise SessionLogError(f'cannot read programme {path}: {exc.strerror or exc}') from exc
    return redact_names(path.name, names), sha256


def name_pattern(names: Iterable[str]) -> re.Pattern | None:
    """A pattern matching each name and each of its words, as whole words, any case
    (the session log's and the recorder's redaction)."""
    words = set()
    for name in names:
        if not isinstance(name, str):
            raise TypeError(f'private names must be strings, got {type(name).__name__}')
        name = name.strip()
        if name:
            words.add(name)
            words.update(part for part in re.split(r'[\s,]+', name) if len(part) >= 2)
    if not words:
        return None
    # Longest first, so "Kari Nordmann" is replaced whole; letters/digits bound a word
    # ("kari_nordmann.yaml" is caught too, "Karina" is not).
    alternatives = '|'.join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf'(?<![^\W_])(?:{alternatives})(?![^\W_])', re.IGNORECASE)


def redact_names(value, pattern: re.Pattern | None):
    """`value` (text, or mappings and lists of it) with each match replaced by "[name]"."""
    if pattern is None:
        return value
    if isinstance(value, str):
        return pattern.sub(NAME_PLACEHOLDER, value)
    if isinstance(value, Mapping):
        return {redact_names(k, pattern): redact_names(v, pattern) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_names(v, pattern) for v in value]
    return value


class SessionLog(SessionHistory):
    """A session log in one SQLite file, for reading and writing; see the module docstring.

    `SessionLog(path)` opens the file, creating it (0600) and its folder (0700) when
    missing; with `create=False` a missing file is an error (for readers such as reports).
    A file that is not SQLite, is damaged, belongs to another program or was written by a
    newer schema raises `SessionLogError`. Safe to call from several threads.
    """

    def __init__(self, path: str | os.PathLike, *, create: bool = True):
        super().__init__(path, create=create)
        self._private_names: dict[int, re.Pattern | None] = {}

    def _open_session(self, conn, session_id) -> None:
        _check_count('session_id', session_id, 1)
        row = conn.execute('SELECT ended FROM sessions WHERE id = ?', (session_id,)).fetchone()
        if row is None:
            raise SessionLogError(f'unknown session id {session_id}')
        if row[0] is not None:
            raise SessionLogError(f'session {session_id} has already ended')

    def _open_set(self, conn, set_id) -> tuple[int, float]:
        _check_count('set_id', set_id, 1)
        row = conn.execute('SELECT session_id, started, ended FROM sets WHERE id = ?',
                           (set_id,)).fetchone()
        if row is None:
            raise SessionLogError(f'unknown set id {set_id}')
        if row[2] is not None:
            raise SessionLogError(f'set {set_id} has already ended')
        return row[0], row[1]

    def _redactor(self, session_id: int) -> re.Pattern | None:
        return self._private_names.get(session_id)

    # -- writing ----------------------------------------------------------------------

    def start_session(self, patient_id: str, routine: str, programme_path: str | os.PathLike | None,
                      language: str, started: float, *,
                      private_names: Sequence[str] = (), simulated: bool = False) -> int:
        """Open a session and return its id; the patient is added on first use.

        `patient_id` is pseudonymous (letters, digits, '.', '_', '-'; no spaces) and must
        not contain any of `private_names` (e.g. the name from the programme), which are
        also kept in memory (by this object, until `end_session`) to redact later writes of
        this session. The programme file, if
        given, must be readable: its name and SHA-256 are stored, not its content.
        `simulated`: a session with a virtual patient (or a test), marked as such.
        """
        if not isinstance(simulated, bool):
            raise TypeError(f'simulated must be a bool, got {type(simulated).__name__}')
        _check_text('patient_id', patient_id, _PATIENT_ID, 'p-7f3a')
        _check_text('routine', routine, _IDENTIFIER, 'morning')
        _check_text('language', language, _LANGUAGE, 'nb')
        started = _check_time('started', started)
        names = name_pattern(private_names)
        if names is not None and names.search(patient_id):
            raise SessionLogError('patient_id must be pseudonymous, but it contains the '
                                  "patient's name")
        programme_file, programme_sha256 = _programme_fingerprint(programme_path, names)
        with self._transaction() as conn:
            conn.execute('INSERT OR IGNORE INTO patients (id) VALUES (?)', (patient_id,))
            session_id = conn.execute(
                'INSERT INTO sessions (patient_id, started, routine, programme_file, '
                'programme_sha256, language, simulated) VALUES (?, ?, ?, ?, ?, ?, ?)',
                (patient_id, started, routine, programme_file, programme_sha256, language,
                 int(simulated)),
            ).lastrowid
        self._private_names[session_id] = names
        return session_id

    def end_session(self, session_id: int, ended: float, outcome: str) -> None:
        """Close a session with one of `OUTCOMES`; open sets are left as they are."""
        ended = _check_time('ended', ended)
        if outcome not in OUTCOMES:
            raise SessionLogError(f'outcome {outcome!r} is not one of {", ".join(OUTCOMES)}')
        with self._transaction() as conn:
            self._open_session(conn, session_id)
            started = conn.execute('SELECT started FROM sessions WHERE id = ?',
                                   (session_id,)).fetchone()[0]
            _check_order(started, ended, f'session {session_id}')
            conn.execute('UPDATE sessions SET ended = ?, outcome = ? WHERE id = ?',
                         (ended, outcome, session_id))
        self._private_names.pop(session_id, None)

    def close_interrupted(self, patient_id: str) -> list[int]:
        """Close the patient's sessions left open by a process that died, as `interrupted`,
        at the last moment they recorded anything; their open sets end there too, with the
        repetitions recorded counted. Call before starting a new session for the patient;
        returns the ids closed."""
        _check_text('patient_id', patient_id, _PATIENT_ID, 'p-7f3a')
        with self._transaction() as conn:
            open_ids = [row[0] for row in conn.execute(
                'SELECT id FROM sessions WHERE patient_id = ? AND ended IS NULL ORDER BY id',
                (patient_id,))]
            for session_id in open_ids:
                last = conn.execute(
                    'SELECT MAX(t) FROM ('
                    ' SELECT started AS t FROM sessions WHERE id = ?1'
                    ' UNION ALL SELECT time FROM events WHERE session_id = ?1'
                    ' UNION ALL SELECT COALESCE(ended, started) FROM sets WHERE session_id = ?1'
                    ' UNION ALL SELECT r.ended FROM repetitions r JOIN sets s ON s.id = r.set_id'
                    '  WHERE s.session_id = ?1)', (session_id,)).fetchone()[0]
                for set_id, started in conn.execute(
                        'SELECT id, started FROM sets WHERE session_id = ? AND ended IS NULL',
                        (session_id,)).fetchall():
                    counted, last_rep = conn.execute(
                        'SELECT COUNT(*), MAX(ended) FROM repetitions WHERE set_id = ? '
                        'AND partial = 0', (set_id,)).fetchone()
                    conn.execute('UPDATE sets SET counted_reps = ?, ended = ? WHERE id = ?',
                                 (counted, max(started, last_rep or started), set_id))
                conn.execute('UPDATE sessions SET ended = ?, outcome = ? WHERE id = ?',
                             (last, 'interrupted', session_id))
        return open_ids

    def start_set(self, session_id: int, exercise: str, set_index: int, target_reps: int,
                  started: float) -> int:
        """Open set number `set_index` (1-based) of `exercise` and return its id."""
        _check_text('exercise', exercise, _IDENTIFIER, 'arm_raise')
        _check_count('set_index', set_index, 1)
        _check_count('target_reps', target_reps)
        started = _check_time('started', started)
        with self._transaction() as conn:
            self._open_session(conn, session_id)
            try:
                return conn.execute(
                    'INSERT INTO sets (session_id, exercise, set_index, target_reps, started) '
                    'VALUES (?, ?, ?, ?, ?)',
                    (session_id, exercise, set_index, target_reps, started)).lastrowid
            except sqlite3.IntegrityError as exc:
                raise SessionLogError(f'session {session_id} already has set {set_index} of '
                                      f'{exercise}') from exc

    def add_repetition(self, set_id: int, number: int, started: float, ended: float,
                       peak_signal: float | None = None, partial: bool = False) -> int:
        """Record one repetition of an open set and return its row id.

        `number` is the count the repetition reached (1, 2, 3...) and appears once per set;
        a partial repetition (not counted) carries the number it was an attempt at.
        `peak_signal` is the extreme of the followed signal during the repetition.
        """
        _check_count('number', number, 1)
        started = _check_time('started', started)
        ended = _check_time('ended', ended)
        _check_order(started, ended, f'repetition {number}')
        if peak_signal is not None:
            _check_number('peak_signal', peak_signal)
        if not isinstance(partial, bool):
            raise TypeError(f'partial must be a bool, got {type(partial).__name__}')
        with self._transaction() as conn:
            self._open_set(conn, set_id)
            try:
                return conn.execute(
                    'INSERT INTO repetitions (set_id, number, started, ended, peak_signal, '
                    'partial) VALUES (?, ?, ?, ?, ?, ?)',
                    (set_id, number, started, ended, peak_signal, int(partial))).lastrowid
            except sqlite3.IntegrityError as exc:
                raise SessionLogError(f'set {set_id} already has counted repetition '
                                      f'{number}') from exc

    def end_set(self, set_id: int, counted_reps: int, ended: float) -> None:
        """Close a set with the number of repetitions the coach counted."""
        _check_count('counted_reps', counted_reps)
        ended = _check_time('ended', ended)
        with self._transaction() as conn:
            _, started = self._open_set(conn, set_id)
            _check_order(started, ended, f'set {set_id}')
            conn.execute('UPDATE sets SET counted_reps = ?, ended = ? WHERE id = ?',
                         (counted_reps, ended, set_id))

    def add_event(self, session_id: int, time: float, kind: str,
                  detail: Mapping | None = None) -> int:
        """Record an event (a prompt, a re-prompt, an alert...) with a JSON-able detail."""
        time = _check_time('time', time)
        if not isinstance(kind, str) or not kind.strip():
            raise SessionLogError(f'event kind must be a non-empty string, got {kind!r}')
        if detail is None:
            detail = {}
        if not isinstance(detail, Mapping):
            raise TypeError(f'event detail must be a mapping, got {type(detail).__name__}')
        with self._transaction() as conn:
            self._open_session(conn, session_id)
            names = self._redactor(session_id)
            try:
                detail_json = json.dumps(redact_names(detail, names), allow_nan=False,
                                         ensure_ascii=False, sort_keys=True)
            except (TypeError, ValueError) as exc:
                raise SessionLogError(f'event detail cannot be stored as JSON: {exc}') from exc
            return conn.execute(
                'INSERT INTO events (session_id, time, kind, detail) VALUES (?, ?, ?, ?)',
                (session_id, time, redact_names(kind, names), detail_json)).lastrowid

    def add_clinical_measure(self, session_id: int, time: float, test: str, value: float,
                             unit: str | None = None) -> int:
        """Record a clinical test result, e.g. ('chair_stand_30s', 11, 'repetitions').

        For the tests in `CLINICAL_TEST_UNITS` the unit may be left out and must match.
        """
        time = _check_time('time', time)
        unit = _check_measure(test, value, unit)
        with self._transaction() as conn:
            self._open_session(conn, session_id)
            return conn.execute(
                'INSERT INTO clinical_measures (session_id, time, test, value, unit) '
                'VALUES (?, ?, ?, ?, ?)', (session_id, time, test, float(value), unit)).lastrowid

    # -- reading ----------------------------------------------------------------------
