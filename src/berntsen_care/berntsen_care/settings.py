"""The service's settings, and the checks that keep it from starting insecurely."""
from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

MIN_SECRET_LENGTH = 32
# Secrets seen in examples and tutorials: a service started with one is open to anyone.
KNOWN_SECRETS = {'secret', 'changeme', 'change-me', 'change_me', 'default', 'password',
                 'berntsen', 'development', 'dev', 'test', 'insecure', 'xxx'}
MAX_ROBOT_BODY = 1024 * 1024      # bytes; a week of sessions is about 60 kB
MAX_FORM_BODY = 64 * 1024         # bytes; a programme is about 1 kB


class SettingsError(ValueError):
    """A setting the service refuses to start with; the message says what to do."""


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret: str
    idle_timeout: float = 30 * 60        # s without a request before a staff session ends
    session_lifetime: float = 8 * 3600   # s: a staff session ends after a working day at most
    secure_cookies: bool = True          # False only when serving plain HTTP on localhost
    login_attempts_per_minute: int = 5   # per user name, and four times that per address

    def __post_init__(self):
        check_secret(self.secret)
        if not self.database_url:
            raise SettingsError('no database: give --database URL or BERNTSEN_CARE_DATABASE')


def check_secret(secret: str | None) -> None:
    if not secret or not secret.strip():
        raise SettingsError('the service secret is empty: set BERNTSEN_CARE_SECRET or '
                            '--secret-file to at least 32 random characters '
                            '(e.g. python3 -c "import secrets; print(secrets.token_urlsafe(32))")')
    folded = secret.strip().lower()
    if folded in KNOWN_SECRETS or len(set(folded)) < 8:
        raise SettingsError('the service secret is a default or example value: '
                            'make a random one of at least 32 characters')
    if len(secret) < MIN_SECRET_LENGTH:
        raise SettingsError(f'the service secret has {len(secret)} characters; it needs at least '
                            f'{MIN_SECRET_LENGTH} random ones')


def read_secret_file(path: str | os.PathLike) -> str:
    path = Path(path)
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding='utf-8').strip()
    except OSError as exc:
        raise SettingsError(f'cannot read the secret file {path}: {exc.strerror or exc}') from exc
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SettingsError(f'the secret file {path} is readable by others: chmod 600 {path}')
    return text
