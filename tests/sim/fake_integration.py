"""Test doubles on 127.0.0.1: an integration Mattermost calls, and a user's websocket.

:class:`FakeIntegration` is a small aiohttp server playing the bot's side of slash
commands, buttons and dialogs: it records each request and answers with the handler a
test registers for the path. :class:`Listener` is a user's websocket connection that
collects the events the simulated server sends it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import aiohttp
from aiohttp import web

from mattermost_sim import Simulator
from mattermost_sim.models import Channel, User

WAIT_SECONDS = 5.0
BOT, ALICE, ROOT = "bot-token", "alice-token", "root-token"


@dataclass(frozen=True)
class Received:
    """One request the integration received."""

    method: str
    path: str
    query_string: str
    headers: dict[str, str]
    body: bytes

    def form(self) -> list[tuple[str, str]]:
        """The form pairs, from the body (POST) or the query string (GET), in order."""
        source = self.body.decode() if self.method == "POST" else self.query_string
        return parse_qsl(source, keep_blank_values=True)

    def fields(self) -> dict[str, list[str]]:
        """The form as name → every value."""
        values: dict[str, list[str]] = {}
        for name, value in self.form():
            values.setdefault(name, []).append(value)
        return values

    def json(self) -> Any:
        """The JSON body."""
        return json.loads(self.body)


Handler = Callable[[Received], Awaitable[web.StreamResponse]]


def reply_json(body: Any, status: int = 200, delay: float = 0.0) -> Handler:
    """A handler answering ``body`` as ``application/json``, after ``delay`` seconds."""

    async def handler(_: Received) -> web.StreamResponse:
        if delay:
            await asyncio.sleep(delay)
        return web.Response(status=status, text=json.dumps(body), content_type="application/json")

    return handler


def reply_raw(text: str, content_type: str, status: int = 200) -> Handler:
    """A handler answering ``text`` with any content type (or a failing status)."""

    async def handler(_: Received) -> web.StreamResponse:
        return web.Response(status=status, text=text, content_type=content_type)

    return handler


@dataclass
class FakeIntegration:
    """An integration server whose answers tests choose per path."""

    handlers: dict[str, Handler] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    base_url: str = ""

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        received = Received(
            request.method,
            request.path,
            request.query_string,
            dict(request.headers),
            await request.read(),
        )
        self.received.append(received)
        handler = self.handlers.get(request.path)
        if handler is None:
            return web.Response(status=404, text="no handler")
        return await handler(received)

    def url(self, path: str) -> str:
        """The absolute URL of ``path`` on this server."""
        return self.base_url + path

    def on(self, path: str, handler: Handler) -> None:
        """Answer requests to ``path`` with ``handler``."""
        self.handlers[path] = handler

    def last(self, path: str) -> Received:
        """The latest request to ``path``."""
        matching = [item for item in self.received if item.path == path]
        assert matching, f"the integration received nothing on {path}"
        return matching[-1]


@contextlib.asynccontextmanager
async def running_integration() -> AsyncIterator[FakeIntegration]:
    """Serve a :class:`FakeIntegration` on an ephemeral 127.0.0.1 port."""
    integration = FakeIntegration()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", integration._handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    integration.base_url = f"http://127.0.0.1:{port}"
    try:
        yield integration
    finally:
        await runner.cleanup()


@dataclass
class Listener:
    """A user's websocket: every event received, in order."""

    ws: aiohttp.ClientWebSocketResponse
    events: list[dict[str, Any]] = field(default_factory=list)
    _arrived: asyncio.Condition = field(default_factory=asyncio.Condition)
    _reader: asyncio.Task[None] | None = None

    async def _read(self) -> None:
        async for message in self.ws:
            if message.type is not aiohttp.WSMsgType.TEXT:
                break
            async with self._arrived:
                self.events.append(json.loads(message.data))
                self._arrived.notify_all()

    async def next(
        self, name: str, where: Callable[[dict[str, Any]], bool] = lambda _: True
    ) -> dict[str, Any]:
        """The first event called ``name`` matching ``where`` (waits up to five seconds)."""

        def found() -> dict[str, Any] | None:
            return next((e for e in self.events if e["event"] == name and where(e)), None)

        async with asyncio.timeout(WAIT_SECONDS), self._arrived:
            await self._arrived.wait_for(lambda: found() is not None)
        event = found()
        assert event is not None
        return event

    def names(self) -> list[str]:
        """The names of the events received so far."""
        return [event["event"] for event in self.events]


@contextlib.asynccontextmanager
async def listening(sim: Simulator, token: str) -> AsyncIterator[Listener]:
    """A websocket connected as the token's user, past its ``hello``."""
    async with aiohttp.ClientSession() as session:
        ws = await session.ws_connect(
            f"{sim.url}/api/v4/websocket", headers={"Authorization": f"Bearer {token}"}
        )
        listener = Listener(ws)
        listener._reader = asyncio.create_task(listener._read())
        try:
            await listener.next("hello")
            yield listener
        finally:
            await ws.close()
            with contextlib.suppress(asyncio.CancelledError):
                listener._reader.cancel()
                await listener._reader


def post_of(event: dict[str, Any]) -> dict[str, Any]:
    """The post a ``posted``/``post_edited``/``ephemeral_message`` event carries."""
    post = json.loads(event["data"]["post"])
    assert isinstance(post, dict)
    return post


async def rest(
    sim: Simulator, method: str, path: str, token: str | None = None, body: Any = None
) -> tuple[int, str, Any]:
    """One REST call to the simulator as a client makes it: status, exact Content-Type, body."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with (
        aiohttp.ClientSession() as session,
        session.request(
            method,
            sim.url + path,
            json=body,
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=WAIT_SECONDS * 2),
        ) as response,
    ):
        content_type = response.headers.get("Content-Type", "")
        text = await response.text()
        decoded = json.loads(text) if content_type.startswith("application/json") else text
        return response.status, content_type, decoded


def user(sim: Simulator, name: str) -> User:
    """A seeded user."""
    found = sim.state.user_by_username(name)
    assert found is not None
    return found


def town_square(sim: Simulator) -> Channel:
    """The seeded public channel."""
    team = sim.state.team_by_name("acme")
    assert team is not None
    channel = sim.state.channel_by_name(team.id, "town-square")
    assert channel is not None
    return channel


async def register(
    sim: Simulator, integration: FakeIntegration, url_path: str = "/slash", **fields: Any
) -> Any:
    """Register ``/incident`` as the bot does at start-up; return the created command."""
    body = {
        "team_id": town_square(sim).team_id,
        "trigger": "incident",
        "method": "P",
        "url": integration.url(url_path),
    }
    status, _, command = await rest(sim, "POST", "/api/v4/commands", BOT, {**body, **fields})
    assert status == 201, command
    return command


async def execute(sim: Simulator, line: str, token: str = ALICE, **extra: Any) -> tuple[int, str, Any]:
    """Run a command line in town-square, as the webapp does."""
    body = {"channel_id": town_square(sim).id, "command": line, **extra}
    return await rest(sim, "POST", "/api/v4/commands/execute", token, body)
