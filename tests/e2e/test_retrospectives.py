"""The retrospective after a run, as people live it: reminders, the form, publishing, republishing.

Time moves with the harness's fake clock; ``harness.tick()`` runs the jobs that fell due.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.domain.playbook import Metric, MetricType
from bot.domain.playbook_settings import RetrospectiveSettings
from bot.playbook_document import parse_document
from bot.playbook_format import import_playbook
from mattermost_sim.client import Person
from storage.repositories.playbooks import PlaybookRepository

from .conftest import Harness

STARTER = Path(__file__).parents[2] / "bot" / "starter_playbooks" / "incident-response.yaml"
TEMPLATE = "### What happened\n\n### What went well\n\n### What to change"
REMINDER = "please fill in the retrospective"
HOUR = timedelta(hours=1)
METRICS = (
    Metric("Time to resolve", "From the first page to the all-clear.", MetricType.DURATION, 86_400_000),
    Metric("Cost", "Credits given to customers.", MetricType.CURRENCY, 500),
    Metric("Customers affected", "", MetricType.INTEGER, 10),
)


async def seed_playbook(harness: Harness, *, retrospective: bool = True, title: str = "") -> str:
    """The starter incident playbook with a retrospective reminding hourly, three metrics and
    broadcasts to town square; its id."""
    document = parse_document(STARTER.read_text(encoding="utf-8"), STARTER.name)
    alice_id = await harness.alice.my_id()
    playbook = import_playbook(document, team_id=harness.team_id, importer_id=alice_id).playbook
    playbook = replace(
        playbook,
        title=title or playbook.title,
        channel=replace(playbook.channel, create_public_channel=True),
        status_updates=replace(
            playbook.status_updates, broadcast_channel_ids=(harness.town_square_id,), broadcast_enabled=True
        ),
        retrospective=RetrospectiveSettings(
            enabled=retrospective, template=TEMPLATE, reminder_interval_seconds=3600
        ),
        metrics=METRICS,
    )
    assert harness.bot.services is not None
    async with harness.bot.services.transaction() as session:
        return (await PlaybookRepository(session).add(playbook)).id


async def start_run(harness: Harness, playbook: str, name: str) -> str:
    """Alice starts a run of ``playbook``; its channel's id."""
    await harness.command(harness.alice, f'/playbook run "{playbook}" {name}')
    await harness.settle()
    slug = "-".join(name.lower().split())
    channels = await harness.alice.my_channels(harness.team_id)
    return str(next(c for c in channels if slug in c["name"])["id"])


async def finish(harness: Harness, channel_id: str) -> None:
    """Alice finishes the run of ``channel_id`` despite its open tasks."""
    await harness.command(harness.alice, "/playbook finish", channel_id=channel_id)
    event = await harness.alice.next_event("ephemeral_message", lambda e: "finishanyway" in e["data"]["post"])
    await harness.alice.click(json.loads(event["data"]["post"])["id"], "finishanyway")
    await harness.settle()


@dataclass
class Finished:
    harness: Harness
    channel_id: str

    @property
    def alice(self) -> Person:
        return self.harness.alice

    async def reminders(self) -> list[dict[str, Any]]:
        return [p for p in await self.alice.channel_posts(self.channel_id) if REMINDER in p["message"]]

    async def later(self, span: timedelta) -> None:
        self.harness.clock.advance(span)
        await self.harness.tick()

    async def open_form(self) -> dict[str, Any]:
        response = await self.harness.command(self.alice, "/playbook retro", channel_id=self.channel_id)
        assert response.get("text", "") == ""
        return await self.alice.next_dialog()

    async def submit(self, dialog: dict[str, Any], **fields: str) -> dict[str, Any]:
        response = await self.alice.submit_dialog(dialog, fields, channel_id=self.channel_id)
        await self.harness.settle()
        return response

    async def timeline(self) -> str:
        response = await self.harness.command(self.alice, "/playbook timeline", channel_id=self.channel_id)
        return str(response["text"])


@pytest.fixture
async def finished(harness: Harness) -> Finished:
    """Alice started “Database down” and finished it with tasks open."""
    await seed_playbook(harness)
    channel_id = await start_run(harness, "Incident Response", "Database down")
    await finish(harness, channel_id)
    return Finished(harness, channel_id)


def fields_of(dialog: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {element["name"]: element for element in dialog["dialog"]["elements"]}


async def test_reminders_repeat_until_the_retrospective_is_published(finished: Finished) -> None:
    assert await finished.harness.tick() == 0
    assert await finished.reminders() == []

    await finished.later(HOUR)
    (reminder,) = await finished.reminders()
    assert reminder["message"].startswith("@alice, please fill in the retrospective for **INC-00001")
    button = reminder["props"]["attachments"][0]["actions"][0]
    assert button["name"] == "Fill in the retrospective"
    await finished.later(HOUR)
    assert len(await finished.reminders()) == 2

    dialog = await finished.open_form()
    fields = fields_of(dialog)
    assert fields["report"]["default"] == TEMPLATE
    assert [fields[f"metric_{i}"]["display_name"] for i in range(3)] == [m.title for m in METRICS]
    assert all(fields[f"metric_{i}"]["default"] == "" for i in range(3))

    response = await finished.submit(
        dialog, metric_0="2 weeks", metric_1="-5", metric_2="many", report="The disk filled up."
    )
    assert response["errors"] == {
        "metric_0": "Use days, hours and minutes, e.g. 2d 4h 30m.",
        "metric_1": "Amounts can't be negative.",
        "metric_2": "Use a whole number like 42.",
    }
    assert "Retrospective" not in (await finished.alice.channel_posts(finished.channel_id))[-1]["message"]

    response = await finished.submit(
        dialog, metric_0="2d 4h 30m", metric_1="1,250.50", metric_2="12", report="The disk filled up."
    )
    assert response == {}
    post = (await finished.alice.channel_posts(finished.channel_id))[-1]["message"]
    assert post.startswith("#### Retrospective: INC-00001 · Incident: Database down")
    assert "@alice published the retrospective." in post
    assert "The disk filled up." in post
    assert "| Time to resolve | 2d 4h 30m | 1d |" in post
    assert "| Cost | 1,250.50 | 500 |" in post
    assert "| Customers affected | 12 | 10 |" in post
    town_square = await finished.alice.channel_posts(finished.harness.town_square_id)
    assert town_square[-1]["message"] == post
    assert "@alice published the retrospective" in await finished.timeline()

    await finished.later(5 * HOUR)
    assert len(await finished.reminders()) == 2


async def test_republishing_edits_the_posts_in_place(finished: Finished) -> None:
    await finished.later(HOUR)
    (reminder,) = await finished.reminders()
    dialog = await finished.open_form()
    await finished.submit(dialog, metric_0="90m", metric_1="", metric_2="3", report="First take.")
    first = (await finished.alice.channel_posts(finished.channel_id))[-1]
    assert "| Cost | — | 500 |" in first["message"]

    await finished.alice.click(reminder["id"], "fillretro")
    dialog = await finished.alice.next_dialog()
    fields = fields_of(dialog)
    assert fields["report"]["default"] == "First take."
    assert [fields[f"metric_{i}"]["default"] for i in range(3)] == ["1h 30m", "", "3"]
    assert dialog["dialog"]["submit_label"] == "Update"
    await finished.submit(dialog, metric_0="1h30m", metric_1="99.9", metric_2="3", report="Second take.")

    edited = await finished.alice.get_post(first["id"])
    assert "@alice updated the retrospective." in edited["message"]
    assert "Second take." in edited["message"]
    assert "| Cost | 99.90 | 500 |" in edited["message"]
    posts = await finished.alice.channel_posts(finished.channel_id)
    assert sum(p["message"].startswith("#### Retrospective") for p in posts) == 1
    assert (await finished.timeline()).count("published the retrospective") == 2


async def test_restoring_keeps_the_retrospective_and_finishing_again_does_not_remind(
    finished: Finished,
) -> None:
    dialog = await finished.open_form()
    await finished.submit(dialog, metric_0="1d", metric_1="10", metric_2="1", report="Kept.")
    await finished.harness.command(finished.alice, "/playbook restore", channel_id=finished.channel_id)
    await finished.harness.settle()
    response = await finished.harness.command(
        finished.alice, "/playbook retro", channel_id=finished.channel_id
    )
    assert response["text"].startswith("Finish the run first")

    await finish(finished.harness, finished.channel_id)
    await finished.later(3 * HOUR)
    assert await finished.reminders() == []
    dialog = await finished.open_form()
    assert fields_of(dialog)["report"]["default"] == "Kept."


async def test_restoring_before_publishing_stops_the_reminders(finished: Finished) -> None:
    await finished.harness.command(finished.alice, "/playbook restore", channel_id=finished.channel_id)
    await finished.harness.settle()
    await finished.later(3 * HOUR)
    assert await finished.reminders() == []


async def test_a_playbook_without_retrospective_neither_reminds_nor_opens_the_form(harness: Harness) -> None:
    await seed_playbook(harness, retrospective=False, title="Quiet")
    channel_id = await start_run(harness, "Quiet", "Calm day")
    await finish(harness, channel_id)
    harness.clock.advance(3 * HOUR)
    await harness.tick()
    posts = await harness.alice.channel_posts(channel_id)
    assert not any(REMINDER in p["message"] for p in posts)
    response = await harness.command(harness.alice, "/playbook retro", channel_id=channel_id)
    assert response["text"].startswith("The retrospective is off for this run's playbook.")


async def test_retro_outside_a_run_channel_says_so(harness: Harness) -> None:
    response = await harness.command(harness.alice, "/playbook retro")
    assert response["text"] == "This command only works in a run's channel."
    assert json.dumps(response)  # a plain ephemeral answer, nothing opened
