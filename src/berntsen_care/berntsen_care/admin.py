"""Administration from the command line (`berntsen care add-team ...`): teams, staff,
patients, robots and their credentials. Synchronous psycopg; every value is a parameter."""
from __future__ import annotations

import psycopg

from .accounts import hash_password, new_robot_secret
from .store import secret_digest

ROLES = ('nurse', 'physiotherapist', 'administrator')


class AdminError(ValueError):
    pass


def _team_id(conn, team: str) -> int:
    row = conn.execute('SELECT id FROM teams WHERE name = %s', (team,)).fetchone()
    if row is None:
        raise AdminError(f'no team called {team!r} (berntsen care add-team NAME)')
    return row[0]


def _run(url: str, action):
    try:
        with psycopg.connect(url) as conn:
            return action(conn)
    except psycopg.errors.UniqueViolation as exc:
        raise AdminError(f'already exists: {exc.diag.message_detail or exc}') from None
    except psycopg.errors.CheckViolation as exc:
        raise AdminError(f'not accepted: {exc.diag.constraint_name}') from None


def add_team(url: str, name: str) -> int:
    return _run(url, lambda c: c.execute('INSERT INTO teams (name) VALUES (%s) RETURNING id',
                                         (name,)).fetchone()[0])


def add_staff(url: str, username: str, password: str, role: str, team: str,
              language: str = 'nb') -> int:
    if role not in ROLES:
        raise AdminError(f'role {role!r} is not one of {", ".join(ROLES)}')
    try:
        password_hash = hash_password(password)
    except ValueError as exc:
        raise AdminError(str(exc)) from None
    return _run(url, lambda c: c.execute(
        'INSERT INTO staff (username, password_hash, role, team_id, language) '
        'VALUES (%s, %s, %s, %s, %s) RETURNING id',
        (username, password_hash, role, _team_id(c, team), language)).fetchone()[0])


def add_patient(url: str, pseudonym: str, name: str, team: str) -> int:
    return _run(url, lambda c: c.execute(
        'INSERT INTO patients (pseudonym, name, team_id) VALUES (%s, %s, %s) RETURNING id',
        (pseudonym, name, _team_id(c, team))).fetchone()[0])


def add_robot(url: str, name: str, team: str) -> str:
    """The robot's credential, `<name>.<secret>`: shown once, only its digest is kept."""
    secret = new_robot_secret()
    _run(url, lambda c: c.execute(
        'INSERT INTO robots (name, secret_sha256, team_id) VALUES (%s, %s, %s)',
        (name, secret_digest(secret), _team_id(c, team))))
    return f'{name}.{secret}'


def assign(url: str, robot: str, pseudonym: str) -> None:
    def action(conn):
        robot_id, robot_team = conn.execute('SELECT id, team_id FROM robots WHERE name = %s',
                                            (robot,)).fetchone() or (None, None)
        if robot_id is None:
            raise AdminError(f'no robot called {robot!r}')
        row = conn.execute('SELECT id, team_id FROM patients WHERE pseudonym = %s',
                           (pseudonym,)).fetchone()
        if row is None:
            raise AdminError(f'no patient {pseudonym!r}')
        if row[1] != robot_team:
            raise AdminError('the robot and the patient belong to different teams')
        conn.execute('INSERT INTO robot_patients VALUES (%s, %s) ON CONFLICT DO NOTHING',
                     (robot_id, row[0]))
    _run(url, action)


def revoke_robot(url: str, robot: str) -> None:
    updated = _run(url, lambda c: c.execute(
        'UPDATE robots SET revoked = coalesce(revoked, now()) WHERE name = %s', (robot,)).rowcount)
    if not updated:
        raise AdminError(f'no robot called {robot!r}')
