"""The end-to-end harness: the simulator, the bot serving against it, and people acting as users.

Tests act only through Mattermost's API (the :class:`~mattermost_sim.client.Person` client) and
read back what Mattermost shows, so the same tests run against the simulator and against a real
Mattermost (``PLAYBOOKS_TEST_MATTERMOST=real``); the scene is set through the
:class:`~tests.servers.Backstage` of whichever runs.

The bot reaches Mattermost through a :class:`~tests.fault_proxy.FaultProxy` (people do not), so a
test breaks what the bot hears the same way on both servers: ``harness.faults.fail(503, ...)``,
``.throttle(...)``, ``.hang(...)``, ``.drop_websockets()``; ``harness.mattermost.restart()``
restarts Mattermost itself.
"""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from bot.app import BotApp
from bot.clock import FakeClock
from bot.config import Settings
from bot.mattermost.events import TypingEvent
from bot.services.context import Services
from mattermost_sim import Simulator
from mattermost_sim.client import Person
from tests.fault_proxy import FaultProxy
from tests.servers import Backstage

DELIVERY_TIMEOUT_S = 10.0
"""How long :meth:`Harness.settle` waits for the bot to receive its marker event."""


def unused_port() -> int:
    """A free TCP port on 127.0.0.1 (Mattermost must know the bot's address before it listens)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Harness:
    """A running world: Mattermost, the bot, and two people (alice, and root the system admin).

    ``faults`` is the proxy between the bot and Mattermost: what a test injects there, only the
    bot suffers.
    """

    mattermost: Backstage
    bot: BotApp
    alice: Person
    root: Person
    team_id: str
    town_square_id: str
    clock: FakeClock
    faults: FaultProxy
    _markers: dict[str, asyncio.Event] = field(default_factory=dict, init=False, repr=False)
    _watched_bot: BotApp | None = field(default=None, init=False, repr=False)

    @property
    def sim(self) -> Simulator:
        """The simulator, for a test that needs its hands; skipped on the real server."""
        if self.mattermost.sim is None:
            pytest.skip("simulator only: the test reaches into the simulator")
        return self.mattermost.sim

    @property
    def url(self) -> str:
        """Mattermost's address as the bot knows it (its ``mattermost_url``: the fault proxy's),
        which is the address its links name; people reach Mattermost at ``mattermost.url``."""
        return self.bot.settings.mattermost_url

    def person(self, username: str) -> Person:
        """A client signed in as ``username`` (``async with harness.person("bob") as bob``)."""
        return self.mattermost.person(username)

    async def command(self, person: Person, text: str, channel_id: str | None = None) -> dict[str, Any]:
        """Run ``text`` (e.g. ``/playbook list``) as ``person``; returns Mattermost's command response."""
        return await person.execute(channel_id or self.town_square_id, text, team_id=self.team_id)

    @asynccontextmanager
    async def restarted(self, downtime: timedelta) -> AsyncIterator[BotApp]:
        """The bot stopped for ``downtime`` (the clock moves on) and a new one started with the same
        settings, as ``harness.bot`` inside the block; the first bot is put back after it."""
        first = self.bot
        await first.stop()
        self.clock.advance(downtime)
        second = BotApp(first.settings, clock=self.clock, scheduler_timer=False)
        await second.start()
        self.bot = second
        try:
            yield second
        finally:
            self.bot = first
            await second.stop()

    async def tick(self) -> int:
        """Run the scheduled jobs due at the clock's time, then settle; how many ran."""
        assert self.bot.scheduler is not None
        await self.settle()
        ran = await self.bot.scheduler.tick()
        await self.settle()
        return ran

    async def settle(self) -> None:
        """Wait until the bot has finished background work and handled the events sent so far."""
        assert self.bot.callbacks is not None
        assert self.bot.websocket is not None
        assert self.bot.listener is not None
        for _ in range(3):
            await self.bot.callbacks.background.drain(grace=10)
            await self.events_delivered()
            await self.bot.websocket.wait_idle()
            await self.bot.listener.wait_idle()
            await asyncio.sleep(0)

    async def events_delivered(self) -> None:
        """Wait until the bot has handled every event Mattermost published before this call.

        A real Mattermost sends websocket events from its own goroutines, often a few
        milliseconds after the REST call that caused them has answered, so an idle bot does not
        yet mean a bot that has seen everything. Mattermost sends a connection's events in the
        order it published them, and the bot dispatches them in that order: so root announces
        typing in town-square (where the bot is) with a unique ``parent_id``; once a handler of
        the bot sees that notice, every earlier event has been dispatched, and once the bot's
        listener is idle, handled. Skipped while the bot's websocket is down (nothing could
        arrive).
        """
        websocket = self.bot.websocket
        if websocket is None or not websocket.connected.is_set():
            return
        self._watch_markers()
        marker = uuid.uuid4().hex
        arrived = self._markers[marker] = asyncio.Event()
        try:
            await self.root.announce_typing(self.town_square_id, parent_id=marker)
            try:
                async with asyncio.timeout(DELIVERY_TIMEOUT_S):
                    await arrived.wait()
            except TimeoutError:
                raise TimeoutError(
                    f"the bot did not receive root's typing notice in town-square within "
                    f"{DELIVERY_TIMEOUT_S:g} s: is its websocket up, and is it still in the channel?"
                ) from None
        finally:
            self._markers.pop(marker, None)
        assert self.bot.listener is not None
        await self.bot.listener.wait_idle()

    def _watch_markers(self) -> None:
        """Let the current bot's event router tell :meth:`events_delivered` which markers came."""
        if self._watched_bot is self.bot:
            return
        assert self.bot.routers is not None
        markers = self._markers

        async def seen(event: TypingEvent, services: Services) -> None:
            arrived = markers.get(event.parent_id)
            if arrived is not None:
                arrived.set()

        self.bot.routers.events.on(TypingEvent)(seen)
        self._watched_bot = self.bot


def bot_settings(mattermost: Backstage | Simulator, database_url: str) -> Settings:
    """Settings for a bot serving the seeded ``acme`` team of ``mattermost``."""
    port = unused_port()
    token = "bot-token" if isinstance(mattermost, Simulator) else mattermost.token("playbooks")
    return Settings(
        mattermost_url=mattermost.url,
        mattermost_token=SecretStr(token),
        teams=["acme"],
        database_url=database_url,
        listen=f"127.0.0.1:{port}",
        public_url=f"http://127.0.0.1:{port}",
    )


@asynccontextmanager
async def running_harness(
    mattermost: Backstage, database_url: str, *, clock: FakeClock | None = None, **settings: Any
) -> AsyncIterator[Harness]:
    """A :class:`Harness` whose bot uses :func:`bot_settings` with ``settings`` changed (e.g.
    ``allow_private_webhook_addresses=True``); ``clock`` lets a restarted bot keep the time.

    The bot's ``mattermost_url`` is a fresh :class:`~tests.fault_proxy.FaultProxy` in front of
    ``mattermost`` unless ``settings`` names another."""
    clock = clock or FakeClock()
    async with FaultProxy(mattermost.url) as proxy:
        update = {"mattermost_url": proxy.url, **settings}
        bot = BotApp(
            bot_settings(mattermost, database_url).model_copy(update=update),
            clock=clock,
            scheduler_timer=False,
        )
        await bot.start()
        try:
            assert bot.websocket is not None
            async with asyncio.timeout(10):
                await bot.websocket.connected.wait()
            async with mattermost.person("alice") as alice, mattermost.person("root") as root:
                await alice.listen()
                await root.listen()
                team = await alice.team("acme")
                town_square = await alice.channel_by_name(team["id"], "town-square")
                yield Harness(mattermost, bot, alice, root, team["id"], town_square["id"], clock, proxy)
        finally:
            await bot.stop()


@pytest.fixture
async def harness(mattermost: Backstage, tmp_path: Path) -> AsyncIterator[Harness]:
    """The bot on SQLite against the seeded Mattermost, with alice and root listening."""
    async with running_harness(mattermost, f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite'}") as world:
        yield world
