"""Mattermost failing in the middle of starting a run: 5xx, 429 with ``Retry-After``, timeouts.

Each fault is injected through the simulator's controls on one of the calls a run start makes
(create the channel, add its members, create its posts). Whatever fails, the run ends up
complete exactly once: one channel, one of each post, everyone in it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import BotApp
from bot.clock import FakeClock
from bot.domain.playbook import Playbook
from tests.servers import Backstage

from .conftest import Harness, running_harness
from .test_run_start import CHECKLIST_TITLES, FIRST_CHANNEL, bot_id, bot_posts, seed_incident_playbook

REQUEST_TIMEOUT = 1.0
"""The bot's per-request timeout here; a hang of :data:`HANG` outlasts it."""
HANG = 1.5
CHANNELS = r"/api/v4/channels$"
MEMBERS = r"/api/v4/channels/[a-z0-9]+/members$"
POSTS = r"/api/v4/posts$"
START = '/playbook run "Incident Response" DB down'

pytestmark = pytest.mark.sim_only(
    "injects 5xx, 429 and hanging answers through the simulator's fault controls"
)


@pytest.fixture
async def harness(mattermost: Backstage, tmp_path: Path) -> AsyncIterator[Harness]:
    """The end-to-end harness with a bot that gives up on a request after a second."""
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite'}"
    async with running_harness(mattermost, database_url, request_timeout=REQUEST_TIMEOUT) as world:
        yield world


@pytest.fixture
async def incident(harness: Harness) -> Playbook:
    return await seed_incident_playbook(harness)


async def start_run(harness: Harness) -> str:
    """Start the run by command, wait for the bot, and return the reply alice got at the end."""
    response = await harness.command(harness.alice, START)
    assert response["text"].startswith("Starting a run"), response
    async with asyncio.timeout(20):
        await harness.settle()
    await harness.alice.next_ephemeral()  # the acknowledgement
    reply = await harness.alice.next_ephemeral(timeout=10)
    return str(reply["message"])


async def abandoned_request_carried_out(harness: Harness, path: str) -> None:
    """Wait until Mattermost has answered the hung request (the simulator logs it when it has),
    then until the bot has handled what that caused."""
    # The simulator has no event for a served request; its request log is the only witness.
    async with asyncio.timeout(10):
        while not any(r.end - r.start >= HANG for r in harness.sim.faults.requests(path)):  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    await harness.settle()


async def assert_one_complete_run(harness: Harness) -> None:
    """Exactly one run channel, with alice and the bot in it and each post once."""
    run_channels = [c for c in harness.sim.state.channels.values() if c.name.startswith("inc-")]
    assert [c.name for c in run_channels] == [FIRST_CHANNEL]
    channel = run_channels[0]
    assert {await harness.alice.my_id(), bot_id(harness)} <= set(channel.members)
    messages = [p["message"] for p in await bot_posts(harness, harness.alice, channel.id)]
    assert len(messages) == 2 + len(CHECKLIST_TITLES), messages
    assert messages[0].startswith("#### Welcome to Incident: DB down")
    assert messages[1] == "#### INC-00001 · Incident: DB down"
    for number, (message, title) in enumerate(zip(messages[2:], CHECKLIST_TITLES, strict=True), start=1):
        assert message.startswith(f"**{number}. {title}** — 0/")


@pytest.mark.parametrize("path", [CHANNELS, MEMBERS, POSTS], ids=["channel", "members", "posts"])
@pytest.mark.parametrize("status", [500, 503])
async def test_a_server_error_during_the_start_is_retried(
    harness: Harness, incident: Playbook, path: str, status: int
) -> None:
    harness.sim.faults.fail(status, count=1, method="POST", path_pattern=path)
    reply = await start_run(harness)
    assert reply.startswith("Started **Incident: DB down**"), reply
    await assert_one_complete_run(harness)


@pytest.mark.parametrize("path", [CHANNELS, MEMBERS, POSTS], ids=["channel", "members", "posts"])
async def test_a_rate_limit_during_the_start_waits_as_told(
    harness: Harness, incident: Playbook, path: str
) -> None:
    harness.sim.faults.throttle(count=1, retry_after=1, method="POST", path_pattern=path)
    reply = await start_run(harness)
    assert reply.startswith("Started **Incident: DB down**"), reply
    await assert_one_complete_run(harness)
    refused, retried = harness.sim.faults.requests(path)[:2]
    assert retried.start - refused.end >= 0.9, "the retry came before Retry-After had passed"


@pytest.mark.parametrize("path", [CHANNELS, MEMBERS, POSTS], ids=["channel", "members", "posts"])
async def test_a_timeout_during_the_start_leaves_no_duplicates(
    harness: Harness, incident: Playbook, path: str
) -> None:
    # The request is answered only after the bot gave up on it, but Mattermost still carries it
    # out: the channel, the membership or the post exists although the bot never heard so.
    harness.sim.faults.hang(HANG, count=1, method="POST", path_pattern=path)
    reply = await start_run(harness)
    await abandoned_request_carried_out(harness, path)
    assert reply.startswith("Started **Incident: DB down**"), reply
    await assert_one_complete_run(harness)


async def test_a_run_whose_start_failed_is_completed_when_the_bot_starts_again(
    harness: Harness, incident: Playbook, tmp_path: Path
) -> None:
    harness.sim.faults.fail(503, count=10, method="POST", path_pattern=POSTS)
    reply = await start_run(harness)
    assert "Run `/playbook info`" in reply, reply
    harness.sim.faults.clear()
    await harness.bot.stop()
    restarted = BotApp(harness.bot.settings, clock=FakeClock(), scheduler_timer=False)
    await restarted.start()
    try:
        assert restarted.callbacks is not None
        await restarted.callbacks.background.drain(grace=10)
        harness.bot = restarted
        await assert_one_complete_run(harness)
    finally:
        await restarted.stop()
