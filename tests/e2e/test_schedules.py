"""Recurring runs as people use them: set a schedule, see it listed, get one run per occurrence —
also when the job runs twice and after a restart — and remove it.

The fake clock starts on Monday 23 November 2026, 09:00 UTC (alice's time zone is UTC); ticks run
what fell due. Nothing sleeps.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.domain.playbook import ChecklistItemTemplate, ChecklistTemplate, Playbook
from bot.domain.playbook_settings import RunChannelSettings
from bot.services.jobs import schedule_job
from storage.repositories.jobs import JobRepository
from storage.repositories.playbooks import PlaybookRepository
from tests.servers import Backstage

from .conftest import Harness, running_harness

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
WEEK = timedelta(weeks=1)
TITLE = "Weekly release"


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite'}"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
async def world(mattermost: Backstage, database_url: str, clock: FakeClock) -> AsyncIterator[Harness]:
    async with running_harness(mattermost, database_url, clock=clock) as harness:
        await seed_playbook(harness)
        yield harness


async def seed_playbook(harness: Harness) -> None:
    alice_id = await harness.alice.my_id()
    playbook = Playbook.checked(
        "",
        harness.team_id,
        TITLE,
        public=True,
        member_ids=(alice_id,),
        admin_ids=(alice_id,),
        checklists=(ChecklistTemplate("Ship", (ChecklistItemTemplate("Tag the release"),)),),
        channel=RunChannelSettings(create_public_channel=True),
    )
    assert harness.bot.services is not None
    async with harness.bot.services.transaction() as session:
        await PlaybookRepository(session).add(playbook)


async def release_runs(harness: Harness) -> list[str]:
    """The display names of the release run channels alice is in, sorted."""
    channels = await harness.alice.my_channels(harness.team_id)
    return sorted(c["display_name"] for c in channels if c["display_name"].startswith(TITLE))


async def schedule(harness: Harness, text: str) -> str:
    """Alice sets a schedule; its id."""
    reply = await harness.command(harness.alice, f"/playbook schedule {text}")
    match = re.search(r"Schedule id `([a-z0-9]+)`", reply["text"])
    assert match is not None, reply["text"]
    return match.group(1)


async def test_a_weekly_schedule_starts_one_run_per_occurrence(world: Harness) -> None:
    schedule_id = await schedule(world, f'"{TITLE}" every 1w')

    listing = await world.command(world.alice, "/playbook schedules")
    assert schedule_id in listing["text"]
    assert "`every 1w` (UTC)" in listing["text"]
    assert "next Mon Nov 30, 09:00 UTC" in listing["text"]
    assert "@alice" in listing["text"]

    world.clock.advance(WEEK - timedelta(minutes=1))
    await world.tick()
    assert await release_runs(world) == []

    world.clock.advance(timedelta(minutes=1))
    await world.tick()
    await world.tick()
    assert await release_runs(world) == [f"{TITLE} 2026-11-30"]

    world.clock.advance(WEEK)
    await world.tick()
    assert await release_runs(world) == [f"{TITLE} 2026-11-30", f"{TITLE} 2026-12-07"]
    listing = await world.command(world.alice, "/playbook schedules")
    assert "next Mon Dec 14, 09:00 UTC" in listing["text"]


async def test_an_occurrence_run_twice_starts_one_run(world: Harness) -> None:
    schedule_id = await schedule(world, f'"{TITLE}" cron "0 9 * * MON"')
    world.clock.advance(WEEK)
    await world.tick()
    assert await release_runs(world) == [f"{TITLE} 2026-11-30"]

    # As if the bot had crashed after starting the run but before recording the job as done:
    # the same occurrence falls due again.
    assert world.bot.services is not None
    async with world.bot.services.transaction() as session:
        await schedule_job(
            session,
            kind="schedule",
            key=f"schedule:{schedule_id}",
            due_at=START + WEEK,
            payload={"schedule_id": schedule_id},
        )
    await world.tick()
    assert await release_runs(world) == [f"{TITLE} 2026-11-30"]
    async with world.bot.services.transaction() as session:
        job = await JobRepository(session).get(f"schedule:{schedule_id}")
    assert job is not None
    assert job.due_at == START + 2 * WEEK


async def test_a_schedule_survives_a_restart(
    mattermost: Backstage, database_url: str, clock: FakeClock
) -> None:
    async with running_harness(mattermost, database_url, clock=clock) as first:
        await seed_playbook(first)
        await schedule(first, f'"{TITLE}" every 1w')
    clock.advance(WEEK + timedelta(hours=3))  # the bot was down when the run fell due
    async with running_harness(mattermost, database_url, clock=clock) as again:
        await again.tick()
        await again.tick()
        assert await release_runs(again) == [f"{TITLE} 2026-11-30"]
        listing = await again.command(again.alice, "/playbook schedules")
        assert "next Mon Dec 7, 09:00 UTC" in listing["text"]


async def test_unscheduling_stops_the_runs(world: Harness) -> None:
    schedule_id = await schedule(world, f'"{TITLE}" every 1d')
    reply = await world.command(world.alice, f"/playbook unschedule {schedule_id}")
    assert "Removed the schedule" in reply["text"]
    world.clock.advance(timedelta(days=2))
    await world.tick()
    assert await release_runs(world) == []
    listing = await world.command(world.alice, "/playbook schedules")
    assert "No playbook runs are scheduled" in listing["text"]
    again = await world.command(world.alice, f"/playbook unschedule {schedule_id}")
    assert "There is no schedule" in again["text"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f'"{TITLE}" every 5m', "at most every 15 minutes"),
        (f'"{TITLE}" cron "0 9 * *"', "five fields"),
        (f'"{TITLE}" weekly', "Name the playbook, then how often"),
        ("Nothing like it every 1w", "can't find a playbook"),
    ],
)
async def test_bad_schedules_are_explained(world: Harness, text: str, message: str) -> None:
    reply = await world.command(world.alice, f"/playbook schedule {text}")
    assert message in reply["text"]
