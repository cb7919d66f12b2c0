"""Alembic environment: async engines, the URL from the caller, one migrator at a time.

The URL comes from ``config.attributes["url"]`` (set by :func:`storage.migrate.migrate`), else
from ``-x url=…`` on the command line, else from ``PLAYBOOKS_DATABASE_URL``.

The whole upgrade runs in one transaction that first takes a lock (an advisory lock on
PostgreSQL, the write lock on SQLite), so replicas starting together migrate once: the others
wait, then find the schema at head.

SQLite migrations run in batch mode (SQLite cannot alter most constraints in place) and with
foreign keys off, as SQLite requires while batch mode copies and drops tables: with them on,
dropping the old copy of a parent table would cascade into its children.
"""

from __future__ import annotations

import asyncio
import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from storage.database import parse_database_url
from storage.schema import metadata

MIGRATION_LOCK_KEY = 0x706C_6179_626F_6F6B  # "playbook" in ASCII; any constant 64-bit key will do.

config = context.config
target_metadata = metadata

if config.config_file_name is not None and config.attributes.get("configure_logging", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def database_url() -> str:
    """The URL to migrate, from the caller, ``-x url=…`` or the environment."""
    url = config.attributes.get("url") or context.get_x_argument(as_dictionary=True).get("url")
    url = url or os.environ.get("PLAYBOOKS_DATABASE_URL")
    if not url:
        raise SystemExit("no database URL: pass -x url=… or set PLAYBOOKS_DATABASE_URL")
    return str(url)


def run_migrations_offline() -> None:
    """Emit the migration SQL without a database (``alembic upgrade head --sql``)."""
    url = parse_database_url(database_url())
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=url.get_backend_name() == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def do_run_migrations(connection: Connection) -> None:
    """Run the pending migrations on ``connection`` in one transaction, one migrator at a time.

    The lock comes first; alembic reads the current revision only after it, so a migrator that
    waited finds the work done. Both backends have transactional DDL, so a failed upgrade
    leaves the schema as it was.
    """
    is_sqlite = connection.dialect.name == "sqlite"
    if is_sqlite:
        # Take SQLite's write lock now (the driver would begin only at the first INSERT).
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=is_sqlite,
        transactional_ddl=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()


async def run_async_migrations() -> None:
    """Connect with a throwaway engine (no pragmas, no pool) and migrate."""
    engine = create_async_engine(parse_database_url(database_url()), poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(do_run_migrations)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    asyncio.run(run_async_migrations())
