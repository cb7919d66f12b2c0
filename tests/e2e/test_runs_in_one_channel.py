"""Several runs in one channel: a playbook linked to an existing channel runs there each time.

alice imports the playbook by sending the bot its file, starts two runs in the team's ``ops``
channel, and works them the way people do: naming a run by its number (``#2``), or answering
the bot's "which run?" with a button.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from .conftest import Harness
from .test_playbooks_chat import bot_id_of, dm_with_bot, send_files
from .test_run_interactions import ephemeral


@dataclass
class OpsWorld:
    """Two runs of the linked "Deploy" playbook in ``ops``: #1 "api" and #2 "web"."""

    harness: Harness
    channel_id: str

    async def command(self, text: str) -> dict[str, Any]:
        response = await self.harness.command(self.harness.alice, text, channel_id=self.channel_id)
        await self.harness.settle()
        return response

    async def checklist_post(self, run_number: int) -> dict[str, Any]:
        """The checklist post of run ``#run_number``: it names its run."""
        posts = await self.harness.alice.channel_posts(self.channel_id)
        bot_id = bot_id_of(self.harness)
        tag = f"#{run_number} "
        [post] = [
            p
            for p in posts
            if p["user_id"] == bot_id and p["message"].startswith(tag) and " · **1. " in p["message"]
        ]
        return post

    async def task_text(self, run_number: int) -> str:
        return str((await self.checklist_post(run_number))["props"]["attachments"][0]["text"])


@pytest.fixture
async def ops(harness: Harness) -> OpsWorld:
    channel = await harness.alice.create_channel(harness.team_id, "ops", "Ops")
    playbook = {
        "version": 1,
        "title": "Deploy",
        "channel_mode": "link_existing_channel",
        "channel_id": channel["id"],
        "checklists": [{"title": "Ship", "items": [{"title": "Tag the release"}, {"title": "Deploy"}]}],
    }
    dm = await dm_with_bot(harness.alice, bot_id_of(harness))
    await send_files(harness.alice, dm, [("deploy.json", json.dumps(playbook).encode())])
    await harness.settle()
    world = OpsWorld(harness, channel["id"])
    for name in ("api", "web"):
        await world.command(f"/playbook run Deploy {name}")
    return world


async def test_each_runs_posts_name_it(ops: OpsWorld) -> None:
    assert (await ops.checklist_post(1))["message"].startswith("#1 api · **1. Ship**")
    assert (await ops.checklist_post(2))["message"].startswith("#2 web · **1. Ship**")


async def test_a_command_names_its_run_by_number(ops: OpsWorld) -> None:
    response = await ops.command("/playbook check #2 1 1")
    assert response["text"] == "**#2 web:** Checked 1.1 “Tag the release”."
    assert (await ops.task_text(2)).startswith("☑")
    assert (await ops.task_text(1)).startswith("☐")

    info = await ops.command("/playbook info #1")
    assert info["text"].startswith("**#1 api:** ")
    assert (await ops.command("/playbook info #9"))["text"] == "This channel has no run #9."


async def test_without_a_number_the_bot_asks_which_run_with_buttons(ops: OpsWorld) -> None:
    alice = ops.harness.alice
    response = await ops.command("/playbook check 1 2")
    [question] = response["attachments"]
    assert question["text"].startswith("This channel has several runs. Which one do you mean?")
    assert [a["name"] for a in question["actions"]] == ["#2 web", "#1 api"]
    assert (await ops.task_text(1)).startswith("☐")

    prompt = await ephemeral(alice, "Which one do you mean?")
    await alice.click(prompt["id"], "run1")  # "#1 api"
    await ops.harness.settle()
    answer = await ephemeral(alice, "Checked 1.2")
    assert answer["message"] == "**#1 api:** Checked 1.2 “Deploy”."
    assert "☑" in (await ops.checklist_post(1))["props"]["attachments"][1]["text"]
    assert "☐" in (await ops.checklist_post(2))["props"]["attachments"][1]["text"]


async def test_a_finished_run_no_longer_needs_naming(ops: OpsWorld) -> None:
    await ops.command("/playbook finish #1")
    prompt = await ephemeral(ops.harness.alice, "Are you sure")
    await ops.harness.alice.click(prompt["id"], "finishanyway")
    await ops.harness.settle()
    response = await ops.command("/playbook check 1 1")
    assert response["text"] == "Checked 1.1 “Tag the release”."
    assert (await ops.task_text(2)).startswith("☑")


async def test_someone_joining_the_channel_joins_every_run_in_progress(ops: OpsWorld) -> None:
    harness = ops.harness
    await harness.mattermost.add_user("bob", team_ids=[harness.team_id])
    async with harness.person("bob") as bob:
        await bob.join(ops.channel_id)
        await harness.settle()
        for number in (1, 2):
            response = await harness.command(bob, f"/playbook check #{number} 1 1", channel_id=ops.channel_id)
            assert response["text"].endswith("Checked 1.1 “Tag the release”.")
    await harness.settle()
    assert "checked by @bob" in await ops.task_text(1)
    assert "checked by @bob" in await ops.task_text(2)
    timeline = await ops.command("/playbook timeline #2")
    assert "@bob joined the channel" in timeline["text"]
