"""Mattermost failing in the middle of starting a run: 5xx, 429 with ``Retry-After``, timeouts.

Each fault is injected by the fault proxy between the bot and Mattermost (``harness.faults``) on
one of the calls a run start makes (create the channel, add its members, create its posts), so
these run on the simulator and on a real Mattermost alike. Whatever fails, the run ends up
complete exactly once: one channel, one of each post, everyone in it.
"""

from __future__ import annotations

import asyncio
import re
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
    """Wait until Mattermost has answered the hung request (the proxy passed it on after the bot
    gave up, and logs Mattermost's answer), then until the bot has handled what that caused."""
    pattern = re.compile(path)
    await harness.faults.served(
        lambda r: r.fault == "hang" and r.forwarded and pattern.search(r.path) is not None,
        "the hung request",
    )
    await harness.settle()


async def assert_one_complete_run(harness: Harness) -> None:
    """Exactly one run channel, with alice and the bot in it and each post once.

    The bot is in every channel it made (a duplicate too), so its channel list, read straight
    from Mattermost, shows them all."""
    async with harness.person("playbooks") as bot:
        run_channels = [c for c in await bot.my_channels(harness.team_id) if c["name"].startswith("inc-")]
    assert [c["name"] for c in run_channels] == [FIRST_CHANNEL]
    channel_id = run_channels[0]["id"]
    members = await harness.alice.channel_member_ids(channel_id)
    assert {await harness.alice.my_id(), bot_id(harness)} <= members
    messages = [p["message"] for p in await bot_posts(harness, harness.alice, channel_id)]
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
    harness.faults.fail(status, count=1, method="POST", path_pattern=path)
    reply = await start_run(harness)
    assert reply.startswith("Started **Incident: DB down**"), reply
    await assert_one_complete_run(harness)
    assert harness.faults.requests(path)[0].fault == "fail"


@pytest.mark.parametrize("path", [CHANNELS, MEMBERS, POSTS], ids=["channel", "members", "posts"])
async def test_a_rate_limit_during_the_start_waits_as_told(
    harness: Harness, incident: Playbook, path: str
) -> None:
    harness.faults.throttle(count=1, retry_after=1, method="POST", path_pattern=path)
    reply = await start_run(harness)
    assert reply.startswith("Started **Incident: DB down**"), reply
    await assert_one_complete_run(harness)
    refused, retried = harness.faults.requests(path)[:2]
    assert retried.start - refused.end >= 0.9, "the retry came before Retry-After had passed"


@pytest.mark.parametrize("path", [CHANNELS, MEMBERS, POSTS], ids=["channel", "members", "posts"])
async def test_a_timeout_during_the_start_leaves_no_duplicates(
    harness: Harness, incident: Playbook, path: str
) -> None:
    # The request is answered only after the bot gave up on it, but Mattermost still carries it
    # out: the channel, the membership or the post exists although the bot never heard so.
    harness.faults.hang(HANG, count=1, method="POST", path_pattern=path)
    reply = await start_run(harness)
    await abandoned_request_carried_out(harness, path)
    assert reply.startswith("Started **Incident: DB down**"), reply
    await assert_one_complete_run(harness)


async def test_a_run_whose_start_failed_is_completed_when_the_bot_starts_again(
    harness: Harness, incident: Playbook, tmp_path: Path
) -> None:
    harness.faults.fail(503, count=10, method="POST", path_pattern=POSTS)
    reply = await start_run(harness)
    assert "Run `/playbook info`" in reply, reply
    harness.faults.clear()
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
