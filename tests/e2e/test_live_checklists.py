"""A run's checklists changed while it runs, and due dates that move, as people do it: slash
commands, the *Edit…* button and its form, and the clock passing a due time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.domain.run import RunStatus, iter_items
from bot.services.jobs import cancel_job
from bot.services.run_changes import BOT_CANNOT_BE_ASSIGNED
from bot.services.task_due import due_key
from mattermost_sim.client import Person
from storage.repositories.runs import RunRepository
from tests.waiting import eventually

from .test_run_interactions import RunWorld, world

__all__ = ["world"]  # the fixture, shared with the run interaction tests

PARIS = "Europe/Paris"


@pytest.fixture
async def bob(world: RunWorld) -> AsyncIterator[Person]:
    """Bob is on the team, not yet in the run."""
    await world.harness.mattermost.add_user("bob", team_ids=[world.harness.team_id])
    async with world.harness.person("bob") as person:
        yield person


async def reply(world: RunWorld, text: str) -> str:
    return str((await world.command(text))["text"])


async def checklist_messages(world: RunWorld) -> list[str]:
    """The messages of the bot's checklist posts, in channel order."""
    bot_id = world.harness.bot.services.bot.id if world.harness.bot.services else ""
    posts = await world.alice.channel_posts(world.channel_id)
    return [
        p["message"]
        for p in posts
        if p["user_id"] == bot_id and (" done" in p["message"] or "(checklist removed" in p["message"])
    ]


def fields_of(dialog: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {element["name"]: element for element in dialog["dialog"]["elements"]}


def submission_of(dialog: dict[str, Any], **changes: str) -> dict[str, str]:
    """What the form submits when the person changes ``changes`` and leaves the rest as shown."""
    values = {name: str(field.get("default", "")) for name, field in fields_of(dialog).items()}
    return {**values, **changes}


# Due dates --------------------------------------------------------------------------------------


async def test_a_due_date_set_from_the_edit_button_turns_overdue_when_its_time_comes(world: RunWorld) -> None:
    harness = world.harness
    await world.alice.click(world.checklist_ids[0], "i2edit")
    dialog = await world.alice.next_dialog()
    assert dialog["dialog"]["title"] == "Edit task"
    assert fields_of(dialog)["title"]["default"] == "Page the on-call engineer"
    answer = await world.alice.submit_dialog(
        dialog, submission_of(dialog, due="5s"), channel_id=world.channel_id
    )
    assert answer == {}
    await harness.settle()
    text = await world.item_text(1, 2)
    assert "due " in text
    assert "overdue" not in text
    assert "due in" not in text
    assert "Overdue" not in [f["title"] for f in await overview_fields(world)]
    due = format_utc(harness.clock() + timedelta(seconds=5))
    assert f"set “Page the on-call engineer” due {due}" in await world.timeline()

    harness.clock.advance(timedelta(seconds=5))
    assert await harness.tick() >= 1

    async def shown_overdue() -> bool:
        return "**overdue** (due " in await world.item_text(1, 2)

    await eventually(shown_overdue, "the checklist post to show the task overdue")
    assert await world.overview_field("Overdue") == "1 task"
    assert await overdue_notices(world) == [
        ":alarm_clock: @alice: task 1.2 “Page the on-call engineer” of **Incident: Database down** "
        f"is overdue (due {format_utc(harness.clock())})."
    ]
    # The job ran once: another tick finds nothing more to say.
    await harness.tick()
    assert len(await overdue_notices(world)) == 1

    # Renaming the overdue task in the form keeps its due time as shown, though it has passed.
    await world.alice.click(world.checklist_ids[0], "i2edit")
    dialog = await world.alice.next_dialog()
    renamed = submission_of(dialog, title="Page the on-call engineer now")
    assert await world.alice.submit_dialog(dialog, renamed, channel_id=world.channel_id) == {}
    await harness.settle()
    assert "Page the on-call engineer now\n**overdue** (due " in await world.item_text(1, 2)
    await harness.tick()
    assert len(await overdue_notices(world)) == 1


async def overdue_notices(world: RunWorld) -> list[str]:
    """The messages telling the run channel that a task is overdue."""
    posts = await world.alice.channel_posts(world.channel_id)
    return [p["message"] for p in posts if p["message"].startswith(":alarm_clock:")]


async def overview_fields(world: RunWorld) -> list[dict[str, Any]]:
    attachment = (await world.post(world.overview_id))["props"]["attachments"][0]
    return list(attachment["fields"])


def format_utc(at: datetime) -> str:
    utc = at.astimezone(UTC)
    return f"{utc:%b} {utc.day}, {utc:%H:%M} UTC"


async def test_due_by_command_in_the_persons_time_zone_then_moved_and_cleared(world: RunWorld) -> None:
    harness = world.harness
    await world.alice.set_time_zone(PARIS)
    answer = await reply(world, "/playbook due 1 3 tomorrow 17:00")
    tomorrow = (harness.clock().astimezone(ZoneInfo(PARIS)) + timedelta(days=1)).date()
    due = datetime.combine(tomorrow, time(17, 0), tzinfo=ZoneInfo(PARIS))
    assert answer == (
        f"1.3 “Set the severity in the run summary” is now due {format_utc(due)} "
        f"({tomorrow:%Y-%m-%d} 17:00 Europe/Paris)."
    )
    assert f"due {format_utc(due)}" in await world.item_text(1, 3)

    moved = await reply(world, "/playbook due 1 3 2h")
    assert "is now due" in moved
    assert f"due {format_utc(harness.clock() + timedelta(hours=2))}" in await world.item_text(1, 3)
    assert await reply(world, "/playbook due 1 3 soon") == (
        "I can't read “soon” as a due date. Write `2h`, `30m`, `1d`, `tomorrow 17:00`, `17:00`, "
        "`2026-12-24 09:00` or `none`."
    )
    assert (await reply(world, "/playbook due 1 3 none")).startswith("Removed the due date of 1.3")
    assert "due" not in await world.item_text(1, 3)
    timeline = await world.timeline()
    assert "removed the due date of" in timeline

    # The cleared due time's job is gone: hours later, nothing falls due.
    harness.clock.advance(timedelta(hours=3))
    await harness.tick()
    assert "overdue" not in await world.item_text(1, 3)
    notices = await overdue_notices(world)
    assert notices
    assert not [n for n in notices if "1.3" in n]


# Checklists -------------------------------------------------------------------------------------


async def test_checklists_added_renamed_moved_and_removed(world: RunWorld) -> None:
    assert await reply(world, "/playbook checklist add Follow up") == "Added checklist 5 “Follow up”."

    async def five_posts() -> bool:
        return len(await checklist_messages(world)) == 5

    await eventually(five_posts, "the new checklist's post")
    assert (await checklist_messages(world))[4].startswith("**5. Follow up** — 0/0 done")

    assert await reply(world, '/playbook checklist rename 5 "Aftercare" & lessons') == (
        'Renamed checklist 5 “"Aftercare" & lessons”.'
    )
    assert (await checklist_messages(world))[4].startswith('**5. "Aftercare" & lessons**')

    assert (await reply(world, "/playbook checklist move 5 1")).startswith("Moved checklist 1")
    messages = await checklist_messages(world)
    assert messages[0].startswith('**1. "Aftercare" & lessons**')
    assert messages[1].startswith("**2. Triage**")

    assert (
        await reply(world, "/playbook checklist remove 2")
        == "Removed the checklist “Triage” and its 4 tasks."
    )
    messages = await checklist_messages(world)
    assert messages[1] == "~~Triage~~ _(checklist removed from the run)_"
    assert messages[2].startswith("**2. ")
    assert await world.overview_field("Progress") == "0/9 done"
    timeline = await world.timeline()
    for line in (
        "added the checklist “Follow up”",
        "renamed the checklist “Follow up” to",
        "moved the checklist",
        "removed the checklist “Triage” (4 tasks)",
    ):
        assert line in timeline
    assert (await reply(world, "/playbook checklist move 1 9")).startswith("Position 9 is out of range")


# Tasks ------------------------------------------------------------------------------------------


async def test_checkadd_keeps_quotes_and_its_form_takes_the_details(world: RunWorld, bob: Person) -> None:
    answer = await reply(world, '/playbook checkadd 1 Call "the vendor" at 5')
    assert answer == 'Added 1.5 “Call "the vendor" at 5” to “Triage”.'
    assert 'Call "the vendor" at 5' in await world.item_text(1, 5)
    assert (await reply(world, "/playbook checkadd 1 Don't panic")).startswith("Added 1.6 “Don't panic”")
    assert "quotation mark is not closed" in await reply(world, '/playbook check "1 2')

    await world.harness.command(world.alice, "/playbook checkadd 2", channel_id=world.channel_id)
    dialog = await world.alice.next_dialog()
    assert dialog["dialog"]["title"] == "Add a task"
    bob_id = await bob.my_id()
    filled = submission_of(
        dialog,
        title="Page the DBA",
        description="Use the phone",
        command="/page dba",
        assignee=bob_id,
        due="1d",
    )
    assert await world.alice.submit_dialog(
        dialog, {**filled, "command": "page dba"}, channel_id=world.channel_id
    ) == {"errors": {"command": "A slash command starts with `/`, like `/page oncall`."}}
    services = world.harness.bot.services
    assert services is not None
    bot_id = services.bot.id
    assert await world.alice.submit_dialog(
        dialog, {**filled, "assignee": bot_id}, channel_id=world.channel_id
    ) == {"error": BOT_CANNOT_BE_ASSIGNED}
    assert await world.alice.submit_dialog(dialog, filled, channel_id=world.channel_id) == {}
    await world.harness.settle()
    text = await world.item_text(2, 4)
    assert text.startswith("☐ **2.4** Page the DBA\nassigned to @bob · due ")
    assert "Command: `/page dba`" in text
    assert "Use the phone" in text
    assert "bob" in await world.overview_field("Participants")


async def test_edit_a_task_in_the_form_and_move_tasks(world: RunWorld) -> None:
    await world.harness.command(world.alice, "/playbook checkedit 1 2", channel_id=world.channel_id)
    dialog = await world.alice.next_dialog()
    second = fields_of(dialog)["checklist"]["options"][1]["value"]
    edited = submission_of(dialog, title="Page the DBA on call", checklist=second)
    assert await world.alice.submit_dialog(dialog, edited, channel_id=world.channel_id) == {}
    await world.harness.settle()
    assert (await world.post(world.checklist_ids[0]))["message"].startswith("**1. Triage** — 0/3 done")
    last = len((await world.post(world.checklist_ids[1]))["props"]["attachments"])
    assert (await world.item_text(2, last)).startswith(f"☐ **2.{last}** Page the DBA on call")

    answer = await reply(world, f"/playbook checkmove 2 {last} 1 1")
    assert answer == "Moved the task to 1.1 “Page the DBA on call” in “Triage”."
    assert (await world.item_text(1, 1)).startswith("☐ **1.1** Page the DBA on call")
    assert await reply(world, "/playbook checkmove 1 1 1 1") == "1.1 “Page the DBA on call” is already there."
    timeline = await world.timeline()
    assert "renamed “Page the on-call engineer” to “Page the DBA on call”" in timeline
    assert "moved “Page the DBA on call” to “Triage”, position 1" in timeline


async def test_skip_and_unskip_by_command(world: RunWorld) -> None:
    assert (await reply(world, "/playbook skip 1 1")).startswith("Skipped 1.1")
    assert "_(skipped)_" in await world.item_text(1, 1)
    assert (await reply(world, "/playbook skip 1 1")).endswith("is already skipped.")
    assert (await reply(world, "/playbook unskip 1 1")).startswith("Restored 1.1")
    assert (await world.item_text(1, 1)).startswith("☐ **1.1**")
    assert (await reply(world, "/playbook unskip 1 1")).endswith("is not skipped.")
    timeline = await world.timeline()
    assert "skipped “" in timeline
    assert "restored “" in timeline


async def test_a_moved_due_date_falls_due_at_its_new_time_only(world: RunWorld) -> None:
    harness = world.harness
    await reply(world, "/playbook due 1 3 1h")
    await reply(world, "/playbook due 1 3 3h")
    harness.clock.advance(timedelta(hours=1))
    await harness.tick()
    assert "overdue" not in await world.item_text(1, 3)
    assert not [n for n in await overdue_notices(world) if "1.3" in n]

    harness.clock.advance(timedelta(hours=2))
    await harness.tick()
    assert "**overdue** (due " in await world.item_text(1, 3)
    assert len([n for n in await overdue_notices(world) if "1.3" in n]) == 1


async def test_a_task_due_while_the_bot_was_stopped_shows_overdue_once_after_restart(world: RunWorld) -> None:
    harness = world.harness
    await reply(world, "/playbook due 1 3 1h")
    async with harness.restarted(timedelta(hours=2)):
        assert await harness.tick() >= 1
        assert "**overdue** (due " in await world.item_text(1, 3)
        await harness.tick()
        assert len([n for n in await overdue_notices(world) if "1.3" in n]) == 1


async def test_tasks_of_a_run_from_before_due_jobs_get_them_at_start(world: RunWorld) -> None:
    harness = world.harness
    services = harness.bot.services
    assert services is not None
    async with services.transaction() as session:  # as an older version left the run: no due jobs
        runs = await RunRepository(session).list(status=RunStatus.IN_PROGRESS)
        (run,) = runs
        for ref in iter_items(run):
            await cancel_job(session, due_key(run.id, ref.item.id))
    async with harness.restarted(timedelta(0)):
        await harness.settle()  # the start-up catch-up runs in the background
        harness.clock.advance(timedelta(minutes=15))
        assert await harness.tick() >= 1
        assert "**overdue** (due " in await world.item_text(1, 2)
        assert len([n for n in await overdue_notices(world) if "1.2" in n]) == 1
