"""The database restarted under a running bot: it reconnects and carries on.

The server is a private one (see :mod:`mattermost_real.postgres`), so restarting it
disturbs nobody else; the test is skipped where one cannot be made.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import ExitStack

import pytest

from mattermost_real.postgres import PrivatePostgres, PrivatePostgresUnavailable, private_postgres
from tests.waiting import eventually

from .conftest import World
from .test_faults import RUN_POSTS, START, run_channel, wait_for_posts


@pytest.fixture
def server() -> Iterator[PrivatePostgres]:
    """A private PostgreSQL server for this test."""
    with ExitStack() as stack:
        try:
            running = stack.enter_context(private_postgres())
        except PrivatePostgresUnavailable as reason:
            pytest.skip(f"cannot run a private PostgreSQL server here: {reason}")
        yield running


@pytest.fixture
def postgres_url(server: PrivatePostgres) -> str:
    """The replicas' database: the private server's (overrides the shared server's)."""
    return server.url


async def test_the_bot_carries_on_after_the_database_restarts(world: World, server: PrivatePostgres) -> None:
    await world.replicas.start("a")
    await world.incident_playbook()
    await world.command(world.alice, START)
    await wait_for_posts(world, RUN_POSTS)
    channel = await run_channel(world)
    assert channel is not None

    await asyncio.to_thread(server.restart)  # every pooled connection is now dead

    # Commands, clicks and keyword prompts work again without restarting the bot.
    info = await world.command(world.alice, "/playbook info", channel_id=channel["id"])
    assert "INC-00001" in info["text"], info
    triage = (await world.bot_posts(channel["id"]))[2]
    check = triage["props"]["attachments"][0]["actions"][0]
    answer = await world.alice.click(triage["id"], check["id"])
    assert "went wrong" not in str(answer)
    root = await world.alice.post(world.town_square_id, "sev-1: payments are failing")

    async def prompted() -> bool:
        return any(p["root_id"] == root["id"] for p in await world.bot_posts(world.town_square_id))

    await eventually(prompted, within=10, what="the keyword prompt after the restart")
    assert world.replicas.replicas[0].running
