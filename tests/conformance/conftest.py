"""Fixtures of the conformance tests: the simulator and the real Mattermost side by side.

``sides`` gives both servers with the seed's world: a fresh simulator loaded from ``seed.yaml``
(its clock movable; not strict, since strict mode answers requests that break the OpenAPI
contract before any route runs, while these tests send some on purpose to compare how each server
refuses them), and the session's real server (``real_mattermost``) put back
to the seeded world; plus the integration receiver both of them call. The tests run only with
``PLAYBOOKS_TEST_MATTERMOST=real`` (see :data:`tests.conformance.sides.REAL_ONLY`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from mattermost_real.server import RealMattermost
from mattermost_sim import Simulator
from mattermost_sim.ids import now_ms
from mattermost_sim.seed import load_seed_file
from tests.conftest import SEED
from tests.servers import RealBackstage, SimBackstage, server_kind

from .sides import REAL_ONLY, Receiver, Side, Sides


class MovableClock:
    """Wall-clock milliseconds plus however far a test moved time forward."""

    def __init__(self) -> None:
        self.offset_ms = 0

    def __call__(self) -> int:
        return now_ms() + self.offset_ms

    async def advance(self, seconds: float) -> None:
        """Move time forward at once."""
        self.offset_ms += int(seconds * 1000)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """The integration both servers call, on 127.0.0.1."""
    receiver = Receiver()
    await receiver.start()
    try:
        yield receiver
    finally:
        await receiver.stop()


@pytest.fixture
def real_server_to_compare(request: pytest.FixtureRequest) -> RealMattermost:
    """The session's real Mattermost (started on first use); skipped without one."""
    if server_kind() != "real":
        pytest.skip(REAL_ONLY.kwargs["reason"])
    server: RealMattermost = request.getfixturevalue("real_mattermost")
    return server


@pytest.fixture
async def sides(real_server_to_compare: RealMattermost, receiver: Receiver) -> AsyncIterator[Sides]:
    """The simulator and the real Mattermost, both with the seed's world and nothing else."""
    real_server = real_server_to_compare
    await real_server.reset()
    assert real_server.info is not None

    simulator = Simulator()
    clock = MovableClock()
    simulator.state.clock = clock
    load_seed_file(simulator.state, SEED)
    await simulator.start()

    async def restart_real() -> None:
        real_server.stop_process()
        await real_server.start()

    sim = Side("sim", SimBackstage(simulator), receiver, restart=simulator.restart, advance=clock.advance)
    real = Side(
        "real",
        RealBackstage(real_server.url, real_server.info.tokens, real_server.info.user_ids),
        receiver,
        restart=restart_real,
        advance=asyncio.sleep,
    )
    try:
        for side in (sim, real):
            await side.open()
        yield Sides(sim, real)
    finally:
        for side in (sim, real):
            await side.close()
        await simulator.stop()
