"""Shared fixtures: a seeded, strict simulator per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from mattermost_sim import Simulator
from mattermost_sim.seed import load_seed_file
from mattermost_sim.validation import default_spec_path
from tests.db import database_url, migrated_engine, session_factory  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seed.yaml"


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    """A simulator seeded with the README's seed, on an ephemeral port.

    Strict mode is on whenever the OpenAPI spec is present: every request is checked,
    and a violation fails the test that caused it at teardown.
    """
    spec = default_spec_path()
    simulator = Simulator(strict=spec is not None, spec_path=spec)
    load_seed_file(simulator.state, SEED)
    await simulator.start()
    try:
        yield simulator
    finally:
        await simulator.stop()
    if simulator.validator is not None:
        assert simulator.validator.violations == [], "requests broke the Mattermost API contract"
