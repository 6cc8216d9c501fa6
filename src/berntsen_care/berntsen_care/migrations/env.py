"""Alembic environment: the URL comes from the caller (`berntsen_care.schema.upgrade`)."""
from alembic import context
from sqlalchemy import create_engine, pool

url = context.config.get_main_option('sqlalchemy.url')
engine = create_engine(url, poolclass=pool.NullPool)
with engine.connect() as connection:
    context.configure(connection=connection, transaction_per_migration=True)
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
