"""Migrations: from an empty database to head, idempotent, concurrent-safe, and in step with the models."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from storage import database
from storage.database import UnsupportedDatabaseError
from storage.migrate import alembic_config, migrate
from storage.schema import metadata

# Every table the models declare, plus alembic's own: a table missing from the migrations, or a
# migration creating a table no model declares, shows up here.
EXPECTED_TABLES = {*metadata.tables, "alembic_version"}


def _head() -> str:
    head = ScriptDirectory.from_config(alembic_config("sqlite+aiosqlite://")).get_current_head()
    assert head is not None
    return head


def _schema_state(connection: Connection) -> tuple[set[str], str | None, list[Any]]:
    tables = set(inspect(connection).get_table_names())
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return tables, context.get_current_revision(), compare_metadata(context, metadata)


async def _inspect(url: str) -> tuple[set[str], str | None, list[Any]]:
    engine = database.create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_schema_state)
    finally:
        await engine.dispose()


async def test_migrate_builds_the_whole_schema_from_empty_with_no_drift(database_url: str) -> None:
    await migrate(database_url)

    tables, revision, differences = await _inspect(database_url)
    assert tables == EXPECTED_TABLES
    assert revision == _head()
    assert differences == [], "the models and the migrations disagree; write a migration"


async def test_migrate_is_a_no_op_when_already_at_head(database_url: str) -> None:
    await migrate(database_url)
    await migrate(database_url)

    tables, revision, _ = await _inspect(database_url)
    assert tables == EXPECTED_TABLES
    assert revision == _head()


async def _migrate_in_a_new_process(url: str) -> tuple[int, bytes]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "import asyncio, sys; from storage.migrate import migrate; asyncio.run(migrate(sys.argv[1]))",
        url,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        output, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    assert process.returncode is not None
    return process.returncode, output


async def test_replicas_migrating_at_once_apply_the_schema_once(database_url: str) -> None:
    results = await asyncio.gather(*(_migrate_in_a_new_process(database_url) for _ in range(2)))

    assert [code for code, _ in results] == [0, 0], [output.decode() for _, output in results]
    tables, revision, differences = await _inspect(database_url)
    assert tables == EXPECTED_TABLES
    assert revision == _head()
    assert differences == []


async def test_concurrent_migrations_in_one_process_take_turns(database_url: str) -> None:
    await asyncio.wait_for(asyncio.gather(*(migrate(database_url) for _ in range(3))), timeout=60)

    tables, revision, _ = await _inspect(database_url)
    assert tables == EXPECTED_TABLES
    assert revision == _head()


async def test_downgrade_to_empty_and_upgrade_again(database_url: str) -> None:
    await migrate(database_url)
    await asyncio.to_thread(command.downgrade, alembic_config(database_url), "base")

    tables, revision, _ = await _inspect(database_url)
    assert tables == {"alembic_version"}
    assert revision is None

    await migrate(database_url)
    tables, revision, _ = await _inspect(database_url)
    assert tables == EXPECTED_TABLES


@pytest.mark.parametrize("url", ["mysql+aiomysql://db/x", "sqlite:///sync.sqlite", "not a url"])
async def test_unsupported_urls_are_refused_clearly(url: str) -> None:
    with pytest.raises(UnsupportedDatabaseError):
        await migrate(url)
