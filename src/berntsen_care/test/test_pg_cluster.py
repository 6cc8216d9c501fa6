"""The private PostgreSQL cluster: init, start, use, restart, and that it is closed to others."""
import os
import re
import shutil
import stat
import tempfile
from pathlib import Path

import psycopg
import pytest

from berntsen_care.pg_cluster import PostgresCluster, PostgresError

pytestmark = pytest.mark.slow


@pytest.fixture(scope='module')
def cluster():
    # Not pytest's tmp_path: as root, the server runs as `postgres`, which cannot pass through
    # /tmp/pytest-of-root (0700). A mkdtemp folder directly in /tmp is reachable once the module
    # makes it 0711, and keeps the socket path short.
    folder = Path(tempfile.mkdtemp(prefix='pg-cluster-test-'))
    pg = PostgresCluster(folder)
    pg.init()
    pg.start()
    yield pg
    pg.stop()
    shutil.rmtree(folder)


def test_init_and_start_are_idempotent(cluster):
    assert cluster.initialised() and cluster.running()
    cluster.init()
    cluster.start()
    assert cluster.running()


def test_database_table_round_trip(cluster):
    cluster.create_database('care test')    # a name that needs quoting
    try:
        with psycopg.connect(cluster.url('care test')) as conn:
            conn.execute('CREATE TABLE alert (id serial PRIMARY KEY, text text)')
            conn.execute('INSERT INTO alert (text) VALUES (%s), (%s)', ('fall', 'Æøå ok'))
            rows = conn.execute('SELECT text FROM alert ORDER BY id').fetchall()
        assert rows == [('fall',), ('Æøå ok',)]
    finally:
        cluster.drop_database('care test')
    with psycopg.connect(cluster.url()) as conn:
        assert not conn.execute("SELECT 1 FROM pg_database WHERE datname = 'care test'").fetchone()


def test_template_and_bad_names(cluster):
    cluster.create_database('care_template')
    cluster.create_database('care_copy', template='care_template')
    cluster.drop_database('care_copy')
    cluster.drop_database('care_template')
    cluster.drop_database('care_template')      # already gone: no error
    for bad in ['', 'x' * 64, 'a\x00b']:
        with pytest.raises(PostgresError, match='bad database name'):
            cluster.create_database(bad)
    with pytest.raises(PostgresError, match='bad template name'):
        cluster.create_database('ok', template='')
    with pytest.raises(PostgresError, match='cannot create database'):
        cluster.create_database('postgres')     # exists


def test_restart_keeps_data_and_port(cluster):
    cluster.create_database('survivor')
    with psycopg.connect(cluster.url('survivor')) as conn:
        conn.execute('CREATE TABLE t (v int)')
        conn.execute('INSERT INTO t VALUES (42)')
    port = cluster.port
    # A second object on the same folder finds the port and password the first one stored.
    other = PostgresCluster(cluster.folder)
    assert other.initialised() and other.running() and other.port == port
    other.stop()
    assert not other.running() and not cluster.running()
    other.stop()                                # not running: no-op
    other.start()
    assert other.port == port and cluster.running()
    with psycopg.connect(cluster.url('survivor')) as conn:
        assert conn.execute('SELECT v FROM t').fetchall() == [(42,)]
    cluster.stop()
    cluster.start()
    assert cluster.port == port
    cluster.drop_database('survivor')


def test_wrong_password_is_refused(cluster):
    url = cluster.url().replace(cluster.password, 'not-the-password')
    with pytest.raises(psycopg.OperationalError, match='password authentication failed'):
        psycopg.connect(url)


def test_nothing_listens_on_tcp(cluster):
    with psycopg.connect(cluster.url()) as conn:
        assert conn.execute('SHOW listen_addresses').fetchone() == ('',)
    for host in ('127.0.0.1', '::1'):
        with pytest.raises(psycopg.OperationalError):
            psycopg.connect(host=host, port=cluster.port, user='berntsen',
                            password=cluster.password, dbname='postgres', connect_timeout=3)


def test_files_are_owner_only(cluster):
    def mode(path):
        return stat.S_IMODE(path.stat().st_mode)
    assert mode(cluster.password_file) == 0o600
    assert mode(cluster.port_file) == 0o600
    assert mode(cluster.log_file) == 0o600
    assert mode(cluster.data) == 0o700
    assert mode(cluster.socket_dir) == 0o700
    assert cluster.log_file.stat().st_size > 0  # the server logs there


@pytest.mark.skipif(os.geteuid() != 0, reason='only root hands the server to another user')
def test_unreachable_folder_is_a_clear_error(tmp_path):
    # tmp_path lies under /tmp/pytest-of-root, which is 0700: `postgres` cannot get in.
    folder = tmp_path / 'pg'
    with pytest.raises(PostgresError, match=re.escape(f'cannot reach {folder}')):
        PostgresCluster(folder).init()


def test_start_before_init_is_a_clear_error(tmp_path):
    with pytest.raises(PostgresError, match='call init'):
        PostgresCluster(tmp_path / 'pg').start()
    assert not PostgresCluster(tmp_path / 'pg').running()


def test_a_refused_rows_values_stay_out_of_the_servers_log(cluster):
    cluster.create_database('care_log')
    try:
        with psycopg.connect(cluster.url('care_log')) as conn:
            conn.execute('CREATE TABLE patients (name text CHECK (length(name) < 5))')
            conn.commit()
            with pytest.raises(psycopg.errors.CheckViolation):
                conn.execute('INSERT INTO patients VALUES (%s)', ('Kari Nordmann',))
    finally:
        cluster.drop_database('care_log')
    log = (cluster.folder / 'postgres.log').read_text(errors='replace')
    assert 'violates check constraint' in log and 'Kari Nordmann' not in log
