"""Replicas killed mid-work (SIGKILL), and the simulator restarted under two replicas.

A killed replica never says what it was doing, so the work must be findable by the others:
a run is completed by the next replica that starts, and a claimed job (a webhook delivery, a
status update's delivery) is taken over once its lease has passed on the shared clock. Each
piece of work ends complete, with nothing done twice that Mattermost or a receiver would show.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from bot.domain.playbook_settings import WebhookSettings
from bot.scheduler import LEASE
from mattermost_sim.client_answers import MattermostError
from tests.waiting import eventually

from .conftest import World
from .harness import Replica, WebhookReceiver

POSTS = r"/api/v4/posts$"
START = '/playbook run "Incident Response" DB down'
RUN_CHANNEL = "inc-00001-incident-db-down"
RUN_POSTS = 6  # welcome, overview, four checklists
HANG_S = 2.0


async def run_channel(world: World) -> dict[str, Any] | None:
    """The run's channel as alice sees it, once she is in it."""
    try:
        channel: dict[str, Any] = await world.alice.channel_by_name(world.team_id, RUN_CHANNEL)
    except MattermostError:
        return None
    return channel


async def wait_for_posts(world: World, count: int) -> list[dict[str, Any]]:
    """Wait until the run channel has at least ``count`` bot posts; those posts."""

    async def enough() -> bool:
        channel = await run_channel(world)
        return channel is not None and len(await world.bot_posts(channel["id"])) >= count

    await eventually(enough, within=15, what=f"{count} posts in the run channel")
    channel = await run_channel(world)
    assert channel is not None
    return await world.bot_posts(channel["id"])


async def assert_complete_run(world: World) -> None:
    """One run channel with each of its posts exactly once, once Mattermost has answered every
    request made so far (a killed replica's post may still be on its way)."""
    await world.settled()
    run_channels = [c.name for c in world.sim.state.channels.values() if c.name.startswith("inc-")]
    assert run_channels == [RUN_CHANNEL]
    posts = await wait_for_posts(world, RUN_POSTS)
    messages = [p["message"] for p in posts if p["message"] and not p["root_id"]]
    assert len(messages) == RUN_POSTS, messages
    assert len(set(messages)) == RUN_POSTS, messages


async def kill(replica: Replica) -> None:
    """SIGKILL the replica and wait until it is gone."""
    replica.kill()
    async with asyncio.timeout(5):
        await replica.process.wait()


async def test_a_replica_killed_while_starting_a_run_leaves_a_complete_run(world: World) -> None:
    (first,) = await world.replicas.start("a")
    await world.incident_playbook()
    world.sim.faults.add_latency(0.4, method="POST", path_pattern=POSTS)
    await world.command(world.alice, START)
    await wait_for_posts(world, 1)
    await kill(first)
    world.sim.faults.clear()
    # The next replica to start completes the run's set-up; nothing is posted twice.
    await world.start_completing_runs("b")
    await wait_for_posts(world, RUN_POSTS)
    await assert_complete_run(world)


async def test_a_webhook_whose_sender_was_killed_is_delivered_by_another_replica(world: World) -> None:
    receiver = WebhookReceiver(holding=True)
    await receiver.start()
    try:
        (first,) = await world.replicas.start("a")
        await world.incident_playbook(creation_webhooks=WebhookSettings(urls=(receiver.url,), enabled=True))
        await world.command(world.alice, START)

        async def arrived() -> bool:
            return bool(receiver.requests)

        await eventually(arrived, within=15, what="the webhook to arrive")
        await kill(first)  # mid-delivery: the receiver has the request, the sender never hears back
        receiver.release()
        await world.start_completing_runs("b")
        world.replicas.advance(LEASE + timedelta(seconds=1))

        async def redelivered() -> bool:
            return len(receiver.requests) >= 2

        await eventually(redelivered, within=10, what="the delivery to be taken over")
        await world.settled()  # the delivery's job is done: a third attempt would have come
        # Both attempts are the same delivery: same id, same body, so receivers can de-duplicate.
        assert len(receiver.requests) == 2
        (delivery, first_body), (again, second_body) = receiver.requests
        assert delivery
        assert delivery == again
        assert first_body == second_body
        await assert_complete_run(world)
    finally:
        await receiver.stop()


async def test_a_status_update_whose_poster_was_killed_is_posted_once(world: World) -> None:
    (first,) = await world.replicas.start("a")
    await world.incident_playbook()
    await world.command(world.alice, START)
    await wait_for_posts(world, RUN_POSTS)
    channel = await run_channel(world)
    assert channel is not None
    await world.command(world.alice, "/playbook update", channel_id=channel["id"])
    opened = await world.alice.next_dialog(timeout=10)
    reminder = next(e for e in opened["dialog"]["elements"] if e["name"] == "reminder")
    # The update's post hangs in Mattermost; the replica is killed before it hears back.
    world.sim.faults.hang(HANG_S, count=1, method="POST", path_pattern=POSTS)
    submitted = asyncio.create_task(
        world.alice.submit_dialog(
            opened, {"message": "Mitigated: traffic moved", "reminder": reminder.get("default", "")}
        )
    )

    def hanging() -> bool:  # Mattermost took the post in (the fault is used up) and holds it
        return not any(rule.kind == "hang" for rule in world.sim.faults.rules)

    await eventually(hanging, "the update's post to reach Mattermost")
    await kill(first)
    await asyncio.gather(submitted, return_exceptions=True)
    await world.replicas.start("b")

    def went_through() -> bool:  # the hung post went through after all
        return any(r.end - r.start >= HANG_S for r in world.sim.faults.requests(POSTS))

    await eventually(went_through, "Mattermost to answer the hung post")
    # The update's delivery job (its safety net) falls due; the other replica completes it.
    world.replicas.advance(LEASE + timedelta(seconds=1))

    async def update_posted() -> bool:
        posts = await world.bot_posts(channel["id"])
        return any("Mitigated: traffic moved" in str(p) for p in posts)

    await eventually(update_posted, within=10, what="the status update in the run channel")
    await world.settled()  # the delivery job is done: a second post would show
    posts = await world.bot_posts(channel["id"])
    assert sum("Mitigated: traffic moved" in str(p) for p in posts) == 1


async def test_two_replicas_after_a_simulator_restart_prompt_once_per_message(world: World) -> None:
    await world.replicas.start("a", "b")
    await world.replicas.wait_listening(world.bot_id, 2)
    await world.incident_playbook()
    await world.sim.restart()
    await world.replicas.wait_listening(world.bot_id, 2, within=20)
    await world.alice.listen()
    roots = [
        (await world.alice.post(world.town_square_id, f"sev-2 number {n}: search is slow"))["id"]
        for n in range(3)
    ]

    async def prompted() -> bool:
        posts = await world.bot_posts(world.town_square_id)
        return all(any(p["root_id"] == root for p in posts) for root in roots)

    await eventually(prompted, within=15, what="a keyword prompt per message")
    await world.keyword_messages_handled()  # both replicas are done with the messages
    posts = await world.bot_posts(world.town_square_id)
    assert [sum(p["root_id"] == root for p in posts) for root in roots] == [1, 1, 1]
