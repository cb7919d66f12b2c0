"""Status updates as people use them: the dialog, delivery everywhere once, reminders, snoozes,
followers, the to-do list and the morning digest — with time driven by the harness's clock.

Everything goes through Mattermost's API; the only set-up done directly is what an admin would
do (adding bob to the team, setting alice's time zone) and seeding the playbook.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from bot.domain.status import next_morning
from mattermost_sim.client import Person

from .conftest import Harness
from .test_run_interactions import ephemeral, seed_incident_playbook

UPDATE_HEADING = "#### Status update:"
REMINDER_TEXT = "please post a status update"


@dataclass
class UpdateWorld:
    """Alice's started “Database down” run (status updates every hour, broadcast to town square)."""

    harness: Harness
    channel_id: str
    overview_id: str
    bot_id: str

    @property
    def alice(self) -> Person:
        return self.harness.alice

    async def command(self, text: str, person: Person | None = None) -> dict[str, Any]:
        response = await self.harness.command(person or self.alice, text, channel_id=self.channel_id)
        await self.harness.settle()
        return response

    async def bot_posts(self, channel_id: str, containing: str) -> list[dict[str, Any]]:
        posts = await self.alice.channel_posts(channel_id)
        return [p for p in posts if p["user_id"] == self.bot_id and containing in _text(p)]

    async def dm_posts(self, person: Person, containing: str) -> list[dict[str, Any]]:
        direct = await person.direct_channel_with(self.bot_id)
        posts = await person.channel_posts(direct["id"])
        return [p for p in posts if p["user_id"] == self.bot_id and containing in _text(p)]

    async def overview_field(self, title: str) -> str:
        attachment = (await self.alice.get_post(self.overview_id))["props"]["attachments"][0]
        return next((str(f["value"]) for f in attachment["fields"] if f["title"] == title), "")

    async def reminders(self) -> list[dict[str, Any]]:
        return await self.bot_posts(self.channel_id, REMINDER_TEXT)

    async def advance(self, delta: timedelta) -> None:
        self.harness.clock.advance(delta)
        await self.harness.tick()

    async def post_update(self, text: str, reminder: str = "1h", person: Person | None = None) -> None:
        person = person or self.alice
        await self.command("/playbook update", person)
        dialog = await person.next_dialog()
        submission = {"message": text, "reminder": reminder}
        assert await person.submit_dialog(dialog, submission, channel_id=self.channel_id) == {}
        await self.harness.settle()


def _text(post: dict[str, Any]) -> str:
    attachments = post.get("props", {}).get("attachments", [])
    return "\n".join([post.get("message", ""), *(str(a.get("text", "")) for a in attachments)])


@pytest.fixture
async def world(harness: Harness) -> UpdateWorld:
    return await start_update_world(harness)


async def start_update_world(harness: Harness, *, seeded: bool = False) -> UpdateWorld:
    """Alice starts “Database down” of the incident playbook (seeded here unless ``seeded``);
    the world around the run."""
    if not seeded:
        await seed_incident_playbook(harness)
    await harness.command(harness.alice, '/playbook run "Incident Response" Database down')
    await harness.settle()
    channels = await harness.alice.my_channels(harness.team_id)
    channel = next(c for c in channels if "database-down" in c["name"])
    assert harness.bot.services is not None
    bot_id = harness.bot.services.bot.id
    posts = await harness.alice.channel_posts(channel["id"])
    overview = next(p for p in posts if p["user_id"] == bot_id and p["message"].startswith("#### INC-"))
    return UpdateWorld(harness, channel["id"], overview["id"], bot_id)


@pytest.fixture
async def bob(world: UpdateWorld) -> AsyncIterator[Person]:
    """Bob is on the team (as an admin would set up) and has joined the public run channel, and so
    the run."""
    await world.harness.mattermost.add_user("bob", team_ids=[world.harness.team_id])
    async with world.harness.person("bob") as person:
        await person.listen()
        await person.join(world.channel_id)
        yield person


# Posting an update ----------------------------------------------------------------------------------


async def test_the_dialog_is_prefilled_with_the_template_and_the_playbooks_interval(
    world: UpdateWorld,
) -> None:
    response = await world.command("/playbook update")
    assert response.get("text", "") == ""
    dialog = (await world.alice.next_dialog())["dialog"]
    fields = {element["name"]: element for element in dialog["elements"]}
    assert fields["message"]["default"].startswith("**Current status:**")
    assert fields["reminder"]["default"] == "1h"
    assert "broadcast to 1 channel." in dialog["introduction_text"]


async def test_an_update_reaches_the_channel_each_broadcast_channel_and_each_follower_once(
    world: UpdateWorld, bob: Person
) -> None:
    response = await world.command("/playbook follow", bob)
    assert response["text"].startswith("You now follow **INC-00001")

    await world.post_update("Rolled back the deploy; errors are down.", reminder="30m")

    text = "Rolled back the deploy"
    assert len(await world.bot_posts(world.channel_id, text)) == 1
    assert len(await world.bot_posts(world.harness.town_square_id, text)) == 1
    assert len(await world.dm_posts(bob, text)) == 1
    assert await world.dm_posts(world.alice, text) == []  # the author is not sent her own update
    post = (await world.bot_posts(world.channel_id, text))[0]
    assert post["message"].startswith(UPDATE_HEADING)
    assert post["props"]["attachments"][0]["author_name"] == "@alice posted an update"
    assert "Rolled back" in await world.overview_field("Last update")
    assert (await world.overview_field("Next update")).startswith("due in 30 min")
    assert "@alice posted a status update" in (await world.command("/playbook timeline"))["text"]

    # The delivery job, due a little later as a safety net, finds everything delivered.
    await world.advance(timedelta(minutes=5))
    assert len(await world.bot_posts(world.channel_id, text)) == 1
    assert len(await world.bot_posts(world.harness.town_square_id, text)) == 1
    assert len(await world.dm_posts(bob, text)) == 1

    # The next dialog starts from the last update and its interval.
    await world.command("/playbook update")
    fields = {e["name"]: e for e in (await world.alice.next_dialog())["dialog"]["elements"]}
    assert fields["message"]["default"] == "Rolled back the deploy; errors are down."
    assert fields["reminder"]["default"] == "30m"


async def test_unfollowing_stops_the_direct_messages(world: UpdateWorld, bob: Person) -> None:
    await world.command("/playbook follow", bob)
    assert (await world.command("/playbook unfollow", bob))["text"].startswith("You no longer follow")
    await world.post_update("Second opinion requested.")
    assert await world.dm_posts(bob, "Second opinion") == []


async def test_whoever_joins_the_channel_may_post_updates(world: UpdateWorld, bob: Person) -> None:
    response = await world.command("/playbook update", bob)
    assert response.get("text", "") == ""
    assert (await bob.next_dialog())["dialog"]["title"]


async def test_bad_dialog_input_keeps_the_dialog_open(world: UpdateWorld) -> None:
    await world.command("/playbook update")
    dialog = await world.alice.next_dialog()
    answer = await world.alice.submit_dialog(
        dialog, {"message": "ok", "reminder": "custom", "reminder_custom": "soonish"}
    )
    assert "is not a reminder interval" in answer["errors"]["reminder_custom"]
    answer = await world.alice.submit_dialog(dialog, {"message": " ", "reminder": "1h"})
    assert "message" in answer["errors"]
    assert await world.bot_posts(world.channel_id, UPDATE_HEADING) == []


async def test_a_form_submitted_twice_posts_one_update(world: UpdateWorld) -> None:
    await world.command("/playbook update")
    dialog = await world.alice.next_dialog()
    submission = {"message": "Failover done.", "reminder": "1h"}
    answers = await asyncio.gather(
        world.alice.submit_dialog(dialog, submission, channel_id=world.channel_id),
        world.alice.submit_dialog(dialog, submission, channel_id=world.channel_id),
    )
    assert answers == [{}, {}]
    await world.alice.submit_dialog(dialog, submission, channel_id=world.channel_id)
    await world.harness.settle()
    assert len(await world.bot_posts(world.channel_id, "Failover done.")) == 1


async def test_a_corrected_form_goes_through_after_its_errors(world: UpdateWorld) -> None:
    await world.command("/playbook update")
    dialog = await world.alice.next_dialog()
    refused = await world.alice.submit_dialog(dialog, {"message": " ", "reminder": "1h"})
    assert "message" in refused["errors"]
    corrected = {"message": "Now with text.", "reminder": "1h"}
    assert await world.alice.submit_dialog(dialog, corrected, channel_id=world.channel_id) == {}
    await world.harness.settle()
    assert len(await world.bot_posts(world.channel_id, "Now with text.")) == 1


async def test_a_custom_interval_and_no_reminder(world: UpdateWorld) -> None:
    await world.command("/playbook update")
    dialog = await world.alice.next_dialog()
    submission = {"message": "Custom", "reminder": "custom", "reminder_custom": "2h30m"}
    assert await world.alice.submit_dialog(dialog, submission, channel_id=world.channel_id) == {}
    await world.harness.settle()
    assert (await world.overview_field("Next update")).startswith("due in 2 h 30 min")

    await world.post_update("Nothing more to report.", reminder="none")
    assert await world.overview_field("Next update") == ""
    await world.advance(timedelta(days=2))
    assert await world.reminders() == []


# Reminders -----------------------------------------------------------------------------------------


async def test_a_reminder_fires_can_be_snoozed_and_stops_when_the_run_finishes(world: UpdateWorld) -> None:
    await world.advance(timedelta(minutes=59))
    assert await world.reminders() == []
    await world.advance(timedelta(minutes=1))
    reminders = await world.reminders()
    assert len(reminders) == 1
    assert reminders[0]["message"].startswith("@alice, please post a status update for **INC-00001")
    assert (await world.overview_field("Next update")).startswith("**OVERDUE**")
    await world.advance(timedelta(hours=3))
    assert len(await world.reminders()) == 1  # asked once; the run stays overdue

    await world.alice.click(reminders[0]["id"], "snooze1h")
    await ephemeral(world.alice, "Snoozed: I'll ask again")
    await world.harness.settle()
    assert "snoozed the status update reminder" in (await world.command("/playbook timeline"))["text"]
    assert (await world.overview_field("Next update")).startswith("due in 1 h")

    await world.advance(timedelta(minutes=59))
    assert len(await world.bot_posts(world.channel_id, REMINDER_TEXT)) == 0  # the snoozed one was edited
    await world.advance(timedelta(minutes=1))
    reminders = await world.reminders()
    assert len(reminders) == 1

    # Finishing stops the reminders.
    await world.alice.click(world.overview_id, "finish")
    dialog = await world.alice.next_dialog()
    assert await world.alice.submit_dialog(dialog, {}, channel_id=world.channel_id) == {}
    await world.harness.settle()
    await world.advance(timedelta(days=3))
    assert len(await world.reminders()) == 1


async def test_the_reminders_post_update_button_opens_the_dialog(world: UpdateWorld) -> None:
    await world.advance(timedelta(hours=1))
    reminder = (await world.reminders())[0]
    await world.alice.click(reminder["id"], "postupdate")
    dialog = await world.alice.next_dialog()
    assert dialog["dialog"]["title"] == "Status update"
    submission = {"message": "Back to normal.", "reminder": "4h"}
    assert await world.alice.submit_dialog(dialog, submission, channel_id=world.channel_id) == {}
    await world.harness.settle()
    assert (await world.overview_field("Next update")).startswith("due in 4 h")
    await world.advance(timedelta(hours=3, minutes=59))
    assert len(await world.reminders()) == 1
    await world.advance(timedelta(minutes=1))
    assert len(await world.reminders()) == 2


async def test_a_reminder_due_while_the_bot_was_stopped_is_sent_once_after_restart(
    world: UpdateWorld,
) -> None:
    harness = world.harness
    async with harness.restarted(timedelta(hours=2)):
        assert await harness.tick() >= 1
        assert len(await world.reminders()) == 1
        await harness.tick()
        await world.advance(timedelta(minutes=30))
        assert len(await world.reminders()) == 1


# Todo and digest ------------------------------------------------------------------------------------


async def test_todo_lists_overdue_updates_then_tasks_overdue_first(world: UpdateWorld) -> None:
    await world.command("/playbook assign 4 1 me")  # due in 2 days
    await world.command("/playbook assign 1 2 me")  # due in 15 minutes
    await world.advance(timedelta(hours=1, minutes=10))

    text = (await world.command("/playbook todo"))["text"]
    order = [
        "Overdue status updates",
        "Incident: Database down** in ~",
        "Your open tasks",
        "1.2 Page the on-call engineer",
        "4.1 Schedule the post-incident review",
        "1.1 Take ownership of the incident",
    ]
    positions = [text.index(part) for part in order]
    assert positions == sorted(positions), text
    assert "**overdue** by 55 min" in text


async def test_the_digest_comes_once_each_morning_in_the_persons_time_zone(world: UpdateWorld) -> None:
    harness = world.harness
    await harness.mattermost.set_timezone("alice", "Europe/Paris")
    response = await world.command("/playbook settings digest on")
    assert "08:00 (Europe/Paris)" in response["text"]
    morning = next_morning(harness.clock(), "Europe/Paris")

    await world.advance(morning - harness.clock() - timedelta(minutes=1))
    assert await world.dm_posts(world.alice, "Playbooks digest") == []
    await world.advance(timedelta(minutes=1))
    digests = await world.dm_posts(world.alice, "Playbooks digest")
    assert len(digests) == 1
    assert "Overdue status updates" in digests[0]["message"]
    assert "Take ownership of the incident" in digests[0]["message"]
    await harness.tick()
    await world.advance(timedelta(hours=1))
    assert len(await world.dm_posts(world.alice, "Playbooks digest")) == 1

    await world.advance(timedelta(days=1))
    assert len(await world.dm_posts(world.alice, "Playbooks digest")) == 2
    assert (await world.command("/playbook settings digest off"))["text"] == "Your daily digest is off."
    await world.advance(timedelta(days=1))
    assert len(await world.dm_posts(world.alice, "Playbooks digest")) == 2


async def test_settings_explains_its_usage(world: UpdateWorld) -> None:
    response = await world.command("/playbook settings digest maybe")
    assert response["text"] == (
        "Usage: `/playbook settings` in a run's channel, or `/playbook settings digest on|off`"
    )


async def test_todo_lists_the_runs_you_are_in(world: UpdateWorld) -> None:
    harness = world.harness
    text = (await world.command("/playbook todo"))["text"]
    assert "##### Your runs in progress" in text
    assert "- **INC-00001 · Incident: Database down** in ~" in text
    assert "— 0/13 done · you own it" in text

    await harness.mattermost.add_user("bob", team_ids=[harness.team_id])
    async with harness.person("bob") as bob:
        await bob.join(harness.town_square_id)
        before = (await harness.command(bob, "/playbook todo"))["text"]
        assert "You take part in no run in progress." in before
        await world.command("/playbook add @bob")
        after = (await harness.command(bob, "/playbook todo"))["text"]
    assert "- **INC-00001 · Incident: Database down** in ~" in after
    assert "you own it" not in after
