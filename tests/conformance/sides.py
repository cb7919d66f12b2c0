"""The two servers of a conformance test, driven the same way, and the integration they call.

A :class:`Side` is one Mattermost (the simulator or the real server) seen through its public
API only: raw REST calls that never raise (:meth:`Side.call` returns an :class:`Answer`), the
seeded people as :class:`~mattermost_sim.client.Person` clients, the seeded ids, and URLs on the
shared :class:`Receiver`, a small aiohttp server on 127.0.0.1 playing the integration that
Mattermost calls for slash commands, buttons and dialogs. Each side has its own path prefix
there, so what each server sent can be compared.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import aiohttp
import pytest
from aiohttp import web

from mattermost_sim.client import Person
from tests.servers import MATTERMOST_ENV, Backstage, server_kind

from .shapes import Answer

WAIT_SECONDS = 10.0


@dataclass(frozen=True)
class Captured:
    """One request a server made to the receiver."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes

    def form(self) -> dict[str, list[str]]:
        """The form fields (body for POST, query string for GET), name → every value."""
        source = self.body.decode() if self.method == "POST" else self.query
        fields: dict[str, list[str]] = {}
        for name, value in parse_qsl(source, keep_blank_values=True):
            fields.setdefault(name, []).append(value)
        return fields

    def json(self) -> Any:
        """The JSON body."""
        return json.loads(self.body)

    def envelope(self) -> dict[str, Any]:
        """How the request was sent: method, content type, the headers an integration reads."""
        authorization = self.headers.get("Authorization", "")
        return {
            "method": self.method,
            "content_type": self.headers.get("Content-Type", "").split(";")[0],
            "accept": self.headers.get("Accept", ""),
            "user_agent": self.headers.get("User-Agent", ""),
            "authorization_scheme": authorization.split(" ")[0] if authorization else "",
        }


Reply = Callable[[Captured], Awaitable[web.StreamResponse]]


def json_reply(body: Any, status: int = 200) -> Reply:
    """A reply with a JSON body."""

    async def reply(_: Captured) -> web.StreamResponse:
        return web.Response(status=status, text=json.dumps(body), content_type="application/json")

    return reply


@dataclass
class Receiver:
    """The integration on 127.0.0.1 that both servers call; records requests per path."""

    replies: dict[str, Reply] = field(default_factory=dict)
    captured: dict[str, list[Captured]] = field(default_factory=dict)
    url: str = ""
    _runner: web.AppRunner | None = None
    _arrival: asyncio.Event = field(default_factory=asyncio.Event)

    async def start(self) -> None:
        """Serve on an ephemeral port of 127.0.0.1."""
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        """Stop serving."""
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        captured = Captured(
            request.method, request.path, request.query_string, dict(request.headers), await request.read()
        )
        self.captured.setdefault(request.path, []).append(captured)
        self._arrival.set()
        self._arrival = asyncio.Event()
        reply = self.replies.get(request.path)
        if reply is None:
            return web.Response(text="{}", content_type="application/json")
        return await reply(captured)

    async def next(self, path: str, index: int = 0, timeout: float = WAIT_SECONDS) -> Captured:  # noqa: ASYNC109
        """The ``index``-th request to ``path``, waiting for it."""
        async with asyncio.timeout(timeout):
            while len(self.captured.get(path, [])) <= index:
                await self._arrival.wait()
        return self.captured[path][index]


@dataclass
class Side:
    """One server in a conformance test: its kind, stage crew, seeded ids and receiver paths."""

    kind: str
    stage: Backstage
    receiver: Receiver
    team_id: str = ""
    town_square_id: str = ""
    user_ids: dict[str, str] = field(default_factory=dict)
    restart: Callable[[], Awaitable[None]] | None = None
    advance: Callable[[float], Awaitable[None]] | None = None
    _session: aiohttp.ClientSession | None = None
    _config_before: dict[str, Any] = field(default_factory=dict)

    @property
    def url(self) -> str:
        """The server's base URL."""
        return self.stage.url

    async def open(self) -> None:
        """Look up the seeded ids through the API."""
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=WAIT_SECONDS * 3))
        team = await self.call("alice", "GET", "/teams/name/acme")
        self.team_id = team.body["id"]
        square = await self.call("alice", "GET", f"/teams/{self.team_id}/channels/name/town-square")
        self.town_square_id = square.body["id"]
        for username in ("alice", "root", "playbooks"):
            self.user_ids[username] = await self.stage.user_id(username)

    async def close(self) -> None:
        """Put back the settings :meth:`patch_config` changed; close the HTTP session."""
        if self._config_before:
            await self.call("root", "PUT", "/config/patch", {"ServiceSettings": self._config_before})
        if self._session is not None:
            await self._session.close()

    async def patch_config(self, who: str, service_settings: dict[str, Any]) -> Answer:
        """``PUT /config/patch`` of some ``ServiceSettings`` as ``who``; put back when the test ends."""
        current = await self.call("root", "GET", "/config")
        if current.status == 200:
            for key in service_settings:
                self._config_before.setdefault(key, current.body["ServiceSettings"].get(key))
        return await self.call(who, "PUT", "/config/patch", {"ServiceSettings": service_settings})

    async def wait(self, seconds: float) -> None:
        """Let ``seconds`` of server time pass (the simulator's clock moves, the real one is waited)."""
        assert self.advance is not None
        await self.advance(seconds)

    def hook(self, name: str) -> str:
        """This side's URL for ``name`` on the receiver."""
        return f"{self.receiver.url}/{self.kind}/{name}"

    def hook_path(self, name: str) -> str:
        """The receiver path of :meth:`hook`."""
        return f"/{self.kind}/{name}"

    def reply(self, name: str, reply: Reply) -> None:
        """Answer requests to ``name`` with ``reply``."""
        self.receiver.replies[self.hook_path(name)] = reply

    async def received(self, name: str, index: int = 0) -> Captured:
        """The ``index``-th request this server made to ``name``."""
        return await self.receiver.next(self.hook_path(name), index)

    def person(self, username: str) -> Person:
        """A client signed in as ``username`` (``async with``)."""
        return self.stage.person(username)

    async def call(
        self,
        who: str | None,
        method: str,
        path: str,
        body: Any = None,
        *,
        params: dict[str, str] | None = None,
        raw: bytes | None = None,
    ) -> Answer:
        """One REST call under ``/api/v4`` as ``who`` (None: no token); never raises."""
        assert self._session is not None, "open() the side first"
        headers = {"Authorization": f"Bearer {self.stage.token(who)}"} if who else {}
        kwargs: dict[str, Any] = {"params": params, "headers": headers}
        if raw is not None:
            kwargs["data"] = raw
            headers["Content-Type"] = "application/json"
        elif body is not None:
            kwargs["json"] = body
        url = path if path.startswith("http") else f"{self.url}/api/v4{path}"
        async with self._session.request(method, url, **kwargs) as response:
            text = await response.text()
            try:
                decoded = json.loads(text) if text else None
            except ValueError:
                decoded = text
            return Answer(response.status, decoded)

    async def post(self, who: str, channel_id: str, message: str, **fields: Any) -> dict[str, Any]:
        """Create a post (it must succeed); the post."""
        answer = await self.call(
            who, "POST", "/posts", {"channel_id": channel_id, "message": message, **fields}
        )
        assert answer.status == 201, f"{self.kind}: create post answered {answer}"
        post: dict[str, Any] = answer.body
        return post

    async def posts_of(self, channel_id: str) -> list[dict[str, Any]]:
        """The channel's posts, oldest first (as root reads them)."""
        listing = await self.call("root", "GET", f"/channels/{channel_id}/posts", params={"per_page": "200"})
        assert listing.status == 200, f"{self.kind}: list posts answered {listing}"
        return [listing.body["posts"][post_id] for post_id in reversed(listing.body["order"])]

    async def system_posts(self, channel_id: str, count: int) -> list[dict[str, Any]]:
        """The channel's system messages once there are ``count`` (the real server posts some of
        them in the background), oldest first."""
        async with asyncio.timeout(WAIT_SECONDS):
            while True:
                found = [p for p in await self.posts_of(channel_id) if p["type"].startswith("system_")]
                if len(found) >= count:
                    return found
                await asyncio.sleep(0.05)

    async def channel(self, who: str, name: str, channel_type: str = "O") -> str:
        """Make a channel of the seeded team (it must succeed); its id."""
        body = {"team_id": self.team_id, "name": name, "display_name": name.title(), "type": channel_type}
        answer = await self.call(who, "POST", "/channels", body)
        assert answer.status == 201, f"{self.kind}: create channel answered {answer}"
        return str(answer.body["id"])


@dataclass
class Sides:
    """The simulator and the real server, seeded alike, for one test."""

    sim: Side
    real: Side

    def __iter__(self) -> Any:
        return iter((self.sim, self.real))

    async def each(self, scenario: Callable[[Side], Awaitable[Any]]) -> tuple[Any, Any]:
        """Run ``scenario`` on the simulator, then on the real server; both observations."""
        return await scenario(self.sim), await scenario(self.real)


REAL_ONLY = pytest.mark.skipif(
    server_kind() != "real",
    reason="conformance tests compare the simulator with a real Mattermost: "
    f"set {MATTERMOST_ENV}=real to run them",
)
