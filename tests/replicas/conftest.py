"""Fixtures for the replica tests: a fresh PostgreSQL database, the load balancer, the people.

Every test here runs real ``playbooks-bot serve`` processes on PostgreSQL and is skipped when
``PLAYBOOKS_TEST_POSTGRES_URL`` is unset. The replicas are always stopped (SIGKILL at the
latest) when the test ends.
"""

from __future__ import annotations

import asyncio
import itertools
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.domain.playbook import Playbook
from bot.playbook_format import import_playbook, parse_document
from mattermost_sim import Simulator
from mattermost_sim.client import Person
from storage import database
from storage.locks import lock_key
from storage.repositories.jobs import JobRepository
from storage.repositories.playbooks import PlaybookRepository
from tests.db import POSTGRES_URL_ENV, fresh_postgres_database
from tests.waiting import eventually

from .harness import Replica, ReplicaSet, RoundRobinProxy

STARTER = Path(__file__).parents[2] / "bot" / "starter_playbooks" / "incident-response.yaml"
COMPLETING_RUNS_LOCK = "complete-unfinished-runs"
"""The lock a replica holds while it completes the runs a stopped one left half set up."""
WITNESS_MESSAGE = "sev-1 witness: a keyword message from someone new"
"""What a witness posts (see :meth:`World.keyword_messages_handled`): it must hold a keyword."""


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
    engine: AsyncEngine
    _witnesses: itertools.count[int] = field(default_factory=itertools.count)

    async def command(self, person: Person, text: str, channel_id: str | None = None) -> dict[str, Any]:
        """Run ``text`` as ``person``; Mattermost sends it to the command URL, the proxy."""
        return await person.execute(channel_id or self.town_square_id, text, team_id=self.team_id)

    async def bot_posts(self, channel_id: str) -> list[dict[str, Any]]:
        """The bot's posts in a channel (system messages left out), oldest first."""
        posts = await self.alice.channel_posts(channel_id)
        return [p for p in posts if p["user_id"] == self.bot_id and not p["type"].startswith("system_")]

    async def add_playbook(self, playbook: Playbook) -> Playbook:
        """Store a playbook as a playbook admin's import would (the replicas migrated the schema)."""
        async with database.session_factory(self.engine)() as session, session.begin():
            return await PlaybookRepository(session).add(playbook)

    async def incident_playbook(self, **changes: Any) -> Playbook:
        """The starter incident playbook imported by alice, with ``changes`` applied, stored."""
        document = parse_document(STARTER.read_text(), STARTER.name)
        alice_id = await self.alice.my_id()
        playbook = import_playbook(document, team_id=self.team_id, importer_id=alice_id).playbook
        return await self.add_playbook(replace(playbook, **changes))

    # What the replicas have done: each waits for the event after which a duplicate would show.

    async def settled(self, *, within: float = 15.0) -> None:
        """Wait until the replicas have done every job due by their shared clock and Mattermost has
        answered every request made so far (a killed replica's too).

        A job is deleted or moved to a later time only once its work is done, so with no job due
        nothing more happens until the clock moves; a request counts until it is answered.
        """

        async def quiet() -> bool:
            async with database.session_factory(self.engine)() as session:
                due = await JobRepository(session).next_due_at()
            return (due is None or due > self.replicas.now) and self.sim.faults.in_flight == 0

        await eventually(quiet, "the replicas to finish the work due", within=within)

    async def keyword_messages_handled(self, *, within: float = 15.0) -> None:
        """Wait until every running replica has finished with the messages posted in town square
        so far, as far as keywords go.

        Every replica hears every message and reads them for keywords one after another, in the
        order they came; a message with a keyword makes it look up the author (cached for a
        minute). So someone new posts a keyword message, a witness: once every replica has asked
        Mattermost who they are, each is done with every earlier message.
        """
        number = next(self._witnesses)
        state = self.sim.state
        witness = state.add_user(f"witness{number}", f"witness-{number}-token")
        state.add_team_member(state.get_team(self.team_id), witness)
        state.add_channel_member(state.get_channel(self.town_square_id), witness, announce=False)
        async with Person(self.sim.url, witness.token) as person:
            await person.post(self.town_square_id, WITNESS_MESSAGE)
        looked_up = f"^/api/v4/users/{witness.id}$"
        running = sum(replica.running for replica in self.replicas.replicas)
        await eventually(
            lambda: len(self.sim.faults.requests(looked_up)) >= running,
            f"{running} replicas to read the witness's message",
            within=within,
        )

    async def start_completing_runs(self, name: str, *, within: float = 30.0) -> Replica:
        """Start replica ``name`` and wait until it has completed the runs a stopped replica left
        half set up (it does so at start-up, holding :data:`COMPLETING_RUNS_LOCK`).

        The test holds that lock first, so the replica queues for it; once it is queued, the test
        lets go and asks again, and PostgreSQL hands the lock back only after the replica's turn.
        """
        key = lock_key(COMPLETING_RUNS_LOCK)
        high, low = (key >> 32) & 0xFFFFFFFF, key & 0xFFFFFFFF
        queued = text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
            "AND classid::bigint = :high AND objid::bigint = :low"
        )
        async with self.engine.connect() as lock, self.engine.connect() as probe:
            await lock.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
            await lock.commit()
            (replica,) = await self.replicas.start(name)

            async def waiting() -> bool:
                count = (await probe.execute(queued, {"high": high, "low": low})).scalar_one()
                await probe.commit()
                return bool(count)

            await eventually(waiting, f"replica {name} to queue for the lock", within=within)
            await lock.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
            async with asyncio.timeout(within):
                await lock.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
            await lock.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
            await lock.commit()
        return replica


@pytest.fixture
async def world(sim: Simulator, postgres_url: str, tmp_path: Path) -> AsyncIterator[World]:
    """The proxy and an empty set of replicas on a fresh database, with alice and root listening.

    Tests start the replicas they need (``world.replicas.start("a", "b")``).
    """
    proxy = RoundRobinProxy()
    await proxy.start()
    replicas = ReplicaSet(sim=sim, database_url=postgres_url, workdir=tmp_path, proxy=proxy)
    engine = database.create_engine(postgres_url)
    try:
        async with Person(sim.url, "alice-token") as alice, Person(sim.url, "root-token") as root:
            await alice.listen()
            await root.listen()
            team = await alice.team("acme")
            town_square = await alice.channel_by_name(team["id"], "town-square")
            bot = await alice.user_by_username("playbooks")
            yield World(sim, replicas, alice, root, team["id"], town_square["id"], bot["id"], engine)
    finally:
        await replicas.stop_all()
        await proxy.stop()
        await engine.dispose()
