"""The run cache: a cached run is handed out only while the stored run is still at its revision,
also when another process (another session factory on the same database) changed it."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.domain.run import ItemState, Run, RunChecklist, RunItem, RunStatus
from storage import database
from storage.repositories.runs import RunRepository
from storage.run_cache import RunCache

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def a_run() -> Run:
    items = (RunItem(id="i1", title="Page the on-call"), RunItem(id="i2", title="Open a bridge"))
    return Run(
        id="run-1",
        playbook_id="",
        team_id="team-1",
        number=1,
        name="Database down",
        owner_id="alice",
        reporter_id="alice",
        channel_id="channel-1",
        status=RunStatus.IN_PROGRESS,
        created_at=START,
        participant_ids=("alice",),
        checklists=(RunChecklist(id="c1", title="Triage", items=items),),
    )


def statements_on(engine: AsyncEngine) -> list[str]:
    seen: list[str] = []
    event.listen(engine.sync_engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
    return seen


async def test_a_cached_run_follows_changes_made_through_another_factory(
    migrated_engine: AsyncEngine,
) -> None:
    here, elsewhere = database.session_factory(migrated_engine), database.session_factory(migrated_engine)
    async with here() as session, session.begin():
        await RunRepository(session).add(a_run())
    async with here() as session:
        first = await RunRepository(session).get("run-1")
    assert first is not None
    statements = statements_on(migrated_engine)
    async with here() as session:
        again = await RunRepository(session).get_by_channel("channel-1")
    assert again is first
    assert len(statements) == 1  # only the revision check

    checked = replace(first.checklists[0].items[0], state=ItemState.CLOSED, revision=1)
    async with elsewhere() as session, session.begin():
        assert await RunRepository(session).save_item_if_revision("run-1", checked, 0)
    async with here() as session:
        fresh = await RunRepository(session).get("run-1")
    assert fresh is not None
    assert fresh.checklists[0].items[0].state is ItemState.CLOSED
    assert fresh.revision == first.revision + 1


async def test_a_session_that_wrote_reads_its_own_rows_and_caches_nothing(
    migrated_engine: AsyncEngine,
) -> None:
    sessions = database.session_factory(migrated_engine)
    async with sessions() as session, session.begin():
        await RunRepository(session).add(a_run())
    async with sessions() as session:
        stored = await RunRepository(session).get("run-1")
    assert stored is not None
    renamed = replace(stored, name="Renamed, then rolled back", revision=stored.revision + 1)
    async with sessions() as session, session.begin():
        runs = RunRepository(session)
        await runs.save(renamed)
        seen = await runs.get("run-1")
        assert seen is not None
        assert seen.name == "Renamed, then rolled back"
        await session.rollback()
    async with sessions() as session:
        after = await RunRepository(session).get("run-1")
    assert after is not None
    assert after.name == "Database down"


async def test_missing_runs_are_none_and_posts_are_remembered(migrated_engine: AsyncEngine) -> None:
    sessions = database.session_factory(migrated_engine)
    async with sessions() as session, session.begin():
        runs = RunRepository(session)
        assert await runs.get("nope") is None
        assert await runs.get_by_channel("nowhere") is None
        await runs.add(a_run())
        await runs.set_post("run-1", "overview", "post-1")
    statements = statements_on(migrated_engine)
    async with sessions() as session:
        runs = RunRepository(session)
        assert not await runs.has_posts("run-1", ["overview", "checklist:c1"])
        assert await runs.has_posts("run-1", ["overview"])
    assert len(statements) == 1  # the second answer came from what the first read


async def test_checks_asked_together_share_one_query_that_began_after_them() -> None:
    cache = RunCache()
    began: list[int] = []
    release = asyncio.Event()

    async def query() -> tuple[str, int, str | None]:
        began.append(len(began))
        await release.wait()
        return ("run-1", len(began), None)

    first = asyncio.create_task(cache.head("k", query))
    await asyncio.sleep(0)
    # Asked while the first query runs: these must not take its answer, but share the next.
    later = [asyncio.create_task(cache.head("k", query)) for _ in range(5)]
    await asyncio.sleep(0)
    release.set()
    answers = await asyncio.gather(first, *later)
    assert began == [0, 1]
    assert answers[0] == ("run-1", 1, None)
    assert all(answer == ("run-1", 2, None) for answer in answers[1:])


def test_the_cache_keeps_the_most_recently_used_runs() -> None:
    cache = RunCache(capacity=2)
    runs = [replace(a_run(), id=f"run-{n}") for n in range(3)]
    for run in runs:
        cache.remember(run)
    assert cache.run("run-0", 0, "") is None
    assert cache.run("run-2", 0, "") is runs[2]
    assert cache.run("run-2", 1, "") is None  # another revision
    assert len(cache) == 2
