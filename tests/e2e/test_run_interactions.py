"""What people do to a run once it has started: buttons, slash commands, finishing and restoring.

Everything goes through Mattermost's API, as people act: commands, clicks, reading posts back.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.playbook_document import parse_document
from bot.playbook_format import import_playbook
from bot.render.run_replies import ITEM_CHANGED, NOT_IN_RUN_CHANNEL
from handlers.http import STALE_BUTTON
from mattermost_sim.client import Person
from storage.repositories.playbooks import PlaybookRepository

from .conftest import Harness

STARTER = Path(__file__).parents[2] / "bot" / "starter_playbooks" / "incident-response.yaml"
BRIDGE_COMMAND = "/bridge start"


@dataclass
class RunWorld:
    """A started run of the incident playbook, seen by alice, who started (and owns) it."""

    harness: Harness
    channel_id: str
    overview_id: str
    checklist_ids: list[str]

    @property
    def alice(self) -> Person:
        return self.harness.alice

    async def command(self, text: str, person: Person | None = None) -> dict[str, Any]:
        """``text`` sent in the run channel; the response once the bot's follow-up work is done."""
        response = await self.harness.command(person or self.alice, text, channel_id=self.channel_id)
        await self.harness.settle()
        return response

    async def post(self, post_id: str) -> dict[str, Any]:
        return await self.alice.get_post(post_id)

    async def post_ids(self) -> list[str]:
        return [post["id"] for post in await self.alice.channel_posts(self.channel_id)]

    async def item_text(self, checklist_no: int, item_no: int) -> str:
        post = await self.post(self.checklist_ids[checklist_no - 1])
        return str(post["props"]["attachments"][item_no - 1]["text"])

    async def overview_field(self, title: str) -> str:
        attachment = (await self.post(self.overview_id))["props"]["attachments"][0]
        return next(str(f["value"]) for f in attachment["fields"] if f["title"] == title)

    async def timeline(self) -> str:
        return str((await self.command("/playbook timeline"))["text"])


async def seed_incident_playbook(harness: Harness, **changes: Any) -> None:
    """The starter incident playbook, with public run channels, a command on task 1.4 and
    broadcasts to town square (and ``changes`` to its other settings, as its admin made them)."""
    document = parse_document(STARTER.read_text(encoding="utf-8"), STARTER.name)
    alice_id = await harness.alice.my_id()
    playbook = import_playbook(document, team_id=harness.team_id, importer_id=alice_id).playbook
    triage = playbook.checklists[0]
    items = list(triage.items)
    items[3] = replace(items[3], command=BRIDGE_COMMAND)
    checklists = (replace(triage, items=tuple(items)), *playbook.checklists[1:])
    updates = replace(
        playbook.status_updates, broadcast_channel_ids=(harness.town_square_id,), broadcast_enabled=True
    )
    playbook = replace(
        playbook,
        channel=replace(playbook.channel, create_public_channel=True),
        checklists=checklists,
        status_updates=updates,
        **changes,
    )
    assert harness.bot.services is not None
    async with harness.bot.services.transaction() as session:
        await PlaybookRepository(session).add(playbook)


@pytest.fixture
async def world(harness: Harness) -> RunWorld:
    """Alice has started “Database down” from town square."""
    await seed_incident_playbook(harness)
    await harness.command(harness.alice, '/playbook run "Incident Response" Database down')
    await harness.settle()
    channels = await harness.alice.my_channels(harness.team_id)
    channel = next(c for c in channels if "database-down" in c["name"])
    bot_id = harness.bot.services.bot.id if harness.bot.services else ""
    posts = [p for p in await harness.alice.channel_posts(channel["id"]) if p["user_id"] == bot_id]
    overview = next(p for p in posts if p["message"].startswith("#### INC-"))
    checklists = [p for p in posts if p["message"].startswith("**") and "done" in p["message"]]
    assert len(checklists) == 4
    return RunWorld(harness, channel["id"], overview["id"], [p["id"] for p in checklists])


async def ephemeral(person: Person, containing: str) -> dict[str, Any]:
    """The next ephemeral post shown to ``person`` whose text (or attachment text) has ``containing``."""

    def matches(event: dict[str, Any]) -> bool:
        post = json.loads(event["data"]["post"])
        texts = [post.get("message", "")] + [
            a.get("text", "") for a in post.get("props", {}).get("attachments", [])
        ]
        return any(containing in text for text in texts)

    event = await person.next_event("ephemeral_message", matches)
    post: dict[str, Any] = json.loads(event["data"]["post"])
    return post


@pytest.fixture
async def bob(world: RunWorld) -> AsyncIterator[Person]:
    """Bob, put on the team (as an admin would), has joined the run's public channel himself, and
    so the run."""
    await world.harness.mattermost.add_user("bob", team_ids=[world.harness.team_id])
    async with world.harness.person("bob") as person:
        await person.listen()
        await person.join(world.channel_id)
        yield person


# Buttons ----------------------------------------------------------------------------------------


async def test_check_edits_the_checklist_post_in_place(world: RunWorld) -> None:
    before = await world.post_ids()
    await world.alice.click(world.checklist_ids[0], "i1check")
    await world.harness.settle()

    assert (await world.item_text(1, 1)).startswith("☑ **1.1** Take ownership")
    assert "checked by @alice" in await world.item_text(1, 1)
    assert (await world.post(world.checklist_ids[0]))["message"].startswith("**1. Triage** — 1/4 done")
    assert await world.overview_field("Progress") == "1/13 done"
    assert await world.post_ids() == before


async def test_a_double_click_changes_the_task_once(world: RunWorld) -> None:
    post_id = world.checklist_ids[0]
    await asyncio.gather(world.alice.click(post_id, "i2check"), world.alice.click(post_id, "i2check"))
    await world.harness.settle()

    await ephemeral(world.alice, "is already checked")
    assert (await world.item_text(1, 2)).startswith("☑")
    assert (await world.timeline()).count("checked “Page the on-call engineer”") == 1


async def test_skip_then_restore(world: RunWorld) -> None:
    await world.alice.click(world.checklist_ids[1], "i1skip")
    await world.harness.settle()
    assert "_(skipped)_" in await world.item_text(2, 1)
    # A skipped task is neither done nor open: it leaves the count, shown on its own.
    assert await world.overview_field("Progress") == "0/12 done · 1 skipped"
    header = (await world.post(world.checklist_ids[1]))["message"]
    assert header.startswith("**2. Investigate and mitigate** — 0/2 done · 1 skipped")
    assert "**Progress:** 0/12 done · 1 skipped" in (await world.command("/playbook info"))["text"]
    await world.alice.click(world.checklist_ids[1], "i1restore")
    await world.harness.settle()
    assert (await world.item_text(2, 1)).startswith("☐")
    assert await world.overview_field("Progress") == "0/13 done"


async def test_a_forged_click_changes_nothing(world: RunWorld) -> None:
    forged = {
        "user_id": await world.alice.my_id(),
        "channel_id": world.channel_id,
        "post_id": world.checklist_ids[0],
        "context": {"a": "item", "r": "run", "c": "c", "i": "i", "t": "closed", "v": 0, "sig": "forged"},
    }
    before = await world.post(world.checklist_ids[0])
    url = f"{world.harness.bot.settings.public_url}/mattermost/action"
    async with aiohttp.ClientSession() as session, session.post(url, json=forged) as response:
        assert response.status == 200
        body = await response.json()
    assert body == {"ephemeral_text": STALE_BUTTON, "skip_slack_parsing": True}
    assert (await world.post(world.checklist_ids[0]))["message"] == before["message"]


async def test_a_stale_button_gets_the_current_checklist(world: RunWorld) -> None:
    # Mattermost is slow to edit the checklist post, so its old buttons are still showing.
    world.harness.faults.hang(1.0, method="PUT", path_pattern=world.checklist_ids[0])
    await world.harness.command(world.alice, "/playbook check 1 3", channel_id=world.channel_id)
    await world.alice.click(world.checklist_ids[0], "i3skip")

    await ephemeral(world.alice, ITEM_CHANGED)
    assert (await world.item_text(1, 3)).startswith("☑")
    await world.harness.settle()
    assert "skipped" not in await world.timeline()


async def test_assign_to_me_and_run_command_buttons(world: RunWorld) -> None:
    await world.alice.click(world.checklist_ids[0], "i4assign")
    assert "assigned to @alice" in await world.item_text(1, 4)
    await world.alice.click(world.checklist_ids[0], "i4run")
    note = await ephemeral(world.alice, "copy")
    assert f"```\n{BRIDGE_COMMAND}\n```" in note["message"]
    timeline = await world.timeline()
    assert timeline.startswith("#### Timeline of INC-00001 · Incident: Database down\n")
    assert f"@alice copied `{BRIDGE_COMMAND}`" in timeline
    assert "ran the slash command" not in timeline  # the bot only showed it; nothing ran


# Slash commands -----------------------------------------------------------------------------------


async def test_check_toggles_and_edits_posts(world: RunWorld) -> None:
    before = await world.post_ids()
    assert (await world.command("/playbook check 1 1"))[
        "text"
    ] == "Checked 1.1 “Take ownership of the incident”."
    assert (await world.item_text(1, 1)).startswith("☑")
    assert await world.overview_field("Progress") == "1/13 done"
    assert (await world.command("/playbook check 1 1"))["text"].startswith("Unchecked 1.1")
    assert (await world.item_text(1, 1)).startswith("☐")
    assert await world.post_ids() == before


async def test_checkadd_and_checkremove(world: RunWorld) -> None:
    response = await world.command("/playbook checkadd 2 Call the database vendor")
    assert response["text"] == "Added 2.4 “Call the database vendor” to “Investigate and mitigate”."
    assert "**2.4** Call the database vendor" in await world.item_text(2, 4)
    assert await world.overview_field("Progress") == "0/14 done"
    response = await world.command("/playbook checkremove 2 1")
    assert response["text"].startswith("Removed 2.1 “List suspected causes")
    assert "**2.1** Apply a mitigation" in await world.item_text(2, 1)


async def test_assign_owner_and_add(world: RunWorld, bob: Person) -> None:
    response = await world.command("/playbook assign 1 2 @root")
    assert response["text"] == (
        "Assigned 1.2 “Page the on-call engineer” to @root. @root joined the run to work on it."
    )
    assert "assigned to @root" in await world.item_text(1, 2)
    assert "@root" in await world.overview_field("Participants")
    assert (await world.command("/playbook assign 1 2 none"))["text"].endswith(
        "is no longer assigned to anyone."
    )

    assert (await world.command("/playbook owner"))["text"] == "**@alice** is the owner of this run."
    assert (await world.command("/playbook owner @root"))["text"] == "@root is now the owner of this run."
    assert await world.overview_field("Owner") == "@root"

    await bob.leave(world.channel_id)  # and so the run
    await world.harness.settle()
    assert (await world.command("/playbook add @bob"))["text"] == "Added @bob to the run and its channel."
    assert "@bob" in await world.overview_field("Participants")


async def test_finish_asks_then_posts_a_summary_and_restore_brings_buttons_back(world: RunWorld) -> None:
    response = await world.command("/playbook finish")
    assert "There are **13 outstanding tasks**" in response["attachments"][0]["text"]
    prompt = await ephemeral(world.alice, "outstanding tasks")
    await world.alice.click(prompt["id"], "finishanyway")
    await world.harness.settle()

    posts = await world.alice.channel_posts(world.channel_id)
    summary = posts[-1]["message"]
    assert summary.startswith("#### Run finished: INC-00001 · Incident: Database down")
    assert "0 done, 0 skipped, 13 still open" in summary
    assert "**Owner:** @alice" in summary
    assert await world.overview_field("Status") == "Finished"
    checklist = await world.post(world.checklist_ids[0])
    assert all("actions" not in a for a in checklist["props"]["attachments"])
    assert (await world.command("/playbook check 1 1"))["text"].startswith("This run is finished.")

    assert (await world.command("/playbook restore"))["text"].endswith("it is in progress again.")
    assert await world.overview_field("Status") == "In progress"
    checklist = await world.post(world.checklist_ids[0])
    assert all(a.get("actions") for a in checklist["props"]["attachments"])


async def test_finish_run_button_asks_in_a_dialog_then_broadcasts(world: RunWorld) -> None:
    await world.alice.click(world.overview_id, "finish")
    dialog = await world.alice.next_dialog()
    assert dialog["dialog"]["title"] == "Confirm finish"
    assert "**13 outstanding tasks**" in dialog["dialog"]["introduction_text"]
    assert await world.overview_field("Status") == "In progress"

    assert await world.alice.submit_dialog(dialog, {}, channel_id=world.channel_id) == {}
    await world.harness.settle()
    assert await world.overview_field("Status") == "Finished"
    town_square = await world.alice.channel_posts(world.harness.town_square_id)
    assert town_square[-1]["message"].startswith("#### Run finished: INC-00001")

    await world.alice.click(world.overview_id, "restore")
    await world.harness.settle()
    assert await world.overview_field("Status") == "In progress"
    town_square = await world.alice.channel_posts(world.harness.town_square_id)
    assert (
        town_square[-1]["message"] == "@alice restored **Incident: Database down**: it is in progress again."
    )
    timeline = await world.timeline()
    assert timeline.index("finished the run") < timeline.index("restored the run")


async def test_finishing_with_every_task_done_needs_no_question(world: RunWorld) -> None:
    for checklist_no, size in enumerate((4, 3, 3, 3), start=1):
        for item_no in range(1, size + 1):
            await world.alice.click(world.checklist_ids[checklist_no - 1], f"i{item_no}skip")
    await world.alice.click(world.overview_id, "finish")
    await ephemeral(world.alice, "The summary is in the channel.")
    await world.harness.settle()
    summary = (await world.alice.channel_posts(world.channel_id))[-1]["message"]
    assert "0 done, 13 skipped, 0 still open" in summary


async def test_the_timeline_shows_the_changes_in_order(world: RunWorld) -> None:
    await world.alice.click(world.checklist_ids[0], "i1check")
    await world.command("/playbook assign 1 2 @root")
    await world.command("/playbook checkadd 1 Update the status page")
    timeline = await world.timeline()
    lines = [line for line in timeline.splitlines() if "@alice" in line]
    expected = [
        "started",
        "checked “Take ownership",
        "assigned “Page the on-call engineer” to @root",
        "added “Update",
    ]
    positions = [next(i for i, line in enumerate(lines) if wanted in line) for wanted in expected]
    assert positions == sorted(positions)


# Bad input ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/playbook check x y", "“x” is not a number. Usage: `/playbook check CHECKLIST TASK` — e.g. "),
        ("/playbook check 9 9", "There is no checklist 9; this run has 4."),
        ("/playbook check 1 9", "has no task 9; it has 4."),
        ("/playbook check 0 1", "Checklist numbers start at 1"),
        ("/playbook check", "Usage: `/playbook check CHECKLIST TASK` — e.g. `/playbook check 1 2`"),
        ("/playbook assign 1 1 @nobody", "I can't find @nobody."),
        ("/playbook assign 1 1", "Usage: `/playbook assign CHECKLIST TASK @user|me|none`"),
        ("/playbook checkadd", "Usage: `/playbook checkadd CHECKLIST [TEXT…]`"),
        ("/playbook checkremove 1", "Usage: `/playbook checkremove CHECKLIST TASK`"),
        ("/playbook add", "Usage: `/playbook add @user…`"),
        ("/playbook owner @nobody", "I can't find @nobody."),
        ("/playbook restore", "This run is still in progress"),
    ],
)
async def test_bad_input_gets_a_friendly_answer_and_changes_nothing(
    world: RunWorld, text: str, expected: str
) -> None:
    before = await world.timeline()
    response = await world.command(text)
    assert response["response_type"] == "ephemeral"
    assert expected in response["text"]
    assert await world.timeline() == before


async def test_run_commands_need_a_run_channel(harness: Harness) -> None:
    response = await harness.command(harness.alice, "/playbook check 1 1")
    assert response["text"] == NOT_IN_RUN_CHANNEL
