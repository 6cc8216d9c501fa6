"""The care service's PostgreSQL store: what robots send, what staff may read, the audit log.

Every statement is parameterised (psycopg sends values apart from the SQL text), so no text
field can change a query. Every read of a patient's data goes through `patient_for`, which
refuses another team's patient and writes the read (or the refusal) to the audit log.
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass

from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from .payloads import Invalid, alert_payload, session_payload


class Forbidden(Exception):
    """Not this user's or this robot's to read or write; the message says what was refused."""


class NotFound(Exception):
    pass


class Unauthorised(Exception):
    """No valid credential: unknown, malformed or revoked."""


@dataclass(frozen=True)
class Staff:
    id: int
    username: str
    role: str
    team_id: int
    language: str

    @property
    def edits_programmes(self) -> bool:
        return self.role in ('physiotherapist', 'administrator')


@dataclass(frozen=True)
class Robot:
    id: int
    name: str
    team_id: int


def secret_digest(secret: str) -> str:
    # A robot secret is 32 random bytes: a fast hash cannot be guessed back, unlike a password.
    return hashlib.sha256(secret.encode()).hexdigest()


def programme_digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# Connections kept free of robots' session uploads, for alerts and staff: measured with 200
# robots syncing at once (bench/care_sync.py), uploads holding all ten delayed alerts by 7 s.
RESERVED_CONNECTIONS = 4


class CareStore:
    def __init__(self, url: str, min_size: int = 2, max_size: int = 12):
        self._pool = AsyncConnectionPool(url, min_size=min_size, max_size=max_size, open=False,
                                         kwargs={'row_factory': dict_row})
        self.upload_slots = asyncio.Semaphore(max(1, max_size - RESERVED_CONNECTIONS))

    async def open(self) -> None:
        await self._pool.open(wait=True, timeout=15)

    async def close(self) -> None:
        await self._pool.close()

    # ---- staff ------------------------------------------------------------------------------

    async def staff_login(self, username: str) -> tuple[Staff, str] | None:
        async with self._pool.connection() as conn:
            row = await (await conn.execute(
                'SELECT id, username, role, team_id, language, password_hash FROM staff '
                'WHERE username = %s', (username,))).fetchone()
        if row is None:
            return None
        password_hash = row.pop('password_hash')
        return Staff(**row), password_hash

    async def update_password_hash(self, staff: Staff, password_hash: str) -> None:
        async with self._pool.connection() as conn:
            await conn.execute('UPDATE staff SET password_hash = %s WHERE id = %s',
                               (password_hash, staff.id))

    async def staff(self, staff_id: int) -> Staff | None:
        async with self._pool.connection() as conn:
            row = await (await conn.execute(
                'SELECT id, username, role, team_id, language FROM staff WHERE id = %s',
                (staff_id,))).fetchone()
        return Staff(**row) if row else None

    async def audit(self, staff: Staff | None, action: str, patient_id: int | None = None,
                    detail: str = '') -> None:
        async with self._pool.connection() as conn:
            await conn.execute('INSERT INTO audit_log (staff_id, action, patient_id, detail) '
                               'VALUES (%s, %s, %s, %s)',
                               (staff.id if staff else None, action, patient_id, detail[:500]))

    async def patients(self, staff: Staff) -> list[dict]:
        """The team's patients with their newest session and open alerts (audited as a list read)."""
        async with self._pool.connection() as conn:
            rows = await (await conn.execute(
                'SELECT p.id, p.pseudonym, p.name, '
                '  (SELECT max(started) FROM sessions s WHERE s.patient_id = p.id) AS last_session, '
                '  (SELECT count(*) FROM alerts a WHERE a.patient_id = p.id '
                '   AND a.acknowledged IS NULL) AS open_alerts '
                'FROM patients p WHERE p.team_id = %s ORDER BY p.name, p.id',
                (staff.team_id,))).fetchall()
        await self.audit(staff, 'list_patients', None, f'{len(rows)} patients')
        return rows

    async def patient_for(self, staff: Staff, pseudonym: str, action: str) -> dict:
        """The patient, if in the staff member's team; the read or the refusal is audited."""
        async with self._pool.connection() as conn:
            row = await (await conn.execute(
                'SELECT id, pseudonym, name, team_id FROM patients WHERE pseudonym = %s',
                (pseudonym,))).fetchone()
        if row is None:
            await self.audit(staff, f'{action}_not_found', None, pseudonym[:100])
            raise NotFound(pseudonym)
        if row['team_id'] != staff.team_id:
            await self.audit(staff, f'{action}_refused', row['id'], 'another team\'s patient')
            raise Forbidden('this patient belongs to another team')
        await self.audit(staff, action, row['id'])
        return row

    async def sessions_of(self, patient: dict) -> list[dict]:
        async with self._pool.connection() as conn:
            return await (await conn.execute(
                'SELECT s.id, s.started, s.ended, s.routine, s.outcome, s.simulated, r.name AS robot, '
                '  (SELECT coalesce(sum(counted_reps), 0) FROM sets WHERE session_id = s.id) AS counted, '
                '  (SELECT coalesce(sum(target_reps), 0) FROM sets WHERE session_id = s.id) AS target '
                'FROM sessions s JOIN robots r ON r.id = s.robot_id '
                'WHERE s.patient_id = %s ORDER BY s.started DESC, s.id DESC LIMIT 200',
                (patient['id'],))).fetchall()

    async def alerts_for(self, staff: Staff, open_only: bool = True) -> list[dict]:
        async with self._pool.connection() as conn:
            rows = await (await conn.execute(
                'SELECT a.id, a.time, a.reason, a.urgent, a.detail, a.received, a.acknowledged, '
                '  p.pseudonym, p.name, r.name AS robot '
                'FROM alerts a JOIN patients p ON p.id = a.patient_id JOIN robots r ON r.id = a.robot_id '
                'WHERE p.team_id = %s AND (NOT %s OR a.acknowledged IS NULL) '
                'ORDER BY a.time DESC LIMIT 100', (staff.team_id, open_only))).fetchall()
        await self.audit(staff, 'list_alerts', None, f'{len(rows)} alerts')
        return rows

    async def acknowledge(self, staff: Staff, alert_id: int) -> dict:
        async with self._pool.connection() as conn:
            row = await (await conn.execute(
                'SELECT a.id, a.patient_id, p.team_id, a.acknowledged FROM alerts a '
                'JOIN patients p ON p.id = a.patient_id WHERE a.id = %s', (alert_id,))).fetchone()
            if row is None:
                raise NotFound(str(alert_id))
            if row['team_id'] != staff.team_id:
                await self.audit(staff, 'acknowledge_alert_refused', row['patient_id'],
                                 f'alert {alert_id}')
                raise Forbidden('this alert is about another team\'s patient')
            if row['acknowledged'] is None:
                await conn.execute('UPDATE alerts SET acknowledged = now(), acknowledged_by = %s '
                                   'WHERE id = %s AND acknowledged IS NULL', (staff.id, alert_id))
        await self.audit(staff, 'acknowledge_alert', row['patient_id'], f'alert {alert_id}')
        return row

    # ---- administration ---------------------------------------------------------------------

    async def robots_of(self, staff: Staff) -> list[dict]:
        async with self._pool.connection() as conn:
            return await (await conn.execute(
                'SELECT r.id, r.name, r.created, r.revoked, '
                '  (SELECT max(received) FROM sessions s WHERE s.robot_id = r.id) AS last_sync, '
                '  (SELECT count(*) FROM robot_patients rp WHERE rp.robot_id = r.id) AS patients '
                'FROM robots r WHERE r.team_id = %s ORDER BY r.name', (staff.team_id,))).fetchall()

    async def revoke_robot(self, staff: Staff, robot_id: int) -> None:
        if staff.role != 'administrator':
            raise Forbidden('only an administrator revokes a robot')
        async with self._pool.connection() as conn:
            row = await (await conn.execute(
                'UPDATE robots SET revoked = coalesce(revoked, now()) WHERE id = %s AND team_id = %s '
                'RETURNING name', (robot_id, staff.team_id))).fetchone()
        if row is None:
            raise Forbidden('no robot of your team has this number')
        await self.audit(staff, 'revoke_robot', None, row['name'])

    # ---- programmes -------------------------------------------------------------------------

    async def latest_programme(self, patient: dict) -> dict | None:
        async with self._pool.connection() as conn:
            return await (await conn.execute(
                'SELECT pr.version, pr.text, pr.sha256, pr.saved, s.username AS saved_by '
                'FROM programmes pr JOIN staff s ON s.id = pr.saved_by '
                'WHERE pr.patient_id = %s ORDER BY pr.version DESC LIMIT 1',
                (patient['id'],))).fetchone()

    async def save_programme(self, staff: Staff, patient: dict, text: str) -> int:
        """Store an already validated programme as the patient's next version."""
        if not staff.edits_programmes:
            raise Forbidden('only a physiotherapist or an administrator changes a programme')
        async with self._pool.connection() as conn:
            async with conn.transaction():
                # one writer per patient at a time: versions are consecutive
                await conn.execute('SELECT id FROM patients WHERE id = %s FOR UPDATE', (patient['id'],))
                row = await (await conn.execute(
                    'SELECT coalesce(max(version), 0) + 1 AS version FROM programmes '
                    'WHERE patient_id = %s', (patient['id'],))).fetchone()
                await conn.execute(
                    'INSERT INTO programmes (patient_id, version, text, sha256, saved_by) '
                    'VALUES (%s, %s, %s, %s, %s)',
                    (patient['id'], row['version'], text, programme_digest(text), staff.id))
        await self.audit(staff, 'save_programme', patient['id'], f'version {row["version"]}')
        return row['version']

    # ---- robots -----------------------------------------------------------------------------

    async def robot_for_token(self, token: str) -> Robot:
        name, _, secret = token.partition('.')
        if not name or not secret:
            raise Unauthorised('malformed robot credential')
        async with self._pool.connection() as conn:
            row = await (await conn.execute(
                'SELECT id, name, team_id, secret_sha256, revoked FROM robots WHERE name = %s',
                (name,))).fetchone()
        if row is None or not hmac.compare_digest(row['secret_sha256'], secret_digest(secret)):
            raise Unauthorised('unknown robot credential')
        if row['revoked'] is not None:
            raise Unauthorised('this robot\'s credential was revoked')
        return Robot(row['id'], row['name'], row['team_id'])

    async def _robot_patients(self, conn, robot: Robot) -> dict[str, int]:
        rows = await (await conn.execute(
            'SELECT p.pseudonym, p.id FROM robot_patients rp JOIN patients p ON p.id = rp.patient_id '
            'WHERE rp.robot_id = %s', (robot.id,))).fetchall()
        return {r['pseudonym']: r['id'] for r in rows}

    async def sync_state(self, robot: Robot) -> dict:
        async with self._pool.connection() as conn:
            row = await (await conn.execute(
                'SELECT coalesce(max(robot_session_id), 0) AS last FROM sessions WHERE robot_id = %s',
                (robot.id,))).fetchone()
            patients = await self._robot_patients(conn, robot)
        return {'robot': robot.name, 'last_session_id': row['last'], 'patients': sorted(patients)}

    async def store_sessions(self, robot: Robot, body: object) -> dict:
        """Whole sessions in one transaction: all stored or none; ones already held skipped."""
        if not isinstance(body, dict) or not isinstance(body.get('sessions'), list):
            raise Invalid('expected {"sessions": [...]}')
        sessions = [session_payload(s, f'sessions[{i}]') for i, s in enumerate(body['sessions'])]
        stored = duplicates = 0
        async with self._pool.connection() as conn:
            async with conn.transaction():
                patients = await self._robot_patients(conn, robot)
                for i, s in enumerate(sessions):
                    if s['patient_id'] not in patients:
                        raise Forbidden(f'sessions[{i}]: patient {s["patient_id"]!r} is not one of '
                                        f'robot {robot.name}\'s patients; nothing was stored')
                for s in sessions:
                    if await self._insert_session(conn, robot, patients[s['patient_id']], s):
                        stored += 1
                    else:
                        duplicates += 1
                last = await (await conn.execute(
                    'SELECT coalesce(max(robot_session_id), 0) AS last FROM sessions '
                    'WHERE robot_id = %s', (robot.id,))).fetchone()
        return {'stored': stored, 'duplicates': duplicates, 'last_session_id': last['last']}

    async def _insert_session(self, conn, robot: Robot, patient_id: int, s: dict) -> bool:
        row = await (await conn.execute(
            'INSERT INTO sessions (robot_id, robot_session_id, patient_id, started, ended, routine, '
            '  outcome, programme_sha256, language, simulated) '
            'VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) '
            'ON CONFLICT (robot_id, robot_session_id) DO NOTHING RETURNING id',
            (robot.id, s['id'], patient_id, s['started'], s['ended'], s['routine'], s['outcome'],
             s['programme_sha256'], s['language'], s['simulated']))).fetchone()
        if row is None:
            return False
        session_id = row['id']
        async with conn.cursor() as cur:
            for st in s['sets']:
                await cur.execute(
                    'INSERT INTO sets (session_id, exercise, set_index, target_reps, counted_reps, '
                    '  started, ended) VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id',
                    (session_id, st['exercise'], st['set_index'], st['target_reps'],
                     st['counted_reps'], st['started'], st['ended']))
                set_id = (await cur.fetchone())['id']
                if st['repetitions']:
                    await cur.executemany(
                        'INSERT INTO repetitions (set_id, number, started, ended, peak_signal, partial) '
                        'VALUES (%s, %s, %s, %s, %s, %s)',
                        [(set_id, r['number'], r['started'], r['ended'], r['peak_signal'], r['partial'])
                         for r in st['repetitions']])
            if s['events']:
                await cur.executemany(
                    'INSERT INTO events (session_id, time, kind, detail) VALUES (%s, %s, %s, %s)',
                    [(session_id, e['time'], e['kind'], Jsonb(e['detail'])) for e in s['events']])
            if s['clinical_measures']:
                await cur.executemany(
                    'INSERT INTO clinical_measures (session_id, time, test, value, unit) '
                    'VALUES (%s, %s, %s, %s, %s)',
                    [(session_id, m['time'], m['test'], m['value'], m['unit'])
                     for m in s['clinical_measures']])
        return True

    async def store_alerts(self, robot: Robot, body: object) -> tuple[dict, list[tuple[int, dict]]]:
        """The summary for the robot, and (team, alert) of each new one for the live pages."""
        if not isinstance(body, dict) or not isinstance(body.get('alerts'), list):
            raise Invalid('expected {"alerts": [...]}')
        alerts = [alert_payload(a, f'alerts[{i}]') for i, a in enumerate(body['alerts'])]
        new = []
        async with self._pool.connection() as conn:
            async with conn.transaction():
                patients = await self._robot_patients(conn, robot)
                for i, a in enumerate(alerts):
                    if a['patient_id'] not in patients:
                        raise Forbidden(f'alerts[{i}]: patient {a["patient_id"]!r} is not one of '
                                        f'robot {robot.name}\'s patients; nothing was stored')
                for a in alerts:
                    row = await (await conn.execute(
                        'INSERT INTO alerts (robot_id, robot_alert_id, patient_id, time, reason, '
                        '  urgent, detail) VALUES (%s, %s, %s, %s, %s, %s, %s) '
                        'ON CONFLICT (robot_id, robot_alert_id) DO NOTHING '
                        'RETURNING id, time, reason, urgent, detail, received',
                        (robot.id, uuid.UUID(a['id']), patients[a['patient_id']], a['time'],
                         a['reason'], a['urgent'], a['detail']))).fetchone()
                    if row is not None:
                        # the care team's page shows the name; the robot never sent or sees it
                        name = await (await conn.execute('SELECT name FROM patients WHERE id = %s',
                                                         (patients[a['patient_id']],))).fetchone()
                        new.append((robot.team_id, {
                            **row, 'pseudonym': a['patient_id'], 'name': name['name'],
                            'robot': robot.name, 'acknowledged': None,
                            'patient_db_id': patients[a['patient_id']]}))
        return {'stored': len(new), 'duplicates': len(alerts) - len(new)}, new

    async def robot_programmes(self, robot: Robot) -> list[dict]:
        async with self._pool.connection() as conn:
            return await (await conn.execute(
                'SELECT DISTINCT ON (p.id) p.pseudonym AS patient_id, pr.version, pr.sha256, pr.text '
                'FROM robot_patients rp JOIN patients p ON p.id = rp.patient_id '
                'JOIN programmes pr ON pr.patient_id = p.id WHERE rp.robot_id = %s '
                'ORDER BY p.id, pr.version DESC', (robot.id,))).fetchall()


def json_ready(row: dict) -> dict:
    """A row as JSON: timestamps as ISO text."""
    return json.loads(json.dumps(row, default=lambda v: v.isoformat() if hasattr(v, 'isoformat') else str(v)))
