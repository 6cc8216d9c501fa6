"""The session log's SQLite file: opening it safely, its schema and migrations, transactions.

No ROS imports. `SessionStore` is the base of `SessionHistory` (reading) and `SessionLog`
(writing); see `session_log` for what is stored and why.

Privacy (health data): the file and its -wal/-shm companions are readable and writable by
their owner only (0600), a folder created for it is 0700.
"""
from __future__ import annotations

import os
import sqlite3
import stat
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, Sequence

SCHEMA_VERSION = 2
_SQLITE_HEADER = b'SQLite format 3\x00'


class SessionLogError(ValueError):
    """The session log cannot do what was asked; the message says why."""


def default_db_path() -> Path:
    """`$XDG_DATA_HOME/berntsen/sessions.sqlite3`, by default under ~/.local/share."""
    data_home = os.environ.get('XDG_DATA_HOME', '')
    # The XDG spec says to ignore a relative (or empty) XDG_DATA_HOME.
    base = Path(data_home) if os.path.isabs(data_home) else Path.home() / '.local' / 'share'
    return base / 'berntsen' / 'sessions.sqlite3'


def _execute_script(conn: sqlite3.Connection, script: str) -> None:
    """Run statements one by one: `executescript` would commit the migration's transaction."""
    statement = ''
    for piece in script.split(';'):
        statement += piece + ';'
        if sqlite3.complete_statement(statement):
            conn.execute(statement)
            statement = ''
    if statement.strip(' \n;'):
        raise ValueError(f'incomplete SQL statement: {statement!r}')


def _create_schema_v1(conn: sqlite3.Connection) -> None:
    _execute_script(conn, '''
        CREATE TABLE patients (
            id TEXT PRIMARY KEY            -- pseudonymous id, never a name
        );
        CREATE TABLE sessions (
            id INTEGER PRIMARY KEY,
            patient_id TEXT NOT NULL REFERENCES patients(id),
            started REAL NOT NULL,         -- epoch seconds, UTC
            ended REAL,                    -- NULL while open (or after a crash)
            routine TEXT NOT NULL,
            outcome TEXT,                  -- one of OUTCOMES, NULL while open
            programme_file TEXT,           -- file name only, no folder
            programme_sha256 TEXT,
            language TEXT NOT NULL
        );
        CREATE INDEX sessions_by_patient ON sessions(patient_id, started);
        CREATE TABLE sets (
            id INTEGER PRIMARY KEY,
            session_id INTEGER NOT NULL REFERENCES sessions(id),
            exercise TEXT NOT NULL,
            set_index INTEGER NOT NULL CHECK (set_index >= 1),
            target_reps INTEGER NOT NULL CHECK (target_reps >= 0),
            counted_reps INTEGER CHECK (counted_reps >= 0),  -- NULL until the set ends
            started REAL NOT NULL,
            ended REAL,
            UNIQUE (session_id, exercise, set_index)
        );
        CREATE TABLE repetitions (
            id INTEGER PRIMARY KEY,
            set_id INTEGER NOT NULL REFERENCES sets(id),
            number INTEGER NOT NULL CHECK (number >= 1),
            started REAL NOT NULL,
            ended REAL NOT NULL,
            peak_signal REAL,              -- in the exercise's signal unit (degrees for angles)
            partial INTEGER NOT NULL CHECK (partial IN (0, 1))
        );
        -- A counted repetition number appears once per set; partial attempts may repeat it.
        CREATE UNIQUE INDEX counted_repetition ON repetitions(set_id, number) WHERE partial = 0;
        CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            session_id INTEGER NOT NULL REFERENCES sessions(id),
            time REAL NOT NULL,
            kind TEXT NOT NULL,
            detail TEXT NOT NULL           -- JSON object
        );
        CREATE TABLE clinical_measures (
            id INTEGER PRIMARY KEY,
            session_id INTEGER NOT NULL REFERENCES sessions(id),
            time REAL NOT NULL,
            test TEXT NOT NULL,
            value REAL NOT NULL,
            unit TEXT NOT NULL
        );
    ''')


def _add_simulated_v2(conn: sqlite3.Connection) -> None:
    # A simulated or test session is no real patient's: reports must be able to tell.
    conn.execute('ALTER TABLE sessions ADD COLUMN simulated INTEGER NOT NULL DEFAULT 0 '
                 'CHECK (simulated IN (0, 1))')


# MIGRATIONS[n] turns a schema of version n into version n + 1; version 0 is an empty file.
# A new schema version adds one function here and raises SCHEMA_VERSION.
MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {
    0: _create_schema_v1,
    1: _add_simulated_v2,
}


def _private_file(path: Path) -> None:
    """Remove group/other permissions from a file we own, if it exists."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return
    if mode & 0o077:
        try:
            os.chmod(path, stat.S_IMODE(mode) & 0o700)
        except OSError as exc:
            raise SessionLogError(f'{path} holds health data and is readable by others, and '
                                  f'its permissions cannot be tightened: {exc.strerror}') from exc


class SessionStore:
    """One session log file, open; see the module docstring.

    `SessionStore(path)` opens the file, creating it (0600) and its folder (0700) when
    missing; with `create=False` a missing file is an error (for readers such as reports).
    A file that is not SQLite, is damaged, belongs to another program or was written by a
    newer schema raises `SessionLogError`. Safe to call from several threads.
    """

    def __init__(self, path: str | os.PathLike, *, create: bool = True):
        self.path = Path(path).expanduser()
        self._lock = threading.Lock()
        if not self.path.exists():
            if not create:
                raise SessionLogError(f'no session log at {self.path}')
            self._create_file()
        elif not self.path.is_file():
            raise SessionLogError(f'session log {self.path} is not a regular file')
        else:
            self._check_header()
        try:
            self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise SessionLogError(f'cannot open session log {self.path}: {exc}') from exc
        try:
            self._configure()
            self._migrate()
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            raise SessionLogError(f'cannot use session log {self.path}: {exc}') from exc
        except BaseException:
            self._conn.close()
            raise
        try:
            for suffix in ('', '-wal', '-shm'):
                _private_file(Path(f'{self.path}{suffix}'))
        except SessionLogError:
            self._conn.close()
            raise

    # -- opening ----------------------------------------------------------------------

    def _create_file(self) -> None:
        folder = self.path.parent
        try:
            if not folder.exists():
                folder.mkdir(mode=0o700, parents=True)
            # An empty file is a valid empty SQLite database; creating it ourselves fixes
            # its mode, and SQLite gives the -wal and -shm files the same mode.
            os.close(os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        except OSError as exc:
            raise SessionLogError(f'cannot create session log {self.path}: '
                                  f'{exc.strerror or exc}') from exc

    def _check_header(self) -> None:
        try:
            with open(self.path, 'rb') as f:
                header = f.read(len(_SQLITE_HEADER))
        except OSError as exc:
            raise SessionLogError(f'cannot read session log {self.path}: {exc.strerror}') from exc
        if header and header != _SQLITE_HEADER:
            raise SessionLogError(f'{self.path} is not an SQLite database (not a session log?)')

    def _configure(self) -> None:
        mode = self._conn.execute('PRAGMA journal_mode=WAL').fetchone()[0]
        if mode.lower() != 'wal':
            raise SessionLogError(f'session log {self.path}: cannot use WAL journal (got {mode})')
        # FULL: a commit survives a power cut too, not only a crash of this process.
        self._conn.execute('PRAGMA synchronous=FULL')
        self._conn.execute('PRAGMA foreign_keys=ON')
        self._conn.execute('PRAGMA busy_timeout=5000')
        problems = [line for row in self._conn.execute('PRAGMA quick_check(20)')
                    for line in row[0].splitlines() if not line.startswith('***')]
        if problems != ['ok']:
            raise SessionLogError(f'session log {self.path} is damaged (sqlite quick_check, '
                                  f'first problem: {problems[0]})')

    def schema_version(self) -> int:
        tables = {row[0] for row in self._conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not tables:
            return 0
        if 'schema_version' not in tables:
            raise SessionLogError(f'{self.path} is an SQLite database of another program '
                                  f'(tables: {", ".join(sorted(tables)[:5])})')
        row = self._conn.execute('SELECT version FROM schema_version').fetchone()
        if row is None:
            raise SessionLogError(f'session log {self.path} has no schema version row')
        return row[0]

    def _migrate(self) -> None:
        if self.schema_version() == SCHEMA_VERSION:
            return  # the usual case; readers then need no write lock
        with self._transaction():
            version = self.schema_version()
            if version > SCHEMA_VERSION:
                raise SessionLogError(
                    f'session log {self.path} has schema version {version}, newer than this '
                    f'program knows ({SCHEMA_VERSION}); update Berntsen')
            for step in range(version, SCHEMA_VERSION):
                MIGRATIONS[step](self._conn)
            if version == 0:
                self._conn.execute('CREATE TABLE schema_version (version INTEGER NOT NULL)')
                self._conn.execute('INSERT INTO schema_version VALUES (?)', (SCHEMA_VERSION,))
            elif version < SCHEMA_VERSION:
                self._conn.execute('UPDATE schema_version SET version = ?', (SCHEMA_VERSION,))

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, committed on exit (the caller returns only after that)."""
        with self._lock:
            try:
                self._conn.execute('BEGIN IMMEDIATE')
                yield self._conn
                self._conn.execute('COMMIT')
            except BaseException as exc:
                if self._conn.in_transaction:
                    self._conn.execute('ROLLBACK')
                if isinstance(exc, sqlite3.Error):
                    raise SessionLogError(f'session log {self.path}: write failed, nothing '
                                          f'recorded: {exc}') from exc
                raise

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> SessionStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- lookups inside a transaction -------------------------------------------------
    def _read(self, sql: str, params: Sequence = ()) -> list[tuple]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()
