"""Insights: ``/playbook stats`` over 100,000 finished runs, on SQLite and on PostgreSQL.

The runs are copies of one run started through the bot, bulk-inserted into ``runs`` (the table the
statistics read), finished over the last year. Figures per database: the time of the statistics
the command computes (``insights_for``, as a team member), and of the chart drawn from them, median
of several calls. Baseline, measured in the same run on the same database: one
``SELECT count(*)`` of the team's finished runs (the floor of any statistic over them).

PostgreSQL is the server at ``PLAYBOOKS_BENCH_POSTGRES_URL`` (default
``postgresql+asyncpg://postgres@127.0.0.1:5432/postgres``); a scratch database is created there
and dropped afterwards. Without a reachable server that half is reported as not measurable.
Run: ``python -m bench.insights`` (``--quick`` for a smoke run with fewer runs).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

import storage.schema  # noqa: F401  (every table in the metadata)
from bot.domain.run import RunStatus
from bot.services import insights
from mattermost_sim.client import Person
from storage.models import RunRow
from storage.repositories.playbooks import new_id

from .seeding import insert_copies, run_tables, template_rows
from .world import World, options, playbook_document, quiet_logs, ratio_line, running_world

POSTGRES_URL = os.environ.get(
    "PLAYBOOKS_BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
GOAL_SECONDS = 0.300
REPEATS = 5


async def timed(work: Callable[[], Awaitable[Any]], repeats: int) -> float:
    """Median seconds of ``repeats`` calls (after one warm-up call)."""
    await work()
    timings = []
    for _ in range(repeats):
        began = time.perf_counter()
        await work()
        timings.append(time.perf_counter() - began)
    return statistics.median(timings)


async def seed_finished_runs(world: World, count: int) -> None:
    """``count`` finished runs of one playbook, created over the last year."""
    playbook = await world.add_playbook(playbook_document("Insights", checklists=4, items_per_checklist=5))
    async with Person(world.sim.url, "alice-token") as alice:
        await alice.execute(world.town_square_id, f'/playbook run "{playbook.title}" template')
    await world.settle()
    tables = run_tables(["runs"])
    async with world.services.transaction() as session:
        template_id = (await session.execute(select(RunRow.id))).scalar_one()
        template = await template_rows(session, template_id, tables)
    now = world.clock()
    channel = template["runs"][0]["channel_id"]

    def swaps(n: int) -> dict[str, str]:
        return {template_id: new_id(), channel: new_id()}

    def adjust(table: str, n: int, row: dict[str, Any]) -> dict[str, Any]:
        created = now - timedelta(days=365) + timedelta(seconds=n * 365 * 86_400 / count)
        row |= {
            "number": n + 2,
            "status": RunStatus.FINISHED.value,
            "created_at": created,
            "finished_at": created + timedelta(hours=1 + n % 48),
        }
        return row

    async with world.services.transaction() as session:
        await insert_copies(session, tables, template, swaps, count, adjust)


async def measure(database_url: str | None, count: int) -> tuple[float, float, float]:
    """Seed and time: (statistics, chart, baseline count) median seconds."""
    async with running_world(database_url) as world:
        began = time.monotonic()
        await seed_finished_runs(world, count)
        print(f"  seeded {count} finished runs in {time.monotonic() - began:.1f} s")
        services, team_id, alice_id = world.services, world.team.id, world.alice.id
        found = await insights.insights_for(services, team_id, user_id=alice_id)

        async def stats() -> None:
            await insights.insights_for(services, team_id, user_id=alice_id)

        async def chart() -> None:
            await insights.chart_png(found)

        async def baseline() -> None:
            async with services.transaction() as session:
                finished = RunRow.status == RunStatus.FINISHED.value
                await session.execute(select(func.count()).where(RunRow.team_id == team_id, finished))

        return (
            await timed(stats, REPEATS),
            await timed(chart, REPEATS),
            await timed(baseline, REPEATS),
        )


async def postgres_database(
    prefix: str = "bench_insights",
) -> tuple[str, Callable[[], Awaitable[None]]] | str:
    """A scratch database's URL and how to drop it, or why PostgreSQL is not available."""
    url = make_url(POSTGRES_URL)
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    try:
        admin = await asyncio.wait_for(asyncpg.connect(dsn), timeout=5)
    except (OSError, asyncpg.PostgresError, TimeoutError) as error:
        return f"PostgreSQL at {url.render_as_string()} is not reachable ({type(error).__name__})"
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()

    async def drop() -> None:
        admin = await asyncpg.connect(dsn)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()

    return url.set(database=name).render_as_string(hide_password=False), drop


async def main(quick: bool) -> None:
    """Both databases, one after the other; print the figures."""
    quiet_logs()
    count = 10_000 if quick else 100_000
    results: dict[str, tuple[float, float, float]] = {}
    print("SQLite:")
    results["SQLite"] = await measure(None, count)
    database = await postgres_database()
    if isinstance(database, str):
        print(f"PostgreSQL: not yet measurable: {database}")
    else:
        url, drop = database
        print("PostgreSQL:")
        try:
            results["PostgreSQL"] = await measure(url, count)
        finally:
            await drop()
    for name, (stats_s, chart_s, base_s) in results.items():
        verdict = "met" if stats_s < GOAL_SECONDS else "missed"
        print(
            f"{name}: statistics {stats_s * 1000:.0f} ms (goal < {GOAL_SECONDS * 1000:.0f} ms: {verdict}), "
            f"chart {chart_s * 1000:.0f} ms, baseline count {base_s * 1000:.1f} ms"
        )
    worst = max(results.items(), key=lambda item: item[1][0])
    name, (stats_s, _, base_s) = worst
    print(
        ratio_line(
            stats_s / base_s,
            f"ours/baseline seconds on {name}, the slower database, over {count} finished runs",
            f"statistics < {GOAL_SECONDS * 1000:.0f} ms on each database",
        )
    )


if __name__ == "__main__":
    asyncio.run(main(options(__doc__ or "").quick))
