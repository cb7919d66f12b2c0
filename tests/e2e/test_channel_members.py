"""A run's channel members are its participants, however they came and went.

People are added and removed the ordinary Mattermost way (API v4, as any client or admin tool
does), join and leave public channels themselves; the bot follows, on the run's timeline, also
for what happened while it was away.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.render.run_replies import NOT_IN_RUN_CHANNEL
from bot.services.run_changes import BOT_CANNOT_BE_ASSIGNED, BOT_CANNOT_OWN
from mattermost_sim.client import Person
from mattermost_sim.client_answers import MattermostError
from tests.waiting import eventually

from .conftest import Harness
from .test_listening import wait_for_reconnect
from .test_run_interactions import RunWorld, world
from .test_run_start import FIRST_CHANNEL, seed_incident_playbook

__all__ = ["world"]


@pytest.fixture
async def bob(world: RunWorld) -> AsyncIterator[Person]:
    """Bob, on the team, not (yet) in the run's channel."""
    await world.harness.mattermost.add_user("bob", team_ids=[world.harness.team_id])
    async with world.harness.person("bob") as person:
        await person.listen()
        yield person


async def test_someone_added_to_the_channel_through_the_api_can_check_a_task(
    world: RunWorld,
    bob: Person,
) -> None:
    await world.alice.add_to_channel(world.channel_id, await bob.my_id())
    # No waiting for the bot to hear of it: being in the channel is what counts.
    await bob.click(world.checklist_ids[0], "i1check")
    await world.harness.settle()

    assert "checked by @bob" in await world.item_text(1, 1)
    assert "@bob" in await world.overview_field("Participants")
    timeline = await world.timeline()
    assert timeline.count("@bob joined the channel") == 1
    assert timeline.index("@bob joined the channel") < timeline.index("@bob checked")


async def test_someone_removed_from_the_channel_leaves_the_run_and_is_refused(
    world: RunWorld,
    bob: Person,
) -> None:
    await world.alice.add_to_channel(world.channel_id, await bob.my_id())
    await world.harness.settle()
    await world.alice.remove_from_channel(world.channel_id, await bob.my_id())
    await world.harness.settle()

    assert "@bob" not in await world.overview_field("Participants")
    timeline = await world.timeline()
    assert timeline.index("@bob joined the channel") < timeline.index("@bob left the channel")
    with pytest.raises(MattermostError) as refused:
        await bob.click(world.checklist_ids[0], "i1check")
    assert refused.value.status == 403
    with pytest.raises(MattermostError):
        await world.harness.command(bob, "/playbook check 1 1", channel_id=world.channel_id)
    await world.harness.settle()
    assert (await world.item_text(1, 1)).startswith("☐")


async def test_joining_and_leaving_by_oneself_counts_the_same(
    world: RunWorld,
    bob: Person,
) -> None:
    await bob.join(world.channel_id)
    await world.harness.settle()
    response = await world.command("/playbook check 1 2", person=bob)
    assert response["text"] == "Checked 1.2 “Page the on-call engineer”."
    await bob.leave(world.channel_id)
    await world.harness.settle()
    assert "@bob" not in await world.overview_field("Participants")
    assert "@bob left the channel" in await world.timeline()


async def test_joins_and_leaves_while_the_bot_was_away_are_caught_up(
    world: RunWorld,
    bob: Person,
) -> None:
    harness = world.harness
    await harness.mattermost.add_user("carol", team_ids=[harness.team_id])
    bob_id, carol_id = await bob.my_id(), await harness.mattermost.user_id("carol")
    await world.alice.add_to_channel(world.channel_id, bob_id)
    await harness.settle()
    websocket = harness.bot.websocket
    assert websocket is not None
    before = websocket.reconnects

    # The server restarts and forgets the bot's connection: what happened meanwhile is only in REST.
    await harness.mattermost.restart()
    await world.alice.remove_from_channel(world.channel_id, bob_id)
    await world.alice.add_to_channel(world.channel_id, carol_id)
    await wait_for_reconnect(harness, before)

    async def caught_up() -> bool:
        participants = await world.overview_field("Participants")
        return "@carol" in participants and "@bob" not in participants

    await eventually(caught_up, "the run's participants to follow its channel's members")
    await harness.settle()
    timeline = await world.timeline()
    assert timeline.count("@bob left the channel") == 1
    assert timeline.count("@carol joined the channel") == 1


async def test_the_bot_is_never_the_owner_or_an_assignee(world: RunWorld) -> None:
    services = world.harness.bot.services
    assert services is not None
    bot_name = services.bot.username
    assert (await world.command(f"/playbook owner @{bot_name}"))["text"] == BOT_CANNOT_OWN
    assert (await world.command(f"/playbook assign 1 1 @{bot_name}"))["text"] == BOT_CANNOT_BE_ASSIGNED
    assert await world.overview_field("Owner") == "@alice"
    assert f"@{bot_name}" not in await world.item_text(1, 1)


async def test_in_a_private_run_only_the_channels_members_take_part(harness: Harness) -> None:
    await seed_incident_playbook(harness)  # private run channels
    await harness.command(harness.alice, '/playbook run "Incident Response" DB down')
    await harness.settle()
    channel = await harness.alice.channel_by_name(harness.team_id, FIRST_CHANNEL)
    await harness.mattermost.add_user("bob", team_ids=[harness.team_id])
    await harness.mattermost.add_user("carol", team_ids=[harness.team_id])
    async with harness.person("bob") as bob, harness.person("carol") as carol:
        with pytest.raises(MattermostError):  # carol cannot even find the channel
            await carol.join(channel["id"])
        await harness.alice.add_to_channel(channel["id"], await bob.my_id())
        response = await harness.command(bob, "/playbook check 1 1", channel_id=channel["id"])
        assert response["text"] == "Checked 1.1 “Take ownership of the incident”."
        await harness.settle()
        # In a channel of her own, carol is not told about the private run either.
        elsewhere = await carol.create_channel(harness.team_id, "carols", "Carol's")
        info = await harness.command(carol, "/playbook info", channel_id=elsewhere["id"])
        assert info["text"] == NOT_IN_RUN_CHANNEL
