"""Engine and session set-up for SQLite (aiosqlite, the default) and PostgreSQL (asyncpg).

SQLite gets its pragmas on every new connection: WAL so readers never block the writer,
``synchronous=NORMAL`` (durable at every checkpoint, about three times faster per commit than
``FULL`` under WAL), foreign keys on (SQLite leaves them off by default) and a busy timeout so a
writer waits for the lock instead of failing at once.

SQLite transactions keep the driver's default behaviour: a transaction begins at the first
write, and reads before it see the latest committed data. That matches PostgreSQL's default
READ COMMITTED level, so the repositories' compare-and-set statements behave the same on both
backends, and a stale read can never turn into SQLite's unrecoverable "upgrade a read snapshot
to a write lock" failure.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import ConnectionPoolEntry

from storage.run_cache import CACHE_KEY, RunCache, note_connected

SQLITE_BUSY_TIMEOUT_MS = 5_000
"""How long a SQLite writer waits for another writer's lock before giving up."""

POSTGRES_POOL_SIZE = 5
POSTGRES_MAX_OVERFLOW = 10
POSTGRES_POOL_TIMEOUT_S = 10.0
POSTGRES_POOL_RECYCLE_S = 1_800
"""Connections are replaced after half an hour, before proxies and firewalls drop them."""

SUPPORTED_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")


class UnsupportedDatabaseError(ValueError):
    """The database URL names a backend or driver the service does not support."""


def parse_database_url(url: str | URL) -> URL:
    """Parse ``url`` and check that it names a supported async driver.

    Raises:
        UnsupportedDatabaseError: for anything but ``sqlite+aiosqlite`` or ``postgresql+asyncpg``.
    """
    try:
        parsed = make_url(url)
    except Exception as error:  # SQLAlchemy raises ArgumentError, ValueError or KeyError
        raise UnsupportedDatabaseError(f"not a database URL: {error}") from error
    if parsed.drivername not in SUPPORTED_DRIVERS:
        raise UnsupportedDatabaseError(
            f"unsupported database driver {parsed.drivername!r}; use one of: {', '.join(SUPPORTED_DRIVERS)}"
        )
    return parsed


def create_engine(url: str | URL, *, echo: bool = False) -> AsyncEngine:
    """Create the service's async engine for ``url``.

    SQLite connections get the pragmas described in this module's docstring; PostgreSQL gets a
    bounded, pre-pinged pool.
    """
    parsed = parse_database_url(url)
    options: dict[str, Any] = {"echo": echo}
    if parsed.get_backend_name() == "postgresql":
        options |= {
            "pool_size": POSTGRES_POOL_SIZE,
            "max_overflow": POSTGRES_MAX_OVERFLOW,
            "pool_timeout": POSTGRES_POOL_TIMEOUT_S,
            "pool_recycle": POSTGRES_POOL_RECYCLE_S,
            "pool_pre_ping": True,
        }
    engine = create_async_engine(parsed, **options)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine.sync_engine, "connect", _set_sqlite_pragmas)
    return engine


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions bound to ``engine``.

    Objects stay usable after commit (``expire_on_commit=False``): repositories hand out domain
    objects, never live rows, so there is nothing to refresh. The factory's sessions share one
    :class:`~storage.run_cache.RunCache` of this database's runs.
    """
    return async_sessionmaker(
        engine, expire_on_commit=False, sync_session_class=ServiceSession, info={CACHE_KEY: RunCache()}
    )


class ServiceSession(Session):
    """The service's sessions, which note when they first take a connection (for the run cache)."""


event.listen(ServiceSession, "after_begin", note_connected)


def _set_sqlite_pragmas(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()
