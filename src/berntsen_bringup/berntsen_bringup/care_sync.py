"""The robot's side of the care service's sync API (docs/care_sync.md), without ROS.

- `closed_sessions_after` reads closed sessions from the coach's session log (read-only) in
  the API's SESSION shape; `batches` splits them into request bodies of bounded size.
- `AlertOutbox` keeps caregiver alerts on disk until the service has accepted them.
- `CareClient` talks to the service; every failure is a `CareLinkError` with a message a
  person can act on.
- `sync_once` sends what is new and is resumable: it always starts from where the service
  says it stands. `pull_programme`/`apply_programme` replace the local programme file with
  the physiotherapist's newest one, only when it is valid and for the same patient.

Privacy: the patient's name lives only in the programme file. It is read from there to
rebuild that same file, and appears in no message, log line or request.
"""
from __future__ import annotations

import json
import os
import sqlite3
import stat
import tempfile
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Mapping, Sequence

import httpx
import yaml
from berntsen_coach.exercises import Exercise
from berntsen_coach.programme import ProgrammeError, programme_from_text
from berntsen_coach.session_store import SCHEMA_VERSION, SessionLogError

API_PATH = '/api/robot/v1/'
# The service refuses bodies over 1 MiB; half of that leaves room for what it adds or counts.
MAX_BODY_BYTES = 512 * 1024
SESSION_PAGE = 100            # sessions read from the log at a time


class CareLinkError(Exception):
    """The care service could not be used; the message says why and what to do.

    `permanent`: retrying will not help until a person acts (a revoked credential, a patient
    not assigned to this robot, a record too large to send, a token file open to others).
    `status`: the HTTP status the service answered, None when there was no answer.
    """

    def __init__(self, message: str, *, status: int | None = None, permanent: bool = False):
        super().__init__(message)
        self.status = status
        self.permanent = permanent


# -- the session log ------------------------------------------------------------------------

def closed_sessions_after(db_path: str | os.PathLike, last_session_id: int,
                          limit: int = SESSION_PAGE) -> list[dict]:
    """Up to `limit` closed sessions with id > `last_session_id`, ascending, each whole.

    Stops before the first session still open: the service remembers only the highest id
    it holds, so a session closed later (`close_interrupted` after a crash) would otherwise
    be skipped for ever. The file is opened read-only; a missing file raises SessionLogError.
    """
    path = Path(db_path).expanduser().resolve()
    if not path.is_file():
        raise SessionLogError(f'no session log at {path} (has the coach run yet?)')
    try:
        conn = sqlite3.connect(f'{path.as_uri()}?mode=ro', uri=True, isolation_level=None)
    except sqlite3.Error as exc:
        raise SessionLogError(f'cannot open session log {path}: {exc}') from exc
    try:
        conn.execute('PRAGMA busy_timeout=5000')
        conn.execute('BEGIN')   # one snapshot while the coach goes on writing
        version = conn.execute('SELECT version FROM schema_version').fetchone()[0]
        if version != SCHEMA_VERSION:
            raise SessionLogError(f'session log {path} has schema version {version}, this '
                                  f'program reads {SCHEMA_VERSION}: run the coach once to '
                                  'migrate it, or update Berntsen')
        first_open = conn.execute('SELECT MIN(id) FROM sessions WHERE id > ? AND ended IS NULL',
                                  (last_session_id,)).fetchone()[0]
        rows = conn.execute(
            'SELECT id, patient_id, started, ended, routine, outcome, programme_sha256, '
            'language, simulated FROM sessions WHERE id > ?1 AND ended IS NOT NULL '
            'AND (?2 IS NULL OR id < ?2) ORDER BY id LIMIT ?3',
            (last_session_id, first_open, limit)).fetchall()
        return [_session(conn, row) for row in rows]
    except sqlite3.Error as exc:
        raise SessionLogError(f'cannot read session log {path}: {exc}') from exc
    finally:
        conn.close()


def _session(conn: sqlite3.Connection, row: tuple) -> dict:
    (session_id, patient_id, started, ended, routine, outcome, programme_sha256, language,
     simulated) = row
    sets = []
    for set_id, exercise, set_index, target, counted, set_started, set_ended in conn.execute(
            'SELECT id, exercise, set_index, target_reps, counted_reps, started, ended '
            'FROM sets WHERE session_id = ? ORDER BY id', (session_id,)).fetchall():
        repetitions = [
            {'id': rep_id, 'number': number, 'started': rep_started, 'ended': rep_ended,
             'peak_signal': peak, 'partial': bool(partial)}
            for rep_id, number, rep_started, rep_ended, peak, partial in conn.execute(
                'SELECT id, number, started, ended, peak_signal, partial FROM repetitions '
                'WHERE set_id = ? ORDER BY id', (set_id,))]
        sets.append({'id': set_id, 'exercise': exercise, 'set_index': set_index,
                     'target_reps': target, 'counted_reps': counted, 'started': set_started,
                     'ended': set_ended, 'repetitions': repetitions})
    events = [{'id': event_id, 'time': time, 'kind': kind, 'detail': json.loads(detail)}
              for event_id, time, kind, detail in conn.execute(
                  'SELECT id, time, kind, detail FROM events WHERE session_id = ? ORDER BY id',
                  (session_id,))]
    measures = [{'id': measure_id, 'time': time, 'test': test, 'value': value, 'unit': unit}
                for measure_id, time, test, value, unit in conn.execute(
                    'SELECT id, time, test, value, unit FROM clinical_measures '
                    'WHERE session_id = ? ORDER BY id', (session_id,))]
    return {'id': session_id, 'patient_id': patient_id, 'started': started, 'ended': ended,
            'routine': routine, 'outcome': outcome, 'programme_sha256': programme_sha256,
            'language': language, 'simulated': bool(simulated), 'sets': sets,
            'events': events, 'clinical_measures': measures}


def _encode(value) -> bytes:
    """JSON exactly as sent (httpx's own encoding of `json=`), so sizes are exact."""
    return json.dumps(value, ensure_ascii=False, separators=(',', ':'),
                      allow_nan=False).encode('utf-8')


def batches(records: Sequence[dict], max_bytes: int = MAX_BODY_BYTES,
            field: str = 'sessions') -> Iterator[list[dict]]:
    """`records` in order, in lists whose body `{field: [...]}` is at most `max_bytes`.

    A record that alone makes a larger body raises CareLinkError (permanent) when reached,
    after the batches before it: it can never be sent, so it must not be tried for ever.
    """
    overhead = len(_encode({field: []}))
    batch: list[dict] = []
    size = overhead
    for record in records:
        record_size = len(_encode(record))
        if overhead + record_size > max_bytes:
            if batch:
                yield batch
            raise CareLinkError(
                f'{field[:-1]} {record.get("id")} is {record_size} bytes as JSON, more than '
                f'a request may carry ({max_bytes} bytes): it cannot be sent, and what follows '
                'it waits', permanent=True)
        added = record_size + (1 if batch else 0)   # the comma between records
        if batch and size + added > max_bytes:
            yield batch
            batch, size, added = [], overhead, record_size
        batch.append(record)
        size += added
    if batch:
        yield batch


# -- the alert outbox -----------------------------------------------------------------------

class AlertOutbox:
    """Alerts not yet accepted by the service, in a small SQLite file (0600, folder 0700).

    `add` commits before it returns, so an alert survives a crash or a power cut the moment
    it is added. Safe to use from several threads.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path).expanduser()
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            # Created by us with 0600: SQLite gives its journal the same mode.
            os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
            if stat.S_IMODE(os.stat(self.path).st_mode) & 0o077:
                os.chmod(self.path, 0o600)
        except OSError as exc:
            raise ValueError(f'cannot create alert outbox {self.path}: '
                             f'{exc.strerror or exc}') from exc
        self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            self._conn.execute('PRAGMA synchronous=FULL')
            self._conn.execute('CREATE TABLE IF NOT EXISTS alerts ('
                               'seq INTEGER PRIMARY KEY AUTOINCREMENT, '
                               'id TEXT NOT NULL UNIQUE, alert TEXT NOT NULL)')
            # the alert messages already taken: the coach's alerts are latched (transient
            # local), so a restarted care_link hears its last ones again
            self._conn.execute('CREATE TABLE IF NOT EXISTS heard (message TEXT PRIMARY KEY)')
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            raise ValueError(f'{self.path} is not an alert outbox: {exc}') from exc

    def add(self, alert: Mapping, message: str | None = None) -> str | None:
        """Keep `alert` (patient_id, time, reason, urgent, detail) under a new uuid4 id.

        `message` names the message it came in (e.g. its stamp and reason): one heard
        before is not kept again, and None is returned.
        """
        alert_id = str(uuid.uuid4())
        with self._lock:
            self._conn.execute('BEGIN IMMEDIATE')
            try:
                if message is not None and self._conn.execute(
                        'INSERT OR IGNORE INTO heard VALUES (?)', (message,)).rowcount == 0:
                    self._conn.execute('ROLLBACK')
                    return None
                self._conn.execute('INSERT INTO alerts (id, alert) VALUES (?, ?)',
                                   (alert_id, _encode({**alert, 'id': alert_id}).decode()))
                self._conn.execute('COMMIT')
            except BaseException:
                self._conn.execute('ROLLBACK')
                raise
        return alert_id

    def pending(self) -> list[dict]:
        with self._lock:
            return [json.loads(text) for (text,) in
                    self._conn.execute('SELECT alert FROM alerts ORDER BY seq')]

    def remove(self, ids: Sequence[str]) -> None:
        with self._lock:
            self._conn.executemany('DELETE FROM alerts WHERE id = ?', [(i,) for i in ids])

    def close(self) -> None:
        with self._lock:
            self._conn.close()


# -- the service ----------------------------------------------------------------------------

def read_token(path: str | os.PathLike) -> str:
    """The robot's token (`<robot name>.<secret>`) from a file only its owner can read."""
    path = Path(path).expanduser()
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
        if mode & 0o077:
            raise CareLinkError(f'token file {path} is open to other users (mode {mode:04o}): '
                                f'run chmod 600 {path}', permanent=True)
        token = path.read_text(encoding='utf-8').strip()
    except OSError as exc:
        raise CareLinkError(f'cannot read token file {path}: {exc.strerror or exc}',
                            permanent=True) from exc
    except UnicodeDecodeError as exc:
        raise CareLinkError(f'token file {path} is not text', permanent=True) from exc
    name, dot, secret = token.partition('.')
    if not (name and dot and secret) or not token.isascii() or not token.isprintable() \
            or any(c.isspace() for c in token):
        raise CareLinkError(f'token file {path} does not hold one token of the form '
                            '<robot name>.<secret> (made by `berntsen care add-robot`)',
                            permanent=True)
    return token


class CareClient:
    """The robot endpoints of the care service at `base_url` (e.g. https://care.example)."""

    def __init__(self, base_url: str, token: str, timeout: float = 10.0):
        if not base_url.startswith(('http://', 'https://')):
            raise CareLinkError(f'care service URL {base_url!r} must start with https:// '
                                '(or http://)', permanent=True)
        self.base_url = base_url.rstrip('/')
        try:
            # Redirects are not followed: the token goes only to the address configured.
            self._http = httpx.Client(base_url=self.base_url + API_PATH, timeout=timeout,
                                      headers={'Authorization': f'Bearer {token}'})
        except httpx.InvalidURL as exc:
            raise CareLinkError(f'care service URL {base_url!r} is not valid: {exc}',
                                permanent=True) from exc

    def sync_state(self) -> dict:
        """{'robot', 'last_session_id', 'patients'}."""
        state = self._request('GET', 'sync-state')
        if not isinstance(state.get('last_session_id'), int) \
                or isinstance(state['last_session_id'], bool):
            raise CareLinkError(f'{self.base_url}: sync-state without a last_session_id')
        return state

    def send_sessions(self, sessions: Sequence[dict]) -> dict:
        """{'stored', 'duplicates', 'last_session_id'}."""
        return self._request('POST', 'sessions', {'sessions': list(sessions)})

    def send_alerts(self, alerts: Sequence[dict]) -> dict:
        """{'stored', 'duplicates'}."""
        return self._request('POST', 'alerts', {'alerts': list(alerts)})

    def programmes(self) -> list[dict]:
        """[{'patient_id', 'version', 'sha256', 'text'}], the newest per patient."""
        programmes = self._request('GET', 'programmes').get('programmes')
        if not isinstance(programmes, list) or not all(isinstance(p, dict) for p in programmes):
            raise CareLinkError(f'{self.base_url}: programmes answer is not a list')
        return programmes

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> CareClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _request(self, method: str, endpoint: str, body: dict | None = None) -> dict:
        try:
            if body is None:
                response = self._http.request(method, endpoint)
            else:
                response = self._http.request(method, endpoint, content=_encode(body),
                                              headers={'Content-Type': 'application/json'})
        except httpx.HTTPError as exc:
            raise CareLinkError(f'cannot reach the care service at {self.base_url}: '
                                f'{type(exc).__name__}: {exc}') from exc
        if response.status_code == 200:
            try:
                answer = response.json()
            except ValueError:
                answer = None
            if not isinstance(answer, dict):
                raise CareLinkError(f'{self.base_url} answered {endpoint} with something '
                                    'other than a JSON object (not a care service?)',
                                    status=200)
            return answer
        reason = _error_text(response)
        status = response.status_code
        if status == 401:
            raise CareLinkError(f'the care service does not accept this robot\'s token '
                                f'(unknown or revoked): {reason}; make a new one with '
                                '`berntsen care add-robot`', status=status, permanent=True)
        if status == 403:
            raise CareLinkError(f'the care service refused {endpoint}, nothing was stored: '
                                f'{reason}', status=status, permanent=True)
        if status == 413:
            raise CareLinkError(f'the care service refused {endpoint} as too large (413)',
                                status=status, permanent=True)
        raise CareLinkError(f'the care service answered {endpoint} with {status}: {reason}',
                            status=status)


def _error_text(response: httpx.Response) -> str:
    try:
        error = response.json().get('error')
    except (ValueError, AttributeError):
        error = None
    return str(error) if error else (response.text.strip()[:200] or response.reason_phrase)


# -- syncing --------------------------------------------------------------------------------

@dataclass(frozen=True)
class SyncSummary:
    alerts_sent: int          # alerts the service accepted (new or already held)
    sessions_stored: int
    duplicates: int           # sessions the service already held
    last_session_id: int      # the highest session id the service now holds


def flush_alerts(client: CareClient, outbox: AlertOutbox,
                 max_bytes: int = MAX_BODY_BYTES) -> int:
    """Send the outbox's alerts, oldest first; each accepted one leaves it. Returns how many."""
    sent = 0
    for batch in batches(outbox.pending(), max_bytes, field='alerts'):
        client.send_alerts(batch)
        outbox.remove([alert['id'] for alert in batch])
        sent += len(batch)
    return sent


def sync_once(client: CareClient, db_path: str | os.PathLike, outbox: AlertOutbox,
              max_bytes: int = MAX_BODY_BYTES) -> SyncSummary:
    """Pending alerts, then the closed sessions the service lacks, in ascending batches of
    at most `max_bytes` a request (alerts raised meanwhile go before each batch).

    Raises CareLinkError or SessionLogError; what was accepted before stays accepted, and
    the next call goes on from where the service then stands.
    """
    alerts_sent = flush_alerts(client, outbox, max_bytes)
    last = client.sync_state()['last_session_id']
    stored = duplicates = 0
    while sessions := closed_sessions_after(db_path, last, SESSION_PAGE):
        for batch in batches(sessions, max_bytes):
            # an alert raised during a long sync goes out before the next batch, not after
            alerts_sent += flush_alerts(client, outbox, max_bytes)
            answer = client.send_sessions(batch)
            stored += int(answer.get('stored', 0))
            duplicates += int(answer.get('duplicates', 0))
            last = batch[-1]['id']   # a 200 means the whole batch is held
    return SyncSummary(alerts_sent, stored, duplicates, last)


# -- programmes -----------------------------------------------------------------------------

@dataclass(frozen=True)
class ProgrammeUpdate:
    outcome: str              # 'updated', 'unchanged' or 'refused'
    message: str              # never the patient's name; for 'refused', why
    version: int | None = None


def _local_patient(path: Path) -> tuple[str, str]:
    """(name, id) of the patient block of the local programme file."""
    try:
        data = yaml.safe_load(path.read_text(encoding='utf-8'))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ProgrammeError(f'{path}: cannot read its patient block: '
                             f'{getattr(exc, "strerror", None) or type(exc).__name__}') from exc
    patient = data.get('patient') if isinstance(data, dict) else None
    if not isinstance(patient, dict) or not patient.get('name') or patient.get('id') is None:
        raise ProgrammeError(f'{path}: no patient block with name and id')
    return str(patient['name']).strip(), str(patient['id'])


def _has_patient_block(text: str) -> bool:
    """YAML keeps the last of two equal keys, so a patient block in the service's text
    would win over the local one. Text that is not YAML is left to `programme_from_text`."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return False
    return isinstance(data, dict) and 'patient' in data


def apply_programme(text: str, local_programme_path: str | os.PathLike,
                    exercises: Mapping[str, Exercise], *, patient_id: str) -> ProgrammeUpdate:
    """Make the local programme file the service's `text` (a programme without its patient
    block, for `patient_id`) under the local file's patient block.

    The file is replaced atomically (0600) only when the result passes `berntsen check`'s
    rules and is for the local patient; otherwise it is left as it is, and the outcome
    'refused' carries the ProgrammeError text (lines counted in the combined file).
    """
    path = Path(local_programme_path).expanduser()
    try:
        name, local_id = _local_patient(path)
        if patient_id != local_id:
            raise ProgrammeError(f'{path}: the care service\'s programme is for patient '
                                 f'{patient_id}, this robot\'s programme for {local_id}')
        if not isinstance(text, str):
            raise ProgrammeError(f'{path}: the care service sent no programme text')
        if _has_patient_block(text):
            raise ProgrammeError(f'{path}: the care service\'s programme has a patient block')
        patient = yaml.safe_dump({'patient': {'name': name, 'id': local_id}},
                                 allow_unicode=True, sort_keys=False)
        full_text = patient + text if text.endswith('\n') else f'{patient}{text}\n'
        # The very text to be written, checked as `berntsen check` checks a file.
        programme = programme_from_text(full_text, exercises, source=str(path))
        if (programme.patient_name, programme.patient_id) != (name, local_id):
            raise ProgrammeError(f'{path}: the care service\'s programme changes the patient '
                                 'block')
    except ProgrammeError as exc:
        return ProgrammeUpdate('refused', str(exc))
    if path.read_text(encoding='utf-8') == full_text:
        return ProgrammeUpdate('unchanged', f'{path}: already the care service\'s programme')
    _replace(path, full_text)
    return ProgrammeUpdate('updated', f'{path}: replaced by the care service\'s programme')


def _replace(path: Path, text: str) -> None:
    """Write `text` to `path` so that a crash leaves the old file or the new one, whole."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f'.{path.name}.', suffix='.tmp')
    try:
        with os.fdopen(fd, 'w', encoding='utf-8') as f:   # mkstemp made it 0600
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)   # the rename itself survives a power cut
    finally:
        os.close(folder)


def pull_programme(client: CareClient, local_programme_path: str | os.PathLike,
                   exercises: Mapping[str, Exercise]) -> ProgrammeUpdate:
    """Fetch the newest programmes and apply the one for the local programme's patient."""
    path = Path(local_programme_path).expanduser()
    try:
        _, local_id = _local_patient(path)
    except ProgrammeError as exc:
        return ProgrammeUpdate('refused', str(exc))
    for entry in client.programmes():
        if entry.get('patient_id') == local_id:
            update = apply_programme(entry.get('text'), path, exercises, patient_id=local_id)
            return ProgrammeUpdate(update.outcome, update.message, entry.get('version'))
    return ProgrammeUpdate('unchanged', f'the care service has no programme for patient '
                                        f'{local_id}')
