"""Helpers of the tests of the rules the simulator follows as the real Mattermost does.

``server`` is a seeded simulator (not strict: some requests are refused on purpose) whose clock
:class:`Clock` tests move instead of waiting.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from mattermost_sim import Simulator
from mattermost_sim.ids import now_ms
from mattermost_sim.seed import load_seed_file
from tests.conftest import SEED

from .fake_integration import FakeIntegration, running_integration

BOT, ALICE, ROOT = "bot-token", "alice-token", "root-token"


class Clock:
    """Wall-clock milliseconds, plus however far a test moved time."""

    def __init__(self) -> None:
        self.offset = 0

    def __call__(self) -> int:
        return now_ms() + self.offset

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.offset += int(seconds * 1000)


@pytest.fixture
def clock() -> Clock:
    """The simulator's clock."""
    return Clock()


@pytest.fixture
async def server(clock: Clock) -> AsyncIterator[Simulator]:
    """A seeded simulator (not strict: some requests here are refused on purpose) on a movable clock."""
    simulator = Simulator()
    simulator.state.clock = clock
    load_seed_file(simulator.state, SEED)
    await simulator.start()
    try:
        yield simulator
    finally:
        await simulator.stop()


@pytest.fixture
async def integration() -> AsyncIterator[FakeIntegration]:
    """The integration the simulator calls, on 127.0.0.1."""
    async with running_integration() as fake:
        yield fake


async def call(
    sim: Simulator, method: str, path: str, token: str | None = BOT, body: Any = None
) -> tuple[int, Any]:
    """One REST call: status and decoded body."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session,
        session.request(method, f"{sim.url}/api/v4{path}", json=body, headers=headers) as response,
    ):
        return response.status, await response.json(content_type=None)


def square(sim: Simulator) -> str:
    """The seeded town-square's id."""
    team = sim.state.team_by_name("acme")
    assert team is not None
    channel = sim.state.channel_by_name(team.id, "town-square")
    assert channel is not None
    return channel.id


def team_id(sim: Simulator) -> str:
    """The seeded team's id."""
    team = sim.state.team_by_name("acme")
    assert team is not None
    return team.id
