"""Schedules written in a playbook file: importing the file sets them, importing it again replaces
them (and only them), and they start runs like schedules set with ``/playbook schedule``.

The fake clock starts on Monday 23 November 2026, 09:00 UTC (10:00 in Paris; alice's time zone is
UTC). Ticks run what fell due; nothing sleeps.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.domain.schedules import RunSchedule
from bot.playbook_format import PlaybookImportError
from bot.services.context import Services
from bot.services.playbooks import ImportOutcome, import_document
from bot.services.schedules import job_key
from storage.repositories.jobs import JobRepository
from storage.repositories.schedules import ScheduleRepository
from tests.servers import Backstage

from .conftest import Harness, running_harness
from .test_playbooks_chat import bot_id_of, bot_replies, dm_with_bot, send_files

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
WEEK = timedelta(weeks=1)
TITLE = "Weekly review"


def playbook_file(*schedules: str) -> str:
    """A YAML playbook with these ``schedules`` entries (each a flow mapping), or none."""
    text = (
        f"version: 1\ntitle: {TITLE}\n"
        "checklists:\n  - title: Review\n    items:\n      - title: Read the numbers\n"
    )
    if schedules:
        text += "schedules:\n" + "".join(f"  - {schedule}\n" for schedule in schedules)
    return text


@pytest.fixture
async def world(mattermost: Backstage, tmp_path: Path) -> AsyncIterator[Harness]:
    database = f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite'}"
    async with running_harness(mattermost, database, clock=FakeClock(START)) as harness:
        yield harness


def services_of(harness: Harness) -> Services:
    assert harness.bot.services is not None
    return harness.bot.services


async def import_as_alice(harness: Harness, text: str) -> ImportOutcome:
    return await import_document(
        services_of(harness),
        team_id=harness.team_id,
        user_id=await harness.alice.my_id(),
        filename="review.yaml",
        text=text,
    )


async def stored_schedules(harness: Harness, playbook_id: str) -> list[RunSchedule]:
    async with services_of(harness).transaction() as session:
        return await ScheduleRepository(session).list_for_playbook(playbook_id)


async def pending_job_due(harness: Harness, schedule_id: str) -> datetime | None:
    async with services_of(harness).transaction() as session:
        job = await JobRepository(session).get(job_key(schedule_id))
    return None if job is None else job.due_at


async def review_runs(harness: Harness) -> list[str]:
    """The display names of the review run channels alice is in, sorted."""
    channels = await harness.alice.my_channels(harness.team_id)
    return sorted(c["display_name"] for c in channels if c["display_name"].startswith(TITLE))


# Importing ----------------------------------------------------------------------------------------


async def test_importing_a_file_sets_its_schedules_owned_by_the_importer(world: Harness) -> None:
    outcome = await import_as_alice(
        world, playbook_file("{every: 1w}", '{cron: "0 10 * * MON-FRI", timezone: Europe/Paris}')
    )

    alice_id = await world.alice.my_id()
    assert [(s.spec, s.timezone, s.owner_id, s.source) for s in outcome.schedules] == [
        ("every 1w", "UTC", alice_id, "file"),
        ('cron "0 10 * * mon,tue,wed,thu,fri"', "Europe/Paris", alice_id, "file"),
    ]
    weekly, weekdays = outcome.schedules
    assert weekly.next_run_at == START + WEEK
    assert weekdays.next_run_at == START + timedelta(days=1)  # Tuesday 10:00 in Paris
    stored = await stored_schedules(world, outcome.playbook.id)
    assert {schedule.id for schedule in stored} == {weekly.id, weekdays.id}
    assert await pending_job_due(world, weekly.id) == START + WEEK
    assert await pending_job_due(world, weekdays.id) == START + timedelta(days=1)


async def test_reimporting_replaces_the_file_schedules_and_keeps_those_set_by_command(world: Harness) -> None:
    first = await import_as_alice(world, playbook_file("{every: 1w}", "{every: 1d}"))
    weekly, daily = first.schedules
    reply = await world.command(world.alice, f'/playbook schedule "{TITLE}" every 12h')
    assert "Schedule id" in reply["text"]
    world.clock.advance(timedelta(hours=1))

    second = await import_as_alice(world, playbook_file("{every: 1w}", '{cron: "0 9 * * FRI"}'))

    assert second.replaced
    kept, added = second.schedules
    assert kept == weekly  # unchanged in the file: kept as it was, so the next run does not move
    assert (added.spec, added.source) == ('cron "0 9 * * fri"', "file")
    stored = await stored_schedules(world, first.playbook.id)
    assert sorted((s.spec, s.source) for s in stored) == [
        ('cron "0 9 * * fri"', "file"),
        ("every 12h", "command"),
        ("every 1w", "file"),
    ]
    assert await pending_job_due(world, daily.id) is None  # removed with its job

    third = await import_as_alice(world, playbook_file())
    assert third.schedules == ()
    assert [(s.spec, s.source) for s in await stored_schedules(world, first.playbook.id)] == [
        ("every 12h", "command")
    ]
    assert await pending_job_due(world, weekly.id) is None


async def test_a_bad_schedule_imports_nothing_and_is_named_by_path(world: Harness) -> None:
    first = await import_as_alice(world, playbook_file("{every: 1w}"))

    with pytest.raises(PlaybookImportError) as raised:
        await import_as_alice(world, playbook_file("{every: 1d}", "{every: 5m}", '{cron: "0 9 * *"}'))

    assert [(problem.field, problem.message) for problem in raised.value.problems] == [
        ("schedules[1].every", "A schedule can start runs at most every 15 minutes."),
        (
            "schedules[2].cron",
            "A cron line has five fields: minute, hour, day of month, month and day of week, "
            'e.g. `cron "0 9 * * MON"` for Mondays at 09:00.',
        ),
    ]
    assert await stored_schedules(world, first.playbook.id) == list(first.schedules)


# As people use it ---------------------------------------------------------------------------------


async def test_a_yaml_file_sent_by_dm_schedules_runs_that_start_on_time(world: Harness) -> None:
    bot_id = bot_id_of(world)
    dm = await dm_with_bot(world.alice, bot_id)
    text = playbook_file('{cron: "0 10 * * MON", timezone: Europe/Paris}')
    post = await send_files(world.alice, dm, [("review.yaml", text.encode())])
    await world.settle()

    [reply] = await bot_replies(world.alice, dm, post["id"], bot_id)
    assert "Imported the playbook **Weekly review** in Acme" in reply["message"]
    assert (
        'A run is scheduled from the file, owned by you: `cron "0 10 * * mon"` (Europe/Paris), '
        "next Mon Nov 30, 10:00 Europe/Paris." in reply["message"]
    )

    listing = await world.command(world.alice, "/playbook schedules")
    assert '`cron "0 10 * * mon"` (Europe/Paris), next Mon Nov 30, 10:00 Europe/Paris' in listing["text"]
    assert "from the playbook file, imported by @alice" in listing["text"]
    shown = await world.command(world.alice, f"/playbook show {TITLE}")
    assert "**Schedules**" in shown["text"]
    assert "from the playbook file, imported by @alice" in shown["text"]

    world.clock.advance(WEEK - timedelta(minutes=1))
    await world.tick()
    assert await review_runs(world) == []
    world.clock.advance(timedelta(minutes=1))
    await world.tick()
    await world.tick()
    assert await review_runs(world) == [f"{TITLE} 2026-11-30"]


async def test_show_says_when_a_playbook_has_no_schedules(world: Harness) -> None:
    await import_as_alice(world, playbook_file())
    shown = await world.command(world.alice, f"/playbook show {TITLE}")
    assert "**Schedules:** none. List them under `schedules` in the playbook file" in shown["text"]


async def test_unscheduling_a_file_schedule_says_a_new_import_brings_it_back(world: Harness) -> None:
    outcome = await import_as_alice(world, playbook_file("{every: 1d}"))
    [daily] = outcome.schedules
    reply = await world.command(world.alice, f"/playbook unschedule {daily.id}")
    assert "importing the file again brings it back" in reply["text"]
    assert await stored_schedules(world, outcome.playbook.id) == []
