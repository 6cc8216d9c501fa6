"""`berntsen care ...` against a real PostgreSQL: migrations, administration with names and
passwords read from standard input (never the command line), and a service that will not
start on an old schema or a default secret."""
import io
import stat

import psycopg
import pytest

from berntsen_bringup.cli import main
from conftest import SECRET

pytestmark = pytest.mark.slow


@pytest.fixture
def empty_database(pg):
    pg.create_database('care_cli')
    yield pg.url('care_cli')
    pg.drop_database('care_cli')


def care(*args, stdin='', monkeypatch=None):
    if monkeypatch is not None:
        monkeypatch.setattr('sys.stdin', io.StringIO(stdin))
    return main(['care', *args])


def test_migrate_then_administer_from_the_command_line(empty_database, monkeypatch, tmp_path, capsys):
    url = empty_database
    monkeypatch.setenv('BERNTSEN_CARE_SECRET', SECRET)
    assert care('serve', '--database', url) == 1
    assert 'berntsen care migrate' in capsys.readouterr().err, 'an old schema is refused'

    assert care('migrate', '--database', url) == 0
    from berntsen_care.schema import current, head
    assert current(url) == head()
    assert care('migrate', '--database', url) == 0, 'safe to run twice'

    assert care('add-team', 'Heimetenesta Nord', '--database', url) == 0
    assert care('add-user', 'kari.n', '--role', 'nurse', '--team', 'Heimetenesta Nord',
                '--database', url, stdin='a long enough password\n', monkeypatch=monkeypatch) == 0
    assert care('add-user', 'ola', '--role', 'nurse', '--team', 'Heimetenesta Nord',
                '--database', url, stdin='short\n', monkeypatch=monkeypatch) == 1
    assert 'at least 12 characters' in capsys.readouterr().err
    assert care('add-patient', 'p-7f3a91', '--team', 'Heimetenesta Nord', '--database', url,
                stdin='Kari Nordmann\n', monkeypatch=monkeypatch) == 0
    assert care('add-patient', 'p-7f3a91', '--team', 'Heimetenesta Nord', '--database', url,
                stdin='Kari Nordmann\n', monkeypatch=monkeypatch) == 1
    assert 'already exists' in capsys.readouterr().err
    token_file = tmp_path / 'robot-03.token'
    assert care('add-robot', 'robot-03', '--team', 'Heimetenesta Nord', '--token-file',
                str(token_file), '--database', url) == 0
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert token_file.read_text().startswith('robot-03.')
    assert care('assign', 'robot-03', 'p-7f3a91', '--database', url) == 0
    assert care('assign', 'robot-03', 'p-nobody', '--database', url) == 1
    assert care('revoke-robot', 'robot-03', '--database', url) == 0
    assert care('add-team', 'Team', '--database', url) == 0
    assert care('add-user', 'x', '--role', 'nurse', '--team', 'No such team', '--database', url,
                stdin='a long enough password\n', monkeypatch=monkeypatch) == 1
    assert "no team called 'No such team'" in capsys.readouterr().err

    with psycopg.connect(url) as conn:
        assert conn.execute('SELECT name FROM patients').fetchall() == [('Kari Nordmann',)]
        assert conn.execute('SELECT revoked IS NOT NULL FROM robots').fetchone() == (True,)
        [(password_hash,)] = conn.execute('SELECT password_hash FROM staff').fetchall()
    assert password_hash.startswith('$argon2id$')


def test_the_service_will_not_start_on_a_default_secret(empty_database, monkeypatch, capsys):
    monkeypatch.setenv('BERNTSEN_CARE_SECRET', 'changeme')
    assert care('serve', '--database', empty_database) == 1
    assert 'default or example value' in capsys.readouterr().err
    monkeypatch.delenv('BERNTSEN_CARE_SECRET')
    assert care('serve', '--database', empty_database) == 1
    assert 'the service secret is empty' in capsys.readouterr().err


def test_the_local_cluster_starts_in_a_folder_it_makes(monkeypatch, capsys):
    import secrets
    import shutil
    from pathlib import Path

    base = Path('/tmp') / f'care-cli-{secrets.token_hex(4)}'   # made by the command, as a user's would be
    monkeypatch.setenv('BERNTSEN_CARE_HOME', str(base / 'state' / 'care'))
    try:
        assert care('db', 'start') == 0
        assert 'database berntsen_care' in capsys.readouterr().out
        assert care('db', 'start') == 0, 'safe to run twice'
        capsys.readouterr()
        assert care('db', 'status') == 0 and capsys.readouterr().out.startswith('running')
    finally:
        care('db', 'stop')
        shutil.rmtree(base, ignore_errors=True)
