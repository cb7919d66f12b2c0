"""Database fixtures: every storage test runs on SQLite and, when a server is configured, PostgreSQL.

``database_url`` gives each test an empty database of its own: a temporary SQLite file, or a
freshly created PostgreSQL database on the server at ``PLAYBOOKS_TEST_POSTGRES_URL`` (dropped
afterwards). ``migrated_engine`` and ``session_factory`` bring it to the latest schema first.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage import database
from storage.migrate import migrate

POSTGRES_URL_ENV = "PLAYBOOKS_TEST_POSTGRES_URL"
CONNECT_TIMEOUT_S = 5.0


def sqlite_url(path: Path) -> str:
    """The aiosqlite URL of a database file."""
    return f"sqlite+aiosqlite:///{path}"


def _asyncpg_dsn(url: URL) -> str:
    """A libpq-style DSN asyncpg accepts, from a SQLAlchemy URL."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


async def _admin_connection(server: URL) -> asyncpg.Connection:
    try:
        return await asyncpg.connect(_asyncpg_dsn(server), timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError, asyncpg.PostgresError) as error:
        problem = repr(error)
    pytest.fail(
        f"{POSTGRES_URL_ENV} is set to {server.render_as_string()} but the server is unreachable: "
        f"{problem}. Start PostgreSQL there, or unset {POSTGRES_URL_ENV} to skip the PostgreSQL runs.",
        pytrace=False,
    )


@asynccontextmanager
async def _fresh_postgres_database(server: URL) -> AsyncIterator[str]:
    name = f"playbooks_test_{uuid.uuid4().hex[:16]}"
    admin = await _admin_connection(server)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        admin = await _admin_connection(server)
        try:
            # FORCE ends connections a failing test may have left behind.
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """The URL of an empty database of this test's own, on each backend in turn."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path / "playbooks.sqlite")
        return
    server = os.environ.get(POSTGRES_URL_ENV)
    if not server:
        pytest.skip(f"{POSTGRES_URL_ENV} is not set")
    async with _fresh_postgres_database(make_url(server)) as url:
        yield url


@pytest.fixture
async def migrated_engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on ``database_url`` after the migrations have run."""
    await migrate(database_url)
    engine = database.create_engine(database_url)
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
def session_factory(migrated_engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions on the migrated database."""
    return database.session_factory(migrated_engine)


def fresh_postgres_database(server: URL) -> AbstractAsyncContextManager[str]:
    """An empty PostgreSQL database on ``server`` for the body of a ``with``, dropped after; its URL."""
    return _fresh_postgres_database(server)
