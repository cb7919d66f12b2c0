"""Shared fixtures: the Mattermost each test talks to (a strict simulator, or the real server).

``PLAYBOOKS_TEST_MATTERMOST=real`` runs the tests that act through Mattermost's API against a real
Mattermost (built and started by :mod:`mattermost_real`, reset to the seeded world before each
test); the default is the simulator. Tests that take the ``sim`` fixture, or are marked
``sim_only``, need the simulator's own hands and are skipped on the real server.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from mattermost_real.build import BuildError
from mattermost_real.server import RealMattermost, ServerError
from mattermost_real.server import load_seed_file as load_real_seed
from mattermost_sim import Simulator
from mattermost_sim.seed import load_seed_file
from mattermost_sim.validation import default_spec_path
from tests.db import database_url, migrated_engine, session_factory  # noqa: F401
from tests.servers import Backstage, RealBackstage, SimBackstage, server_kind

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seed.yaml"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On the real server, skip what needs the simulator's hands, with the reason the mark gives."""
    if server_kind() != "real":
        return
    for item in items:
        marker = item.get_closest_marker("sim_only")
        if marker is not None:
            reason = marker.args[0] if marker.args else "needs the simulator"
            item.add_marker(pytest.mark.skip(reason=f"simulator only: {reason}"))


@pytest.fixture(scope="session")
def real_mattermost(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealMattermost]:
    """The real Mattermost of this test session: built if needed, started once, seeded."""
    server = RealMattermost(tmp_path_factory.mktemp("mattermost"))
    try:
        asyncio.run(server.up(load_real_seed(SEED)))
    except (BuildError, ServerError) as error:
        server.down()
        pytest.fail(f"the real Mattermost could not be started: {error}", pytrace=False)
    try:
        yield server
    finally:
        server.down()


@pytest.fixture
def real_server(request: pytest.FixtureRequest) -> RealMattermost | None:
    """The session's real Mattermost when the tests run on one (started on first use), else None."""
    if server_kind() != "real":
        return None
    server: RealMattermost = request.getfixturevalue("real_mattermost")
    return server


@pytest.fixture
async def mattermost(real_server: RealMattermost | None) -> AsyncIterator[Backstage]:
    """The Mattermost of this test, with the seed's world and nothing else."""
    if real_server is not None:
        server = real_server
        await server.reset()
        assert server.info is not None
        yield RealBackstage(server.url, server.info.tokens, server.info.user_ids, server=server)
        return
    spec = default_spec_path()
    simulator = Simulator(strict=spec is not None, spec_path=spec)
    load_seed_file(simulator.state, SEED)
    await simulator.start()
    try:
        yield SimBackstage(simulator)
    finally:
        await simulator.stop()
    if simulator.validator is not None:
        assert simulator.validator.violations == [], "requests broke the Mattermost API contract"


@pytest.fixture
def sim(mattermost: Backstage) -> Simulator:
    """The simulator itself, seeded with the README's seed, on an ephemeral port.

    Strict mode is on whenever the OpenAPI spec is present: every request is checked, and a
    violation fails the test that caused it at teardown. On the real server a test that takes
    this fixture is skipped: it reaches into the simulator.
    """
    if mattermost.sim is None:
        pytest.skip("simulator only: the test reaches into the simulator's state or faults")
    return mattermost.sim
