"""Answering under load: 200 people sending ``/playbook`` commands and checklist clicks at once.

The bot serves a simulated Mattermost with one run of a 4-checklist playbook; 200 people, all in the
run's channel and participants, each alternate ``/playbook info`` and a click on a checklist button,
sent to the bot's endpoints exactly as Mattermost forwards them (the command form with its token,
the click's JSON with the button's signed context).

Two phases: *paced*, each person pausing 1 s on average between requests (200 requests a second
offered), for the p50 and p99 time to the acknowledgement; and *saturated*, each person sending
the next request as soon as the last is answered, for the answers per second. Baseline, measured
in the same run with the same people and bodies: a hello-world aiohttp handler.

The people run in a separate process (see :mod:`bench.load`); the bot and the simulator share this one.
Run: ``python -m bench.answering`` (``--quick`` for a smoke run; ``--database postgres`` to serve
from PostgreSQL at ``PLAYBOOKS_BENCH_POSTGRES_URL``, in a scratch database dropped afterwards).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from mattermost_sim.client import Person
from mattermost_sim.ids import new_id
from mattermost_sim.models import Channel, Post, User

from .insights import postgres_database
from .load import LoadResult, Request, drive_elsewhere
from .world import (
    World,
    free_port,
    percentile,
    playbook_document,
    quiet_logs,
    ratio_line,
    running_world,
)

PEOPLE = 200
THINK_SECONDS = 1.0
ADD_BATCH = 25
GOAL_P99 = 0.100
GOAL_RATIO = 0.25


def command_request(world: World, channel: Channel, person: User, text: str) -> Request:
    """``/playbook <text>`` by ``person`` in ``channel``, as Mattermost posts it to the bot."""
    token = world.bot.tokens.by_team[world.team.id]
    form = {
        "token": token,
        "team_id": world.team.id,
        "team_domain": world.team.name,
        "channel_id": channel.id,
        "channel_name": channel.name,
        "user_id": person.id,
        "user_name": person.username,
        "command": "/playbook",
        "text": text,
        "trigger_id": new_id(),
        "response_url": f"{world.sim.url}/hooks/commands/{new_id()}",
    }
    return Request(
        f"http://127.0.0.1:{world.bot.port}/mattermost/command",
        urlencode(form).encode(),
        "application/x-www-form-urlencoded",
    )


def click_request(
    world: World, channel: Channel, post: Post, action: dict[str, Any], person: User
) -> Request:
    """A click of ``action`` on ``post`` by ``person``, as Mattermost posts it to the bot."""
    integration = action["integration"]
    payload = {
        "user_id": person.id,
        "user_name": person.username,
        "channel_id": channel.id,
        "channel_name": channel.name,
        "team_id": world.team.id,
        "team_domain": world.team.name,
        "post_id": post.id,
        "trigger_id": new_id(),
        "type": "",
        "data_source": "",
        "context": integration["context"],
    }
    return Request(integration["url"], json.dumps(payload).encode(), "application/json")


def checklist_buttons(world: World, channel: Channel) -> list[tuple[Post, dict[str, Any]]]:
    """Every button of the run's checklist posts (those with a ``Check`` button) as stored by Mattermost."""
    buttons = []
    for post in world.sim.state.channel_posts(channel.id):
        for attachment in post.props.get("attachments") or []:
            for action in attachment.get("actions") or []:
                if action.get("name") in ("Check", "Uncheck", "Skip", "Assign to me"):
                    buttons.append((post, action))
    return buttons


async def set_up(world: World, people_count: int) -> list[list[Request]]:
    """One run, ``people_count`` people in its channel, and each person's requests."""
    playbook = await world.add_playbook(playbook_document("Load", checklists=4, items_per_checklist=5))
    async with Person(world.sim.url, "alice-token") as alice:
        await alice.execute(world.town_square_id, f'/playbook run "{playbook.title}" under load')
    await world.settle()
    channel = next(c for c in world.sim.state.channels.values() if c.name.startswith("ben-"))
    people = world.add_people(people_count)
    async with Person(world.sim.url, "alice-token") as alice:
        for start in range(0, len(people), ADD_BATCH):
            names = " ".join(f"@{p.username}" for p in people[start : start + ADD_BATCH])
            await alice.execute(channel.id, f"/playbook add {names}")
    await world.settle()
    buttons = [b for b in checklist_buttons(world, channel) if b[1].get("name") in ("Check", "Uncheck")]
    if not buttons:
        raise RuntimeError("the run has no checklist buttons to click")
    chooser = random.Random(7)
    plans = []
    for person in people:
        post, action = chooser.choice(buttons)
        plans.append(
            [
                command_request(world, channel, person, "info"),
                click_request(world, channel, post, action, person),
            ]
        )
    return plans


@dataclass
class Phases:
    """The paced and the saturated measurements of one server."""

    paced: LoadResult
    saturated: LoadResult


async def measure_phases(plans: list[list[Request]], seconds: float) -> Phases:
    """A warm-up (connections, caches, compiled statements), then the two phases."""
    await drive_elsewhere(plans, 2.0, THINK_SECONDS)
    paced = await drive_elsewhere(plans, seconds, THINK_SECONDS)
    saturated = await drive_elsewhere(plans, seconds)
    return Phases(paced, saturated)


async def measure_bot(
    seconds: float, people: int, database_url: str | None = None
) -> tuple[Phases, list[list[Request]]]:
    """The people against the bot (on SQLite unless ``database_url``); also their requests, for the
    baseline."""
    async with running_world(database_url) as world:
        plans = await set_up(world, people)
        phases = await measure_phases(plans, seconds)
        await world.settle()
    return phases, plans


async def hello(request: web.Request) -> web.Response:
    """The baseline handler: read the body, answer a fixed command response."""
    await request.read()
    return web.json_response({"response_type": "ephemeral", "text": "hello"})


async def measure_baseline(seconds: float, plans: list[list[Request]]) -> Phases:
    """The same people and bodies against a hello-world aiohttp handler."""
    app = web.Application()
    app.router.add_post("/{tail:.*}", hello)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    retargeted = [
        [Request(f"http://127.0.0.1:{port}/hello", r.body, r.content_type) for r in plan] for plan in plans
    ]
    try:
        return await measure_phases(retargeted, seconds)
    finally:
        await runner.cleanup()


def describe(name: str, result: LoadResult) -> str:
    """One line of figures."""
    return (
        f"{name}: {len(result.latencies)} answers in {result.seconds:.1f} s = {result.throughput:.0f}/s, "
        f"p50 {percentile(result.latencies, 0.5) * 1000:.1f} ms, "
        f"p99 {percentile(result.latencies, 0.99) * 1000:.1f} ms, failures {result.failures}"
    )


async def main(quick: bool, database: str = "sqlite") -> None:
    """Measure the bot, then the baseline, and print the figures."""
    quiet_logs()
    seconds = 3.0 if quick else 20.0
    if database == "postgres":
        scratch = await postgres_database("bench_answering")
        if isinstance(scratch, str):
            print(f"{scratch}; not measured")
            print(
                ratio_line(
                    0.0, "ours/baseline answers per second; PostgreSQL unavailable", f">= {GOAL_RATIO}"
                )
            )
            return
        url, drop = scratch
        try:
            ours, plans = await measure_bot(seconds, PEOPLE, url)
        finally:
            await drop()
    else:
        ours, plans = await measure_bot(seconds, PEOPLE)
    baseline = await measure_baseline(seconds, plans)
    print(
        f"{PEOPLE} people, each alternating /playbook info and a checklist click; {seconds:.0f} s per phase; "
        f"{'PostgreSQL' if database == 'postgres' else 'SQLite'}"
    )
    print(describe(f"ours, paced ({THINK_SECONDS:.0f} s between requests)", ours.paced))
    print(describe("ours, saturated", ours.saturated))
    print(describe("baseline (hello-world aiohttp), paced", baseline.paced))
    print(describe("baseline (hello-world aiohttp), saturated", baseline.saturated))
    p99 = percentile(ours.paced.latencies, 0.99)
    print(f"goal p99 < {GOAL_P99 * 1000:.0f} ms (paced): {'met' if p99 < GOAL_P99 else 'missed'}")
    wanted = baseline.saturated.throughput
    ratio = ours.saturated.throughput / wanted if wanted else 0.0
    print(ratio_line(ratio, "ours/baseline answers per second", f">= {GOAL_RATIO}"))


def arguments(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """``--quick``, and ``--database sqlite|postgres`` (PostgreSQL at ``PLAYBOOKS_BENCH_POSTGRES_URL``,
    in a scratch database dropped afterwards)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a short smoke run (about 10 s)")
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    return parser.parse_args(argv)


if __name__ == "__main__":
    chosen = arguments()
    asyncio.run(main(chosen.quick, chosen.database))
