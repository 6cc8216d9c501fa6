"""Versioned schema migrations with alembic (`migrations/versions/`, one file per version)."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, pool

MIGRATIONS = Path(__file__).resolve().parent / 'migrations'


def _sqlalchemy_url(url: str) -> str:
    """psycopg 3 through SQLAlchemy: 'postgresql+psycopg://'."""
    for prefix in ('postgresql://', 'postgres://'):
        if url.startswith(prefix):
            return 'postgresql+psycopg://' + url[len(prefix):]
    return url


def _config(url: str) -> Config:
    config = Config()
    config.set_main_option('script_location', str(MIGRATIONS))
    # ConfigParser interpolation would read a '%' of a quoted password as a reference
    config.set_main_option('sqlalchemy.url', _sqlalchemy_url(url).replace('%', '%%'))
    return config


def upgrade(url: str, revision: str = 'head') -> None:
    command.upgrade(_config(url), revision)


def head() -> str:
    return ScriptDirectory.from_config(_config('postgresql://')).get_current_head()


def current(url: str) -> str | None:
    engine = create_engine(_sqlalchemy_url(url), poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
