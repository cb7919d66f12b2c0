"""Scale: 10,000 runs in progress, each with a status-update reminder.

The runs are copies of one run started through the bot (its rows bulk-inserted, see
:mod:`bench.seeding`), each in its own channel of the simulator, their reminders due one after
another over an hour (10,000 an hour: 2.8 a second). The bot then starts in a fresh process with
a clock that runs at the real pace from a chosen moment, so reminders fall due while we watch.
Figures: resident memory after start-up and at the end, start-up time, and how late each
reminder reached Mattermost (p50, p99) over the observed window.
Baseline, measured in the same run: the same bot starting on an empty database.

Run: ``python -m bench.scale`` (``--quick`` for a smoke run with fewer runs).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

import storage.schema  # noqa: F401  (every table in the metadata)
from bot.app import BotApp
from bot.clock import FakeClock
from mattermost_sim import Simulator
from mattermost_sim.seed import load_seed
from mattermost_sim.state import Event
from storage.models import RunRow
from storage.repositories.playbooks import new_id

from .seeding import insert_copies, run_tables, template_rows
from .world import SEED, World, bot_settings, options, percentile, playbook_document, quiet_logs, ratio_line

LEAD_SECONDS = 15.0
"""From the moment the measured bot is launched until the first observed reminder falls due."""
SPACING = timedelta(seconds=3600 / 10_000)
GOAL_MEMORY_MB = 250
GOAL_START_SECONDS = 5.0
GOAL_LATENESS = 1.0


@dataclass(frozen=True)
class Anchor:
    """``fake`` on the bot's clock is ``wall`` (``time.time()``); the clock then runs at real pace."""

    fake: datetime
    wall: float

    def now(self) -> datetime:
        """The bot's current time."""
        return self.fake + timedelta(seconds=time.time() - self.wall)

    def wall_of(self, moment: datetime) -> float:
        """The wall time at which the bot's clock shows ``moment``."""
        return self.wall + (moment - self.fake).total_seconds()


@dataclass
class BotFigures:
    """What the measured bot process reports."""

    start_seconds: float
    rss_after_start_mb: float
    peak_rss_mb: float


def _memory_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def _serve(sim_url: str, database_url: str, anchor: Anchor, until_wall: float) -> BotFigures:
    quiet_logs()
    bot = BotApp(bot_settings(sim_url, database_url), clock=anchor.now)
    began = time.monotonic()
    await bot.start()
    started = time.monotonic() - began
    after_start = _memory_mb("VmRSS")
    try:
        await asyncio.sleep(max(0.0, until_wall - time.time()))
    finally:
        await bot.stop()
    return BotFigures(started, after_start, _memory_mb("VmHWM"))


def _serve_in_child(
    sim_url: str, database_url: str, anchor: Anchor, until_wall: float, out: multiprocessing.Queue[BotFigures]
) -> None:
    out.put(asyncio.run(_serve(sim_url, database_url, anchor, until_wall)))


async def run_bot_elsewhere(sim_url: str, database_url: str, anchor: Anchor, until_wall: float) -> BotFigures:
    """Start the bot in a fresh process and serve until ``until_wall``; its figures."""
    context = multiprocessing.get_context("spawn")
    out: multiprocessing.Queue[BotFigures] = context.Queue()
    child = context.Process(target=_serve_in_child, args=(sim_url, database_url, anchor, until_wall, out))
    child.start()
    try:
        deadline = until_wall + 60
        while out.empty():
            if time.time() > deadline or (not child.is_alive() and out.empty()):
                raise RuntimeError("the bot process did not report")
            await asyncio.sleep(0.1)
        return out.get()
    finally:
        child.join(timeout=10)
        if child.is_alive():
            child.kill()


async def seed(
    sim: Simulator, workdir: Path, runs: int, first_due: datetime
) -> tuple[str, dict[str, datetime]]:
    """A database with ``runs`` runs in progress; returns its URL and each run channel's reminder time."""
    database_url = f"sqlite+aiosqlite:///{workdir / 'scale.sqlite'}"
    clock = FakeClock(first_due - timedelta(hours=2))
    bot = BotApp(bot_settings(sim.url, database_url), clock=clock, scheduler_timer=False)
    await bot.start()
    try:
        team = sim.state.team_by_name("acme")
        alice = sim.state.user_by_username("alice")
        bot_user = sim.state.user_by_username("playbooks")
        assert team is not None
        assert alice is not None
        assert bot_user is not None
        town_square = sim.state.channel_by_name(team.id, "town-square")
        assert town_square is not None
        world = World(sim, bot, clock, workdir, team, alice, town_square.id)
        document = playbook_document("Scale", checklists=4, items_per_checklist=5)
        document |= {"status_update_enabled": True, "reminder_timer_default_seconds": 3600}
        playbook = await world.add_playbook(document)
        alice_client = sim.state.user_by_token("alice-token")
        assert alice_client is not None
        from mattermost_sim.client import Person

        async with Person(sim.url, "alice-token") as person:
            await person.execute(town_square.id, f'/playbook run "{playbook.title}" template')
        await world.settle()
        async with world.services.transaction() as session:
            template_run = (await session.execute(select(RunRow.id, RunRow.channel_id))).one()
            tables = run_tables()
            template = await template_rows(session, template_run.id, tables)
        channels = [
            sim.state.create_channel(bot_user, team.id, f"scale-{n:05d}", f"Scale {n}", "P")
            for n in range(runs)
        ]
        run_ids = [new_id() for _ in range(runs)]
        due = {channel.id: first_due + SPACING * n for n, channel in enumerate(channels)}

        def swaps(n: int) -> dict[str, str]:
            return {template_run.id: run_ids[n], template_run.channel_id: channels[n].id}

        def adjust(table: str, n: int, row: dict[str, Any]) -> dict[str, Any]:
            if table == "runs":
                row["number"] = n + 2
            elif table == "scheduled_jobs":
                row["due_at"] = first_due + SPACING * n
            elif table == "run_reminders":
                row["next_due_at"] = first_due + SPACING * n
            return row

        async with world.services.transaction() as session:
            await insert_copies(session, tables, template, swaps, runs, adjust)
    finally:
        await bot.stop()
    return database_url, due


async def measure(runs: int, observe: float) -> None:
    """Seed, then watch the bot start and send reminders; print the figures."""
    quiet_logs()
    with tempfile.TemporaryDirectory(prefix="playbooks-bench-") as tmp:
        workdir = Path(tmp)
        sim = Simulator()
        load_seed(sim.state, SEED)
        await sim.start()
        try:
            fake_start = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)
            began = time.monotonic()
            database_url, due = await seed(sim, workdir, runs, fake_start)
            print(f"seeded {runs} runs in progress in {time.monotonic() - began:.1f} s (SQLite)")
            arrivals: dict[str, float] = {}

            def watch(event: Event) -> None:
                channel_id = event.broadcast.channel_id
                if event.event == "posted" and channel_id in due and channel_id not in arrivals:
                    arrivals[channel_id] = time.time()

            sim.state.sinks.append(watch)
            anchor = Anchor(fake_start - timedelta(seconds=LEAD_SECONDS), time.time())
            until = anchor.wall_of(fake_start) + observe
            figures = await run_bot_elsewhere(sim.url, database_url, anchor, until)
            empty_url = f"sqlite+aiosqlite:///{workdir / 'empty.sqlite'}"
            empty = await run_bot_elsewhere(sim.url, empty_url, anchor, time.time() + 1.0)
        finally:
            await sim.stop()
    watched_until = until - 1.5  # reminders due at the very end had no chance to be sent yet
    expected = [cid for cid, moment in due.items() if anchor.wall_of(moment) <= watched_until]
    lateness = [arrivals[cid] - anchor.wall_of(due[cid]) for cid in expected if cid in arrivals]
    missing = len(expected) - len(lateness)
    print(f"start-up: {figures.start_seconds:.2f} s (empty database: {empty.start_seconds:.2f} s)")
    print(
        f"resident memory: {figures.rss_after_start_mb:.0f} MB after start-up, "
        f"peak {figures.peak_rss_mb:.0f} MB "
        f"(empty database: {empty.rss_after_start_mb:.0f} MB, peak {empty.peak_rss_mb:.0f} MB)"
    )
    print(
        f"reminders due while watched ({observe:.0f} s): {len(expected)}, sent {len(lateness)}, "
        f"not sent {missing}; lateness p50 {percentile(lateness, 0.5):.2f} s, "
        f"p99 {percentile(lateness, 0.99):.2f} s"
    )
    late_p99 = percentile(lateness, 0.99) if not missing else float("inf")
    verdicts = [
        ("memory", figures.peak_rss_mb < GOAL_MEMORY_MB, f"< {GOAL_MEMORY_MB} MB"),
        ("start-up", figures.start_seconds < GOAL_START_SECONDS, f"< {GOAL_START_SECONDS:.0f} s"),
        ("lateness p99", late_p99 < GOAL_LATENESS, f"< {GOAL_LATENESS:.0f} s"),
    ]
    for name, met, goal in verdicts:
        print(f"goal {name} {goal}: {'met' if met else 'missed'}")
    print(
        ratio_line(
            figures.peak_rss_mb / empty.peak_rss_mb,
            f"ours with {runs} runs/empty database, peak resident memory",
            f"memory < {GOAL_MEMORY_MB} MB, start-up < {GOAL_START_SECONDS:.0f} s, p99 lateness < 1 s",
        )
    )


def main(quick: bool) -> None:
    """The benchmark with its default or quick sizes."""
    asyncio.run(measure(runs=1_000 if quick else 10_000, observe=4.0 if quick else 40.0))


if __name__ == "__main__":
    main(options(__doc__ or "").quick)
