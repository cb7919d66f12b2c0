"""What every benchmark shares: options, figures, and a simulated Mattermost with the bot serving it.

The simulator and the bot run in one process on 127.0.0.1, as in ``playbooks-bot demo``; the
benchmarks drive them the way Mattermost and its clients do (REST, websocket, the bot's callback
endpoints) and read the simulator's request log to count round trips.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import socket
import tempfile
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import SecretStr

from bot.app import BotApp
from bot.clock import FakeClock
from bot.config import Settings
from bot.domain.playbook import Playbook
from bot.playbook_format import import_playbook
from bot.services.context import Services
from mattermost_sim import Simulator
from mattermost_sim.models import Team, User
from mattermost_sim.seed import load_seed
from storage.repositories.playbooks import PlaybookRepository

SEED: dict[str, Any] = {
    "teams": [{"name": "acme", "display_name": "Acme"}],
    "users": [
        {"username": "alice", "token": "alice-token", "teams": ["acme"]},
        {"username": "root", "token": "root-token", "roles": ["system_admin"], "teams": ["acme"]},
        {
            "username": "playbooks",
            "token": "bot-token",
            "is_bot": True,
            "teams": ["acme"],
            "team_roles": ["team_admin"],
        },
    ],
    "channels": [
        {
            "team": "acme",
            "name": "town-square",
            "display_name": "Town Square",
            "type": "O",
            "members": ["alice", "root", "playbooks"],
        }
    ],
}
SETTLE_SECONDS = 30.0


def options(description: str, argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line every benchmark accepts: ``--quick`` for a smoke run of about ten seconds."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="a short smoke run (about 10 s)")
    return parser.parse_args(argv)


def quiet_logs() -> None:
    """Only errors: the service logs every call at INFO, which would dominate the timings."""
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger().setLevel(logging.ERROR)


def percentile(values: Sequence[float], fraction: float) -> float:
    """The ``fraction`` percentile (nearest rank) of ``values``; NaN when there are none."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def ratio_line(ratio: float, meaning: str, goal: str) -> str:
    """The last line each benchmark prints, e.g. ``ratio: 0.62 (ours/baseline events per second; goal
    >= 0.5)``."""
    return f"ratio: {ratio:.2f} ({meaning}; goal {goal})"


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def playbook_document(title: str, checklists: int, items_per_checklist: int) -> dict[str, Any]:
    """An export document of a playbook with ``checklists`` times ``items_per_checklist`` items."""
    return {
        "version": 1,
        "title": title,
        "channel_name_template": "Bench: <name>",
        "run_number_prefix": "BEN",
        "message_on_join_enabled": True,
        "message_on_join": "Welcome to this run. Check the open tasks below.",
        "checklists": [
            {
                "title": f"Stage {c}",
                "items": [{"title": f"Task {c}.{i}"} for i in range(1, items_per_checklist + 1)],
            }
            for c in range(1, checklists + 1)
        ],
    }


@dataclass
class World:
    """A running simulator and bot, the seeded team and the people in it."""

    sim: Simulator
    bot: BotApp
    clock: FakeClock
    workdir: Path
    team: Team
    alice: User
    town_square_id: str

    @property
    def services(self) -> Services:
        """The bot's services (it has started)."""
        assert self.bot.services is not None
        return self.bot.services

    async def add_playbook(self, document: dict[str, Any]) -> Playbook:
        """Import a playbook document as alice, through the storage layer."""
        text_round_trip = yaml.safe_load(yaml.safe_dump(document))
        playbook = import_playbook(text_round_trip, team_id=self.team.id, importer_id=self.alice.id).playbook
        async with self.services.transaction() as session:
            return await PlaybookRepository(session).add(playbook)

    def add_people(self, count: int, prefix: str = "person") -> list[User]:
        """``count`` more team members (setting up the world, as an admin would)."""
        people = []
        for number in range(count):
            user = self.sim.state.add_user(f"{prefix}{number}", f"{prefix}{number}-token")
            self.sim.state.add_team_member(self.team, user)
            people.append(user)
        return people

    async def settle(self) -> None:
        """Wait until the bot has finished its background work and the events sent so far."""
        assert self.bot.callbacks is not None
        assert self.bot.websocket is not None
        async with asyncio.timeout(SETTLE_SECONDS):
            for _ in range(3):
                await self.bot.callbacks.background.drain(grace=SETTLE_SECONDS)
                await self.bot.websocket.wait_idle()
                if self.bot.listener is not None:
                    await self.bot.listener.wait_idle()
                await asyncio.sleep(0)


def bot_settings(mattermost_url: str, database_url: str) -> Settings:
    """Settings for a bot serving the seeded ``acme`` team on a free port of 127.0.0.1."""
    port = free_port()
    return Settings(
        mattermost_url=mattermost_url,
        mattermost_token=SecretStr("bot-token"),
        teams=["acme"],
        database_url=database_url,
        listen=f"127.0.0.1:{port}",
        public_url=f"http://127.0.0.1:{port}",
    )


@asynccontextmanager
async def running_world(database_url: str | None = None) -> AsyncIterator[World]:
    """The seeded simulator and the bot serving it (SQLite in a temporary directory by default)."""
    with tempfile.TemporaryDirectory(prefix="playbooks-bench-") as tmp:
        workdir = Path(tmp)
        sim = Simulator()
        load_seed(sim.state, SEED)
        await sim.start()
        clock = FakeClock()
        url = database_url or f"sqlite+aiosqlite:///{workdir / 'bench.sqlite'}"
        bot = BotApp(bot_settings(sim.url, url), clock=clock, scheduler_timer=False)
        try:
            await bot.start()
            assert bot.websocket is not None
            async with asyncio.timeout(10):
                await bot.websocket.connected.wait()
            team = sim.state.team_by_name("acme")
            alice = sim.state.user_by_username("alice")
            assert team is not None
            assert alice is not None
            town_square = sim.state.channel_by_name(team.id, "town-square")
            assert town_square is not None
            yield World(sim, bot, clock, workdir, team, alice, town_square.id)
        finally:
            await bot.stop()
            await sim.stop()
