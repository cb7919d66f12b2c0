"""Fixtures for the replica tests: a fresh PostgreSQL database, the load balancer, the people.

Every test here runs real ``playbooks-bot serve`` processes on PostgreSQL and is skipped when
``PLAYBOOKS_TEST_POSTGRES_URL`` is unset. The replicas are always stopped (SIGKILL at the
latest) when the test ends.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from bot.domain.playbook import Playbook
from bot.playbook_format import import_playbook, parse_document
from mattermost_sim import Simulator
from mattermost_sim.client import Person
from storage import database
from storage.repositories.playbooks import PlaybookRepository
from tests.db import POSTGRES_URL_ENV, fresh_postgres_database

from .harness import ReplicaSet, RoundRobinProxy

STARTER = Path(__file__).parents[2] / "bot" / "starter_playbooks" / "incident-response.yaml"


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """A fresh PostgreSQL database for the replicas (dropped afterwards)."""
    server = os.environ.get(POSTGRES_URL_ENV)
    if not server:
        pytest.skip(f"replicas need PostgreSQL: {POSTGRES_URL_ENV} is not set")
    async with fresh_postgres_database(make_url(server)) as url:
        yield url


@dataclass
class World:
    """The simulator, the replicas behind the proxy, and the people who use them."""

    sim: Simulator
    replicas: ReplicaSet
    alice: Person
    root: Person
    team_id: str
    town_square_id: str
    bot_id: str

    async def command(self, person: Person, text: str, channel_id: str | None = None) -> dict[str, Any]:
        """Run ``text`` as ``person``; Mattermost sends it to the command URL, the proxy."""
        return await person.execute(channel_id or self.town_square_id, text, team_id=self.team_id)

    async def bot_posts(self, channel_id: str) -> list[dict[str, Any]]:
        """The bot's posts in a channel (system messages left out), oldest first."""
        posts = await self.alice.channel_posts(channel_id)
        return [p for p in posts if p["user_id"] == self.bot_id and not p["type"].startswith("system_")]

    async def add_playbook(self, playbook: Playbook) -> Playbook:
        """Store a playbook as a playbook admin's import would (the replicas migrated the schema)."""
        engine = database.create_engine(self.replicas.database_url)
        try:
            async with database.session_factory(engine)() as session, session.begin():
                return await PlaybookRepository(session).add(playbook)
        finally:
            await engine.dispose()

    async def incident_playbook(self, **changes: Any) -> Playbook:
        """The starter incident playbook imported by alice, with ``changes`` applied, stored."""
        document = parse_document(STARTER.read_text(), STARTER.name)
        alice_id = await self.alice.my_id()
        playbook = import_playbook(document, team_id=self.team_id, importer_id=alice_id).playbook
        return await self.add_playbook(replace(playbook, **changes))


@pytest.fixture
async def world(sim: Simulator, postgres_url: str, tmp_path: Path) -> AsyncIterator[World]:
    """The proxy and an empty set of replicas on a fresh database, with alice and root listening.

    Tests start the replicas they need (``world.replicas.start("a", "b")``).
    """
    proxy = RoundRobinProxy()
    await proxy.start()
    replicas = ReplicaSet(sim=sim, database_url=postgres_url, workdir=tmp_path, proxy=proxy)
    try:
        async with Person(sim.url, "alice-token") as alice, Person(sim.url, "root-token") as root:
            await alice.listen()
            await root.listen()
            team = await alice.team("acme")
            town_square = await alice.channel_by_name(team["id"], "town-square")
            bot = await alice.user_by_username("playbooks")
            yield World(sim, replicas, alice, root, team["id"], town_square["id"], bot["id"])
    finally:
        await replicas.stop_all()
        await proxy.stop()
