"""A private PostgreSQL cluster kept in one folder, run with Debian's PostgreSQL binaries.

Layout of the folder:
    data/          PGDATA
    socket/        the unix socket directory (the only way in: nothing listens on the network)
    password       the superuser's password, random, made at init (0600)
    port           the port chosen; it only names the socket file, and is kept so restarts reuse it
    postgres.log   the server's log

PostgreSQL refuses to run as root, so when we are root every server binary runs as the
`postgres` OS user (made by the Debian package) through `runuser`; the folders it writes to are
then owned by it, and the given folder is made traversable (0711) so it can reach them.
Nothing system-wide is touched: no /etc, no systemd, no system cluster.
"""
from __future__ import annotations

import functools
import os
import pwd
import secrets
import shlex
import shutil
import socket
import subprocess
from pathlib import Path
from urllib.parse import quote

import psycopg
from psycopg import sql

SUPERUSER = 'berntsen'
SERVER_USER = 'postgres'        # the OS user the server runs as when we are root
MAX_SOCKET_PATH = 107           # sun_path is 108 bytes with its NUL; longer paths cannot bind
MAX_IDENTIFIER = 63             # NAMEDATALEN - 1; PostgreSQL would silently truncate longer names


class PostgresError(RuntimeError):
    """The cluster cannot be set up, started, stopped or used; the message says why."""


@functools.lru_cache(maxsize=None)
def bindir() -> Path:
    """The folder of initdb/pg_ctl/postgres: the highest Debian major, else pg_config, else PATH."""
    majors = [p for p in Path('/usr/lib/postgresql').glob('*/bin')
              if p.parent.name.isdigit() and (p / 'pg_ctl').exists()]
    if majors:
        return max(majors, key=lambda p: int(p.parent.name))
    if shutil.which('pg_config'):
        out = subprocess.run(['pg_config', '--bindir'], capture_output=True, text=True)
        candidate = Path(out.stdout.strip())
        if out.returncode == 0 and (candidate / 'pg_ctl').exists():
            return candidate
    found = shutil.which('pg_ctl')
    if found:
        return Path(found).parent
    raise PostgresError('PostgreSQL server binaries (initdb, pg_ctl) not found: '
                        'install the postgresql package')


def _as_root() -> bool:
    return os.geteuid() == 0


def _server_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(SERVER_USER)
    except KeyError:
        raise PostgresError(f'running as root needs the {SERVER_USER!r} OS user '
                            '(made by the postgresql package) to run the server') from None


def _free_port() -> int:
    # The kernel picks an unused port; a socket name is all it is used for, so a clash with
    # a later TCP user does not matter, but a fresh number keeps clusters from looking alike.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _write_private(path: Path, text: str) -> None:
    """Write `text` to `path`, readable by its owner only, replacing it atomically."""
    tmp = path.with_name(f'.{path.name}.tmp')
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, 'w') as f:
        f.write(text)
    os.replace(tmp, path)


def _check_name(name: object, what: str = 'database') -> str:
    if (not isinstance(name, str) or not name or '\x00' in name
            or len(name.encode()) > MAX_IDENTIFIER):
        raise PostgresError(f'bad {what} name {name!r}: '
                            f'want 1 to {MAX_IDENTIFIER} bytes of text without NUL')
    return name


class PostgresCluster:
    def __init__(self, folder: str | Path, port: int | None = None):
        self.folder = Path(folder).absolute()
        self.data = self.folder / 'data'
        self.socket_dir = self.folder / 'socket'
        self.password_file = self.folder / 'password'
        self.port_file = self.folder / 'port'
        self.log_file = self.folder / 'postgres.log'
        self._port = port

    # -- state -------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The given port, else the stored one, else a new free one (stored for restarts)."""
        if self._port is None and self.port_file.exists():
            self._port = int(self.port_file.read_text().strip())
        if self._port is None:
            self._port = _free_port()
        if not self.port_file.exists() or self.port_file.read_text().strip() != str(self._port):
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            _write_private(self.port_file, f'{self._port}\n')
        return self._port

    @property
    def password(self) -> str:
        try:
            return self.password_file.read_text().strip()
        except FileNotFoundError:
            raise PostgresError(
                f'no password file {self.password_file}: call init() first') from None

    def initialised(self) -> bool:
        return (self.data / 'PG_VERSION').is_file()

    def running(self) -> bool:
        if not self.initialised():
            return False
        # pg_ctl status: 0 running, 3 not running, 4 no usable data folder.
        return self._run(['pg_ctl', 'status', '-D', str(self.data)]).returncode == 0

    # -- life cycle --------------------------------------------------------------------------

    def init(self) -> None:
        if self.initialised():
            return
        self._prepare()
        if not self.password_file.exists():
            _write_private(self.password_file, secrets.token_urlsafe(24) + '\n')
        # initdb (run as the server user) reads the password file itself.
        self._give_to_server(self.password_file)
        _ = self.port  # choose and store the port now, so every later start agrees
        out = self._run(['initdb', '-D', str(self.data), f'--username={SUPERUSER}',
                         f'--pwfile={self.password_file}', '--auth=scram-sha-256',
                         '--encoding=UTF8', '--no-locale'], timeout=300)
        if out.returncode != 0:
            raise PostgresError(f'initdb failed in {self.data}:\n{out.stdout}{out.stderr}')

    def start(self, timeout: float = 30.0) -> None:
        if not self.initialised():
            raise PostgresError(f'no cluster in {self.data}: call init() first')
        if self.running():
            return
        self._prepare()
        port = self.port
        sock = self.socket_dir / f'.s.PGSQL.{port}'
        if len(os.fsencode(sock)) > MAX_SOCKET_PATH:
            raise PostgresError(f'socket path {sock} is longer than {MAX_SOCKET_PATH} bytes: '
                                'use a shorter folder')
        # pg_ctl hands -o to /bin/sh, hence the shell quoting of the socket folder. Terse
        # errors and no failing statements in the log: a refused row's DETAIL would copy its
        # values (a patient's name) into postgres.log.
        options = (f"-c listen_addresses='' -k {shlex.quote(str(self.socket_dir))} -p {port} "
                   '-c log_error_verbosity=terse -c log_min_error_statement=panic')
        wait = max(1, round(timeout))
        out = self._run(['pg_ctl', 'start', '-w', '-t', str(wait), '-D', str(self.data),
                         '-l', str(self.log_file), '-o', options], timeout=wait + 30)
        if out.returncode != 0:
            raise PostgresError(f'PostgreSQL did not start in {self.folder}:\n'
                                f'{out.stdout}{out.stderr}--- {self.log_file} (end) ---\n'
                                f'{self._log_tail()}')

    def stop(self) -> None:
        if not self.running():
            return
        out = self._run(['pg_ctl', 'stop', '-m', 'fast', '-w', '-D', str(self.data)], timeout=120)
        if out.returncode != 0:
            raise PostgresError(f'PostgreSQL did not stop in {self.folder}:\n'
                                f'{out.stdout}{out.stderr}{self._log_tail()}')

    # -- use ---------------------------------------------------------------------------------

    def url(self, database: str = 'postgres') -> str:
        return (f'postgresql://{SUPERUSER}:{quote(self.password, safe="")}@/'
                f'{quote(database, safe="")}?host={quote(str(self.socket_dir), safe="")}'
                f'&port={self.port}')

    def create_database(self, name: str, template: str | None = None) -> None:
        query = sql.SQL('CREATE DATABASE {}').format(sql.Identifier(_check_name(name)))
        if template is not None:
            query += sql.SQL(' TEMPLATE {}').format(
                sql.Identifier(_check_name(template, 'template')))
        self._execute(query, f'cannot create database {name!r}')

    def has_database(self, name: str) -> bool:
        with psycopg.connect(self.url()) as conn:
            return conn.execute('SELECT 1 FROM pg_database WHERE datname = %s', (name,)).fetchone() is not None

    def drop_database(self, name: str) -> None:
        # FORCE ends other sessions on it (PostgreSQL >= 13); IF EXISTS makes a repeat harmless.
        query = sql.SQL('DROP DATABASE IF EXISTS {} WITH (FORCE)').format(
            sql.Identifier(_check_name(name)))
        self._execute(query, f'cannot drop database {name!r}')

    # -- helpers -----------------------------------------------------------------------------

    def _execute(self, query: sql.Composable, failure: str) -> None:
        # CREATE/DROP DATABASE cannot run inside a transaction block, hence autocommit.
        try:
            with psycopg.connect(self.url(), autocommit=True) as conn:
                conn.execute(query)
        except psycopg.Error as e:
            raise PostgresError(f'{failure}: {e}') from e

    def _run(self, args: list[str], timeout: float = 60) -> subprocess.CompletedProcess:
        cmd = [str(bindir() / args[0]), *args[1:]]
        if _as_root():
            _server_user()
            cmd = ['runuser', '-u', SERVER_USER, '--', *cmd]
        # Our own PG* settings (PGPORT, PGHOST, ...) are for clients, not for this cluster.
        env = {k: v for k, v in os.environ.items() if not k.startswith('PG')}
        try:
            # cwd: the server user may not be allowed into our current folder (e.g. /root).
            return subprocess.run(cmd, capture_output=True, text=True, env=env,
                                  cwd=self.folder, timeout=timeout)
        except subprocess.TimeoutExpired as e:
            raise PostgresError(f'{args[0]} {args[1]} took over {timeout:.0f} s '
                                f'in {self.folder}') from e

    def _prepare(self) -> None:
        """Make the folders and log file, owner-only and owned by whoever runs the server."""
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        if _as_root():
            # Traverse-only for others: the server user must pass through to data/ and socket/.
            self.folder.chmod(0o711)
            reach = subprocess.run(['runuser', '-u', _server_user().pw_name, '--',
                                    'test', '-x', str(self.folder)], capture_output=True)
            if reach.returncode != 0:
                raise PostgresError(
                    f'the {SERVER_USER!r} OS user cannot reach {self.folder}: a folder above it '
                    'is not traversable by others (e.g. mode 0700); choose a folder elsewhere '
                    'or make its parents traversable (chmod o+x)')
        for d in (self.data, self.socket_dir):
            d.mkdir(exist_ok=True, mode=0o700)
            self._give_to_server(d)
        if not self.log_file.exists():
            os.close(os.open(self.log_file, os.O_WRONLY | os.O_CREAT, 0o600))
        self._give_to_server(self.log_file)

    def _give_to_server(self, path: Path) -> None:
        if _as_root():
            user = _server_user()
            os.chown(path, user.pw_uid, user.pw_gid)

    def _log_tail(self, lines: int = 30) -> str:
        try:
            return '\n'.join(self.log_file.read_text(errors='replace').splitlines()[-lines:])
        except OSError as e:
            return f'(cannot read {self.log_file}: {e})'
