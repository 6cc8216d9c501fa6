"""`berntsen care ...`: the local PostgreSQL cluster, migrations, administration, the service.

Names and passwords are read from the terminal (or standard input), never from the command
line, where shell history and `ps` would keep them.
"""
from __future__ import annotations

import argparse
import getpass
import os
import secrets
import sys
from pathlib import Path

from .settings import Settings, SettingsError, read_secret_file

DEFAULT_PORT = 8470


def care_home() -> Path:
    """The local cluster and the demo's secrets: $BERNTSEN_CARE_HOME (./run.sh care: the
    project's .care/), else ~/.local/state/berntsen/care."""
    home = os.environ.get('BERNTSEN_CARE_HOME')
    return Path(home) if home else Path.home() / '.local' / 'state' / 'berntsen' / 'care'


def _cluster():
    from .pg_cluster import PostgresCluster

    home = care_home().absolute()
    # Folders made here are traversable, not listable: the server (as `postgres` under root)
    # must reach its folder inside; the secrets beside it are 0600.
    for folder in reversed([home, *home.parents]):
        if not folder.exists():
            folder.mkdir()
            folder.chmod(0o711)
    return PostgresCluster(home / 'postgres')


def database_url(args) -> str:
    """--database, $BERNTSEN_CARE_DATABASE, or the local cluster's `berntsen_care` database."""
    url = getattr(args, 'database', None) or os.environ.get('BERNTSEN_CARE_DATABASE')
    if url:
        return url
    cluster = _cluster()
    if not cluster.running():
        raise SettingsError(f'no database given and the local cluster ({cluster.folder}) is not '
                            'running: berntsen care db start')
    return cluster.url('berntsen_care')


def _read_line(prompt: str, secret: bool = False) -> str:
    if sys.stdin.isatty():
        return (getpass.getpass if secret else input)(prompt)
    return sys.stdin.readline().rstrip('\n')


def _secret(args) -> str:
    if args.secret_file:
        return read_secret_file(args.secret_file)
    return os.environ.get('BERNTSEN_CARE_SECRET', '')


def run_db(args) -> int:
    cluster = _cluster()
    if args.action == 'start':
        cluster.init()
        cluster.start()
        if not cluster.has_database('berntsen_care'):
            cluster.create_database('berntsen_care')
        print(f'PostgreSQL runs in {cluster.folder} (socket only); database berntsen_care')
    elif args.action == 'stop':
        cluster.stop()
        print('stopped')
    else:
        print('running' if cluster.running() else 'stopped', cluster.folder)
    return 0


def run_migrate(args) -> int:
    from .schema import current, head, upgrade

    url = database_url(args)
    upgrade(url)
    print(f'schema at {current(url)} (newest: {head()})')
    return 0


def run_serve(args) -> int:
    import uvicorn

    from .schema import current, head
    from .web import CareApp

    url = database_url(args)
    settings = Settings(database_url=url, secret=_secret(args),
                        secure_cookies=args.host not in ('127.0.0.1', 'localhost', '::1'))
    if current(url) != head():
        raise SettingsError(f'the database schema is at {current(url)}, this service needs '
                            f'{head()}: berntsen care migrate')
    print(f'care service at http://{args.host}:{args.port}/', flush=True)
    uvicorn.run(CareApp(settings).asgi(), host=args.host, port=args.port, log_level='warning',
                ws_max_size=64 * 1024, proxy_headers=False)
    return 0


def run_admin(args) -> int:
    from . import admin

    url = database_url(args)
    command = args.care_command
    if command == 'add-team':
        admin.add_team(url, args.name)
    elif command == 'add-user':
        password = _read_line(f'password for {args.username}: ', secret=True)
        admin.add_staff(url, args.username, password, args.role, args.team, args.language)
    elif command == 'add-patient':
        name = _read_line(f'name of patient {args.pseudonym}: ')
        admin.add_patient(url, args.pseudonym, name, args.team)
    elif command == 'add-robot':
        token = admin.add_robot(url, args.name, args.team)
        if args.token_file:
            _write_private(Path(args.token_file), token + '\n')
            print(f'credential of {args.name} written to {args.token_file}')
        else:
            print(token)
    elif command == 'assign':
        admin.assign(url, args.robot, args.pseudonym)
    elif command == 'revoke-robot':
        admin.revoke_robot(url, args.name)
    print('done', file=sys.stderr)
    return 0


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as f:
        f.write(text)


def new_secret_file(path: Path) -> Path:
    if not path.exists():
        _write_private(path, secrets.token_urlsafe(48) + '\n')
    return path


DEMO_TEAM, DEMO_PATIENT, DEMO_ROBOT = 'Demo', 'p-sim-0001', 'sim-robot'


def run_demo(args) -> int:
    """The local cluster, the newest schema, a team with a nurse and a physiotherapist, the
    simulated patient and a robot for `berntsen sim --care-url`; then serve."""
    from . import admin
    from .schema import upgrade

    home = care_home()
    run_db(argparse.Namespace(action='start'))
    url = _cluster().url('berntsen_care')
    upgrade(url)
    credentials = home / 'demo-credentials.txt'
    token_file = home / 'sim-robot.token'
    if not credentials.exists():
        passwords = {user: secrets.token_urlsafe(12) for user in ('nurse', 'physio')}
        admin.add_team(url, DEMO_TEAM)
        admin.add_staff(url, 'nurse', passwords['nurse'], 'nurse', DEMO_TEAM, 'nb')
        admin.add_staff(url, 'physio', passwords['physio'], 'physiotherapist', DEMO_TEAM, 'nb')
        # the name as the simulated programme speaks it; here only in the patient table
        admin.add_patient(url, DEMO_PATIENT, 'Kari (simulert)', DEMO_TEAM)
        _write_private(token_file, admin.add_robot(url, DEMO_ROBOT, DEMO_TEAM) + '\n')
        admin.assign(url, DEMO_ROBOT, DEMO_PATIENT)
        _write_private(credentials, ''.join(f'{u} {p}\n' for u, p in passwords.items()))
    args.secret_file = str(new_secret_file(home / 'secret'))
    args.database = url
    print(f'staff log-ins (user password) are in {credentials}\n'
          f'a simulated morning that sends its alerts here:\n'
          f'  berntsen sim --care-url http://{args.host}:{args.port} --care-token-file {token_file}',
          flush=True)
    return run_serve(args)


def add_care_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest='care_command', required=True)

    def with_database(p):
        p.add_argument('--database', metavar='URL',
                       help='PostgreSQL URL (default: $BERNTSEN_CARE_DATABASE, else the local cluster)')
        return p

    p = sub.add_parser('db', help='the local PostgreSQL cluster (in $BERNTSEN_CARE_HOME)')
    p.add_argument('action', choices=['start', 'stop', 'status'])
    p.set_defaults(care=run_db)
    p = with_database(sub.add_parser('migrate', help='bring the schema to the newest version'))
    p.set_defaults(care=run_migrate)
    p = with_database(sub.add_parser('serve', help='run the service'))
    p.add_argument('--host', default='127.0.0.1')
    p.add_argument('--port', type=int, default=DEFAULT_PORT)
    p.add_argument('--secret-file', metavar='FILE',
                   help='the session-signing secret (default: $BERNTSEN_CARE_SECRET); 0600')
    p.set_defaults(care=run_serve)
    p = sub.add_parser('demo', help='start the local cluster, add a demo team, nurse, '
                                    'physiotherapist and simulated robot, and serve')
    p.add_argument('--host', default='127.0.0.1')
    p.add_argument('--port', type=int, default=DEFAULT_PORT)
    p.set_defaults(care=run_demo)
    p = with_database(sub.add_parser('add-team'))
    p.add_argument('name')
    p = with_database(sub.add_parser('add-user', help='a staff member; the password is asked for'))
    p.add_argument('username')
    p.add_argument('--role', required=True, choices=['nurse', 'physiotherapist', 'administrator'])
    p.add_argument('--team', required=True)
    p.add_argument('--language', choices=['nb', 'en'], default='nb')
    p = with_database(sub.add_parser('add-patient', help='a patient; the name is asked for'))
    p.add_argument('pseudonym', help="the programme's pseudonymous patient id")
    p.add_argument('--team', required=True)
    p = with_database(sub.add_parser('add-robot', help='a robot and its credential (shown once)'))
    p.add_argument('name')
    p.add_argument('--team', required=True)
    p.add_argument('--token-file', help='write the credential here (0600) instead of printing it')
    p = with_database(sub.add_parser('assign', help="let a robot write a patient's records"))
    p.add_argument('robot')
    p.add_argument('pseudonym')
    p = with_database(sub.add_parser('revoke-robot', help="refuse a robot's credential from now on"))
    p.add_argument('name')
    for name in ('add-team', 'add-user', 'add-patient', 'add-robot', 'assign', 'revoke-robot'):
        sub.choices[name].set_defaults(care=run_admin)


def run_care(args) -> int:
    from .admin import AdminError
    from .pg_cluster import PostgresError

    try:
        return args.care(args)
    except (SettingsError, AdminError, PostgresError) as exc:
        print(f'berntsen care: {exc}', file=sys.stderr)
        return 1
