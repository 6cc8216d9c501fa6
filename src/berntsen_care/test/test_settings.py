"""The service refuses to start on a default, empty or short secret, or a shared secret file."""
import pytest

from berntsen_care.settings import Settings, SettingsError, read_secret_file


@pytest.mark.parametrize('secret, message', [
    ('', 'empty'), ('   ', 'empty'), ('changeme', 'default or example'), ('secret', 'default or example'),
    ('x' * 40, 'default or example'), ('short-but-random-9f3', 'it needs at least 32'),
])
def test_a_default_empty_or_short_secret_is_refused(secret, message):
    with pytest.raises(SettingsError, match=message):
        Settings(database_url='postgresql:///care', secret=secret)


def test_a_random_secret_is_taken_and_a_database_is_needed():
    secret = 'G7dK2pQ9xV4mT8wZ1rB5nC3hJ6fL0sYa'
    assert Settings(database_url='postgresql:///care', secret=secret).secret == secret
    with pytest.raises(SettingsError, match='no database'):
        Settings(database_url='', secret=secret)


def test_a_secret_file_others_can_read_is_refused(tmp_path):
    path = tmp_path / 'secret'
    path.write_text('G7dK2pQ9xV4mT8wZ1rB5nC3hJ6fL0sYa\n')
    path.chmod(0o644)
    with pytest.raises(SettingsError, match='readable by others: chmod 600'):
        read_secret_file(path)
    path.chmod(0o600)
    assert read_secret_file(path) == 'G7dK2pQ9xV4mT8wZ1rB5nC3hJ6fL0sYa'
    with pytest.raises(SettingsError, match='cannot read'):
        read_secret_file(tmp_path / 'missing')
