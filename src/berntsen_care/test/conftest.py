"""A real PostgreSQL server for the care service's tests: one private cluster per test run,
the schema migrated once into a template, a fresh database copied from it for each test."""
import itertools
import shutil
import tempfile
from pathlib import Path

import pytest

TEAM_A, TEAM_B = 'Heimetenesta Nord', 'Heimetenesta Sør'
PASSWORD = 'correct horse battery staple'
_numbers = itertools.count()


@pytest.fixture(scope='session')
def pg():
    from berntsen_care.pg_cluster import PostgresCluster
    from berntsen_care.schema import upgrade

    # not tmp_path: as root the server runs as `postgres`, which cannot enter pytest's folders
    folder = Path(tempfile.mkdtemp(prefix='care-test-'))
    cluster = PostgresCluster(folder)
    cluster.init()
    cluster.start()
    cluster.create_database('care_template')
    upgrade(cluster.url('care_template'))
    yield cluster
    cluster.stop()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def database(pg):
    """The URL of a fresh, migrated database with two teams, their staff, patients and robots."""
    from berntsen_care import admin

    name = f'care_{next(_numbers)}'
    pg.create_database(name, template='care_template')
    url = pg.url(name)
    tokens = {}
    for team, suffix in ((TEAM_A, 'a'), (TEAM_B, 'b')):
        admin.add_team(url, team)
        admin.add_staff(url, f'nurse-{suffix}', PASSWORD, 'nurse', team, language='en')
        admin.add_staff(url, f'physio-{suffix}', PASSWORD, 'physiotherapist', team)
        admin.add_staff(url, f'admin-{suffix}', PASSWORD, 'administrator', team)
        admin.add_patient(url, f'p-{suffix}1', f'Kari Nordmann {suffix.upper()}', team)
        tokens[suffix] = admin.add_robot(url, f'robot-{suffix}', team)
        admin.assign(url, f'robot-{suffix}', f'p-{suffix}1')
    yield url, tokens
    pg.drop_database(name)


SECRET = 'test-secret-' + 'k7Q2vX9mZ4pL8wR3nB6tY1cH5fJ0dS2a'


class RunningService:
    """The care service served by uvicorn in a thread, on a free port of this machine."""

    def __init__(self, url: str, **settings):
        import socket
        import threading

        import uvicorn

        from berntsen_care.settings import Settings
        from berntsen_care.web import CareApp

        self.care = CareApp(Settings(database_url=url, secret=SECRET, secure_cookies=False,
                                     **settings))
        self._socket = socket.socket()
        self._socket.bind(('127.0.0.1', 0))
        self.base = f'http://127.0.0.1:{self._socket.getsockname()[1]}'
        self._server = uvicorn.Server(uvicorn.Config(self.care.asgi(), log_level='warning',
                                                     ws_max_size=64 * 1024))
        self._thread = threading.Thread(target=self._server.run, kwargs={'sockets': [self._socket]},
                                        daemon=True)
        self._thread.start()
        import time
        deadline = time.monotonic() + 20
        while not self._server.started:
            assert time.monotonic() < deadline, 'the care service did not start'
            time.sleep(0.02)

    def stop(self):
        self._server.should_exit = True
        self._thread.join(10)
        self._socket.close()


@pytest.fixture
def service(database):
    url, tokens = database
    running = RunningService(url)
    running.tokens, running.database_url = tokens, url
    yield running
    running.stop()
