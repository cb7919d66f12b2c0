"""Two replicas on one PostgreSQL database: commands and clicks reach either, work happens once.

Both replicas start together (the migrations and the slash command are set up once), then
alice works through the load balancer — so her commands and clicks land on both — while both
replicas hear every message and both poll for due jobs: each keyword prompt, each reminder
and each webhook still appears exactly once.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import replace
from datetime import timedelta
from functools import partial
from typing import Any

from bot.domain.playbook_settings import KeywordSettings, RetrospectiveSettings, WebhookSettings
from mattermost_sim.client_answers import MattermostError
from tests.waiting import eventually

from .conftest import World
from .harness import WebhookReceiver

COMMAND_PATH = "/mattermost/command"
ACTION_PATH = "/mattermost/action"
RUNS = 4
CHECKLIST_POSTS = 4  # the starter incident playbook's checklists
RETRO_INTERVAL = timedelta(hours=1)
STATUS_INTERVAL = timedelta(seconds=3600)  # the starter playbook's reminder timer
DUE_TASKS = 2  # the starter playbook's tasks due within the first hour


def channel_of(reply: str) -> str:
    """The channel name in "Started **…** in ~name." replies."""
    found = re.search(r"~([a-z0-9-]+)", reply)
    assert found, reply
    return found.group(1)


async def start_runs(world: World, count: int) -> list[dict[str, Any]]:
    """Start ``count`` runs by command; their channels, once every run is complete."""
    for number in range(1, count + 1):
        response = await world.command(world.alice, f'/playbook run "Incident Response" Outage {number}')
        assert response["text"].startswith("Starting a run"), response
    channels = []
    for number in range(1, count + 1):
        name = f"inc-{number:05d}-incident-outage-{number}"

        async def complete(name: str = name) -> bool:
            try:  # alice sees the private channel once the bot has added her
                channel = await world.alice.channel_by_name(world.team_id, name)
            except MattermostError:
                return False
            return len(await world.bot_posts(channel["id"])) == 2 + CHECKLIST_POSTS

        await eventually(complete, within=15, what=f"run {name} to be set up")
        channels.append(await world.alice.channel_by_name(world.team_id, name))
    return channels


async def test_two_replicas_share_the_work_and_do_each_thing_once(world: World) -> None:
    replicas = world.replicas
    await replicas.start("a", "b")
    await replicas.wait_listening(world.bot_id, 2)
    logs = replicas.logs()

    # Migrations ran once although both replicas started together; one /playbook command.
    upgrades = re.findall(r"Running upgrade\s+\S*\s*-> (\S+)", logs)
    assert upgrades, logs
    assert max(Counter(upgrades).values()) == 1, upgrades
    commands = [c for c in world.sim.state.commands.values() if c.trigger == "playbook" and not c.delete_at]
    assert len(commands) == 1
    assert commands[0].url == f"{replicas.proxy.url}{COMMAND_PATH}"

    # Commands go to both replicas; each run gets one channel and one of each post, and each
    # run's creation webhook is delivered once.
    receiver = WebhookReceiver()
    await receiver.start()
    try:
        await world.incident_playbook(creation_webhooks=WebhookSettings(urls=(receiver.url,), enabled=True))
        channels = await start_runs(world, RUNS)
        assert replicas.proxy.replicas_serving(COMMAND_PATH) == {"a", "b"}
        for channel in channels:
            posts = await world.bot_posts(channel["id"])
            messages = [p["message"] for p in posts]
            assert len(messages) == len(set(messages)) == 2 + CHECKLIST_POSTS, messages
        names = [c.name for c in world.sim.state.channels.values() if c.name.startswith("inc-")]
        assert len(names) == RUNS, names

        async def delivered() -> bool:
            return len(receiver.by_delivery()) >= RUNS

        await eventually(delivered, within=10, what="a creation webhook per run")
        await world.settled()  # a second delivery by the other replica would have arrived
        assert sorted(receiver.by_delivery().values()) == [1] * RUNS, receiver.by_delivery()
        run_ids = {json.loads(body)["run"]["id"] for _, body in receiver.requests}
        assert len(run_ids) == RUNS
    finally:
        await receiver.stop()

    # Clicks go to both replicas; each click checks its item once.
    for channel in channels:
        triage = (await world.bot_posts(channel["id"]))[2]
        check = triage["props"]["attachments"][0]["actions"][0]
        assert check["name"] == "Check"
        await world.alice.click(triage["id"], check["id"])
    assert replicas.proxy.replicas_serving(ACTION_PATH) == {"a", "b"}
    for channel in channels:
        await eventually(
            partial(progress_is, world, channel["id"], "1/"),
            within=10,
            what=f"the overview of {channel['name']} to count one item done",
        )

    # Every replica hears every message; each keyword message gets one prompt, also after the
    # websockets dropped and both replicas reconnected.
    await assert_one_prompt_per_message(world, "first")
    await world.sim.hub.drop_all("abort")
    await replicas.wait_listening(world.bot_id, 2)
    await assert_one_prompt_per_message(world, "after the drop")

    # Status reminders: both replicas poll for due jobs; each run's reminder is posted once.
    replicas.advance(STATUS_INTERVAL + timedelta(seconds=1))
    for channel in channels:
        await eventually(
            partial(status_reminders_are, world, channel["id"], 1),
            within=10,
            what=f"the status reminder in {channel['name']}",
        )
    await world.settled()  # a duplicate from the other replica would show up by now
    for channel in channels:
        assert await status_reminders_are(world, channel["id"], 1)
        # Tasks 1.2 and 1.3 fell due meanwhile (15 and 30 minutes in): each is announced once.
        assert await overdue_notices(world, channel["id"]) == DUE_TASKS

    # Reminders: finishing a run schedules its retrospective reminder; both replicas poll for
    # due jobs, yet each reminder is posted once, and once more at the next interval.
    quick = await world.incident_playbook(
        title="Quick fix",
        checklists=(),
        keywords=replace(KeywordSettings(), enabled=False),
        retrospective=replace(
            RetrospectiveSettings(),
            enabled=True,
            reminder_interval_seconds=int(RETRO_INTERVAL.total_seconds()),
        ),
    )
    finished = []
    for number in (1, 2):
        await world.command(world.alice, f'/playbook run "{quick.title}" Fix {number}')
        finished.append(await finish_run(world, f"Fix {number}"))
    for round_number in (1, 2):
        replicas.advance(RETRO_INTERVAL + timedelta(seconds=1))
        for channel in finished:
            await eventually(
                partial(reminders_are, world, channel["id"], round_number),
                within=10,
                what=f"retrospective reminder #{round_number} in {channel['name']}",
            )
    await world.settled()  # a duplicate from the other replica would show up by now
    for channel in finished:
        assert await reminders(world, channel["id"]) == 2


async def progress_is(world: World, channel_id: str, prefix: str) -> bool:
    """Whether the run overview's progress reads ``prefix…``."""
    overview = (await world.bot_posts(channel_id))[1]
    fields = {f["title"]: f["value"] for f in overview["props"]["attachments"][0]["fields"]}
    return str(fields["Progress"]).startswith(prefix)


async def assert_one_prompt_per_message(world: World, label: str) -> None:
    """Post keyword messages in town square; each gets exactly one prompt in its thread."""
    roots = []
    for number in range(3):
        post = await world.alice.post(world.town_square_id, f"sev-1 {label} #{number}: checkout is down")
        roots.append(post["id"])

    async def prompted() -> bool:
        replies = await thread_replies(world, roots)
        return all(replies[root] >= 1 for root in roots)

    await eventually(prompted, within=10, what=f"keyword prompts ({label})")
    # Once both replicas are done with the messages, a duplicate would show.
    await world.keyword_messages_handled()
    replies = await thread_replies(world, roots)
    assert all(replies[root] == 1 for root in roots), replies


async def thread_replies(world: World, roots: list[str]) -> Counter[str]:
    """How many bot replies each root post has."""
    posts = await world.bot_posts(world.town_square_id)
    return Counter(p["root_id"] for p in posts if p["root_id"] in roots)


async def finish_run(world: World, run_name: str) -> dict[str, Any]:
    """Wait for the channel of the run called ``run_name``, then finish the run; the channel."""

    def named() -> list[str]:
        return [c.name for c in world.sim.state.channels.values() if c.display_name.endswith(run_name)]

    async def set_up() -> bool:
        if not named():
            return False
        try:  # alice sees the private channel once the bot has added her
            channel = await world.alice.channel_by_name(world.team_id, named()[0])
        except MattermostError:
            return False
        return len(await world.bot_posts(channel["id"])) >= 1

    await eventually(set_up, within=10, what=f"the channel of {run_name}")
    channel = await world.alice.channel_by_name(world.team_id, named()[0])
    reply = await world.command(world.alice, "/playbook finish", channel_id=channel["id"])
    assert "finished" in reply["text"].lower(), reply
    return channel


async def overdue_notices(world: World, channel_id: str) -> int:
    """How many times the bot told a run's channel that a task is overdue."""
    posts = await world.bot_posts(channel_id)
    return sum(1 for p in posts if p["message"].startswith(":alarm_clock:"))


async def reminders(world: World, channel_id: str) -> int:
    """How many retrospective reminders the bot posted in a run's channel."""
    posts = await world.bot_posts(channel_id)
    return sum(1 for p in posts if "please fill in the retrospective" in p["message"])


async def reminders_are(world: World, channel_id: str, count: int) -> bool:
    """Whether exactly ``count`` reminders are there (more fails at once)."""
    seen = await reminders(world, channel_id)
    assert seen <= count, f"{seen} reminders where {count} were due"
    return seen == count


async def status_reminders_are(world: World, channel_id: str, count: int) -> bool:
    """Whether exactly ``count`` status reminders are in the channel (more fails at once)."""
    posts = await world.bot_posts(channel_id)
    seen = sum(1 for p in posts if "please post a status update" in p["message"])
    assert seen <= count, f"{seen} status reminders where {count} were due"
    return seen == count
