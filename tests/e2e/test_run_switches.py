"""A run's own switches, as people use them: ``/playbook settings`` in the run channel turns status
updates, broadcasts and the retrospective off or on for that run alone; the update form can also
finish the run.

Everything goes through Mattermost's API; time moves with the harness's clock.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bot.render.run_replies import NOT_IN_RUN_CHANNEL
from bot.services.run_access import OWNER_ONLY_FINISH
from mattermost_sim.client import Person

from .conftest import Harness
from .test_retrospectives import REMINDER as RETRO_REMINDER
from .test_retrospectives import finish, seed_playbook, start_run
from .test_run_interactions import seed_incident_playbook
from .test_status_updates import UPDATE_HEADING, UpdateWorld, start_update_world

SWITCHES = ("status_updates", "broadcasts", "retrospective")


@pytest.fixture
async def world(harness: Harness) -> UpdateWorld:
    """Alice's run of the incident playbook: updates hourly, broadcast to town square."""
    return await start_update_world(harness)


async def open_settings(harness: Harness, channel_id: str, person: Person | None = None) -> dict[str, Any]:
    """``/playbook settings`` in the run channel; the dialog that opened."""
    person = person or harness.alice
    response = await harness.command(person, "/playbook settings", channel_id=channel_id)
    assert response.get("text", "") == ""
    return await person.next_dialog()


async def save_settings(harness: Harness, channel_id: str, **changes: bool) -> None:
    """Open the form, keep what is prefilled but ``changes``, and save."""
    dialog = await open_settings(harness, channel_id)
    prefilled = {e["name"]: e["default"] == "true" for e in dialog["dialog"]["elements"]}
    submission = prefilled | changes
    answer = await harness.alice.submit_dialog(dialog, submission, channel_id=channel_id)
    assert answer == {}
    await harness.settle()


async def overview_actions(world: UpdateWorld) -> list[str]:
    attachment = (await world.alice.get_post(world.overview_id))["props"]["attachments"][0]
    return [action["name"] for action in attachment.get("actions", [])]


async def test_the_form_is_prefilled_with_the_runs_switches(world: UpdateWorld) -> None:
    dialog = (await open_settings(world.harness, world.channel_id))["dialog"]
    elements = {e["name"]: e for e in dialog["elements"]}
    assert [(name, elements[name]["type"], elements[name]["default"]) for name in SWITCHES] == [
        ("status_updates", "bool", "true"),
        ("broadcasts", "bool", "true"),
        ("retrospective", "bool", "true"),
    ]
    assert "1 channel" in elements["broadcasts"]["help_text"]


async def test_status_updates_off_for_one_run_stop_reminders_and_refuse_updates(world: UpdateWorld) -> None:
    harness = world.harness
    await save_settings(harness, world.channel_id, status_updates=False)

    assert (
        "@alice turned status updates off for this run" in (await world.command("/playbook timeline"))["text"]
    )
    assert await world.bot_posts(world.channel_id, "turned status updates off for this run.")
    assert "Post update" not in await overview_actions(world)
    assert await world.overview_field("Next update") == ""
    assert await world.overview_field("Status updates") == "off for this run"
    response = await world.command("/playbook update")
    assert response["text"] == (
        "Status updates are off for this run, so there is no update to post. "
        "A participant can turn them on for this run with `/playbook settings`."
    )
    await world.advance(timedelta(hours=2))
    assert await world.reminders() == []
    reopened = (await open_settings(harness, world.channel_id))["dialog"]["elements"]
    assert reopened[0]["default"] == "false"  # the form shows the run's switch, not the playbook's

    # On again: the next reminder is one interval away, and updates can be posted.
    await save_settings(harness, world.channel_id, status_updates=True)
    assert (await world.overview_field("Next update")).startswith("due in 1 h")
    assert "Post update" in await overview_actions(world)
    assert await world.overview_field("Status updates") == ""
    await world.post_update("Back on track.")
    assert len(await world.bot_posts(world.channel_id, "Back on track.")) == 1


async def test_broadcasts_off_keep_updates_and_the_finish_in_the_run_channel(world: UpdateWorld) -> None:
    await save_settings(world.harness, world.channel_id, broadcasts=False)
    await world.command("/playbook update")
    intro = (await world.alice.next_dialog())["dialog"]["introduction_text"]
    assert "broadcast" not in intro
    await world.post_update("Only for the run channel.")
    assert len(await world.bot_posts(world.channel_id, "Only for the run channel.")) == 1
    assert await world.bot_posts(world.harness.town_square_id, "Only for the run channel.") == []


async def test_the_update_form_can_also_finish_the_run(world: UpdateWorld) -> None:
    await world.command("/playbook update")
    dialog = await world.alice.next_dialog()
    finish_field = next(e for e in dialog["dialog"]["elements"] if e["name"] == "finish")
    assert (finish_field["type"], finish_field["default"]) == ("bool", "false")
    submission = {"message": "All clear, closing.", "reminder": "1h", "finish": True}
    assert await world.alice.submit_dialog(dialog, submission, channel_id=world.channel_id) == {}
    await world.harness.settle()

    assert await world.overview_field("Status") == "Finished"
    posts = await world.alice.channel_posts(world.channel_id)
    update = next(i for i, p in enumerate(posts) if p["message"].startswith(UPDATE_HEADING))
    summary = next(i for i, p in enumerate(posts) if p["message"].startswith("#### Run finished"))
    assert update < summary  # the update first, then the finish
    assert "All clear, closing." in str(posts[update]["props"])
    await world.advance(timedelta(hours=2))
    assert await world.reminders() == []


async def test_finishing_from_the_update_form_needs_the_right_to_finish(harness: Harness) -> None:
    await seed_incident_playbook(harness, owner_group_only_actions=True)
    world = await start_update_world(harness, seeded=True)
    await harness.mattermost.add_user("bob", team_ids=[harness.team_id])
    await world.command("/playbook add @bob")
    async with harness.person("bob") as bob:
        await bob.listen()
        await world.command("/playbook update", bob)
        dialog = await bob.next_dialog()
        submission = {"message": "Closing it myself.", "reminder": "1h", "finish": True}
        answer = await bob.submit_dialog(
            dialog, submission, channel_id=world.channel_id, team_id=harness.team_id
        )
    assert answer["error"] == OWNER_ONLY_FINISH
    await harness.settle()
    assert await world.bot_posts(world.channel_id, "Closing it myself.") == []
    assert await world.overview_field("Status") == "In progress"


async def test_an_unticked_finish_only_posts_the_update(world: UpdateWorld) -> None:
    await world.post_update("Still working on it.")
    assert await world.overview_field("Status") == "In progress"


async def finished_with_retrospective(harness: Harness, *, playbook_has_it: bool, run_has_it: bool) -> str:
    """A run whose playbook has the retrospective on or off, switched for the run, then finished
    and left three hours; its channel."""
    title = "Loud" if playbook_has_it else "Quiet"
    await seed_playbook(harness, retrospective=playbook_has_it, title=title)
    channel_id = await start_run(harness, title, f"{title} day")
    await save_settings(harness, channel_id, retrospective=run_has_it)
    await finish(harness, channel_id)
    harness.clock.advance(timedelta(hours=3))
    await harness.tick()
    return channel_id


async def retro_reminded(harness: Harness, channel_id: str) -> bool:
    return any(RETRO_REMINDER in p["message"] for p in await harness.alice.channel_posts(channel_id))


async def test_the_retrospective_can_be_turned_on_for_one_run(harness: Harness) -> None:
    channel_id = await finished_with_retrospective(harness, playbook_has_it=False, run_has_it=True)
    assert await retro_reminded(harness, channel_id)
    response = await harness.command(harness.alice, "/playbook retro", channel_id=channel_id)
    assert response.get("text", "") == ""
    assert (await harness.alice.next_dialog())["dialog"]["title"]


async def test_the_retrospective_turned_off_for_one_run_is_never_asked_for(harness: Harness) -> None:
    channel_id = await finished_with_retrospective(harness, playbook_has_it=True, run_has_it=False)
    assert not await retro_reminded(harness, channel_id)
    response = await harness.command(harness.alice, "/playbook retro", channel_id=channel_id)
    assert response["text"].startswith("The retrospective is off for this run.")


async def test_settings_outside_a_run_channel_say_where_it_works(harness: Harness) -> None:
    response = await harness.command(harness.alice, "/playbook settings")
    assert response["text"] == NOT_IN_RUN_CHANNEL
