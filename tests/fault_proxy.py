"""A fault-injecting reverse proxy between the bot and the Mattermost under test.

The bot's ``mattermost_url`` points at the proxy; people keep talking to Mattermost directly. The
proxy forwards every REST request as it came (method, path, query, headers, body) and relays the
websocket ``/api/v4/websocket`` both ways, so it works the same in front of the simulator and in
front of a real Mattermost. A test breaks the bot's side of the conversation through its controls,
which read like the simulator's own ``Faults``:

* :meth:`FaultProxy.fail`: answer the next ``count`` matching requests with an error status and
  Mattermost's AppError body (5xx, 401, …), without forwarding them;
* :meth:`FaultProxy.throttle`: refuse them as Mattermost's rate limiter does (429, ``Retry-After``);
* :meth:`FaultProxy.hang`: hold them ``seconds`` before forwarding (the bot may give up first;
  Mattermost still carries the request out), and :meth:`FaultProxy.add_latency` for every one;
* :meth:`FaultProxy.drop_websockets`: cut the bot's websocket connections.

Every REST request is logged (:meth:`FaultProxy.requests`) when it has been answered, and a test
waits for one with :meth:`FaultProxy.served` rather than polling.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Literal

import aiohttp
from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from mattermost_sim.faults import compile_pattern, non_negative_seconds, positive_count

DropMode = Literal["close", "going_away", "abort"]

WEBSOCKET_PATH = "/api/v4/websocket"
UPSTREAM_TIMEOUT_S = 60.0
MAX_BODY_BYTES = 1 << 30
SERVED_TIMEOUT_S = 10.0
"""How long :meth:`FaultProxy.served` waits by default."""

# Headers that describe one hop, not the message: never forwarded (RFC 9110 §7.6.1), plus those
# aiohttp recomputes for the body it sends.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)
# The websocket handshake is made again on the upstream side.
HANDSHAKE = frozenset(
    {"sec-websocket-key", "sec-websocket-version", "sec-websocket-extensions", "sec-websocket-accept"}
)

DEFAULT_ERRORS: dict[int, tuple[str, str]] = {
    401: ("api.context.session_expired.app_error", "Invalid or expired session, please login again."),
    403: ("api.context.permissions.app_error", "You do not have the appropriate permissions."),
    404: ("api.context.404.app_error", "Sorry, we could not find the page."),
}
SERVER_ERROR = ("api.context.server_error", "An injected server error occurred.")


@dataclass(frozen=True)
class ProxiedRequest:
    """One REST request the bot made, as the proxy saw it; times are ``time.monotonic()`` seconds.

    ``fault`` names what the proxy did to it (``fail``, ``throttle``, ``hang``, or ``None``);
    ``forwarded`` says whether Mattermost got it; ``status`` is the answer (Mattermost's, or the
    injected one; 502 when Mattermost could not be reached). ``end`` is when the answer was known,
    even when the bot had stopped waiting for it.
    """

    method: str
    path: str
    start: float
    end: float
    status: int
    fault: str | None
    forwarded: bool


@dataclass
class _Rule:
    kind: Literal["latency", "fail", "throttle", "hang"]
    method: str | None
    pattern: re.Pattern[str] | None
    remaining: int | None  # None: every matching request (latency)
    seconds: float = 0.0
    status: int = 503
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return self.pattern is None or self.pattern.search(path) is not None


@dataclass(eq=False)
class _Relay:
    """One websocket of the bot and its twin to Mattermost."""

    downstream: web.WebSocketResponse
    upstream: aiohttp.ClientWebSocketResponse
    transport: asyncio.Transport | None
    done: asyncio.Event = field(default_factory=asyncio.Event)


def _forwardable(headers: CIMultiDictProxy[str], skip: frozenset[str] = frozenset()) -> CIMultiDict[str]:
    """``headers`` without those of one hop (and without ``skip``)."""
    kept: CIMultiDict[str] = CIMultiDict()
    for name, value in headers.items():
        lowered = name.lower()
        if lowered not in HOP_BY_HOP and lowered not in skip:
            kept.add(name, value)
    return kept


class FaultProxy:
    """A reverse proxy to ``upstream`` (a Mattermost base URL) with fault controls.

    Use as ``async with FaultProxy(url) as proxy`` (or :meth:`start` / :meth:`stop`); the bot talks
    to :attr:`url`.
    """

    def __init__(self, upstream: str, *, host: str = "127.0.0.1") -> None:
        self.upstream = URL(upstream.rstrip("/"))
        self.host = host
        self.port = 0
        self._rules: list[_Rule] = []
        self._log: list[ProxiedRequest] = []
        self._logged = asyncio.Condition()
        self._relays: set[_Relay] = set()
        self._tasks: set[asyncio.Task[web.StreamResponse]] = set()
        self._session: aiohttp.ClientSession | None = None
        self._runner: web.AppRunner | None = None
        self.websocket_connections = 0
        """Websocket connections relayed so far (reconnections included)."""

    @property
    def url(self) -> str:
        """The proxy's address: the bot's ``mattermost_url``."""
        if not self.port:
            raise RuntimeError("the fault proxy is not started")
        return f"http://{self.host}:{self.port}"

    # -- lifecycle ------------------------------------------------------------

    async def start(self) -> None:
        """Listen on an ephemeral port of :attr:`host`."""
        # A new upstream connection per request: a restarted Mattermost leaves no stale ones.
        connector = aiohttp.TCPConnector(force_close=True)
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=UPSTREAM_TIMEOUT_S),
            auto_decompress=False,
            cookie_jar=aiohttp.DummyCookieJar(),
        )
        app = web.Application(client_max_size=MAX_BODY_BYTES)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, 0).start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        """Cut every websocket, let abandoned requests finish, stop listening."""
        await self.drop_websockets("going_away")
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> FaultProxy:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    # -- controls -------------------------------------------------------------

    def fail(
        self,
        status: int,
        count: int = 1,
        method: str | None = None,
        path_pattern: str | None = None,
        *,
        error_id: str | None = None,
        message: str | None = None,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer the next ``count`` requests matching ``method`` and ``path_pattern`` (a regex
        searched in the path) with ``status`` and Mattermost's AppError JSON (or ``body``); they
        never reach Mattermost."""
        if not isinstance(status, int) or not 400 <= status <= 599:
            raise ValueError("status must be an HTTP error status (400-599)")
        default_id, default_message = DEFAULT_ERRORS.get(status, SERVER_ERROR)
        if body is None:
            error = {
                "id": error_id or default_id,
                "message": message or default_message,
                "detailed_error": "",
                "request_id": uuid.uuid4().hex[:26],
                "status_code": status,
            }
            body = json.dumps(error).encode()
            headers = {"Content-Type": "application/json", **(headers or {})}
        rule = _Rule(
            "fail", method, compile_pattern(path_pattern), positive_count(count), status=status, body=body,
            headers=dict(headers or {}),
        )  # fmt: skip
        self._rules.append(rule)

    def throttle(
        self,
        count: int = 1,
        retry_after: int = 1,
        method: str | None = None,
        path_pattern: str | None = None,
        limit: int = 100,
    ) -> None:
        """Refuse the next ``count`` matching requests as Mattermost's rate limiter does: 429, a
        plain ``limit exceeded`` and ``Retry-After: retry_after``."""
        if not isinstance(retry_after, int) or retry_after < 0:
            raise ValueError("retry_after must be a non-negative integer")
        headers = {
            "Content-Type": "text/plain; charset=utf-8",
            "X-Content-Type-Options": "nosniff",
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": str(retry_after),
            "Retry-After": str(retry_after),
        }
        rule = _Rule(
            "throttle", method, compile_pattern(path_pattern), positive_count(count), status=429,
            body=b"limit exceeded\n", headers=headers,
        )  # fmt: skip
        self._rules.append(rule)

    def hang(
        self, seconds: float, count: int = 1, method: str | None = None, path_pattern: str | None = None
    ) -> None:
        """Hold the next ``count`` matching requests ``seconds`` before forwarding them. Mattermost
        gets each one even when the bot has given up waiting (its client timed out)."""
        rule = _Rule(
            "hang",
            method,
            compile_pattern(path_pattern),
            positive_count(count),
            seconds=non_negative_seconds(seconds),
        )
        self._rules.append(rule)

    def add_latency(self, seconds: float, method: str | None = None, path_pattern: str | None = None) -> None:
        """Delay every matching request by ``seconds`` before forwarding it."""
        self._rules.append(
            _Rule(
                "latency", method, compile_pattern(path_pattern), None, seconds=non_negative_seconds(seconds)
            )
        )

    def clear(self) -> None:
        """Remove every fault (the request log is kept)."""
        self._rules.clear()

    async def drop_websockets(self, mode: DropMode = "abort") -> None:
        """Cut every websocket of the bot, as a network or Mattermost dropping it would:
        ``close`` (1000), ``going_away`` (1001) or ``abort`` (the TCP connection reset, no
        close frame). The relay to Mattermost is closed too, so Mattermost keeps the connection
        id for a resume. Returns once both sides are closed."""
        if mode not in ("close", "going_away", "abort"):
            raise ValueError(f"unknown drop mode {mode!r}; use 'close', 'going_away' or 'abort'")
        relays = list(self._relays)
        for relay in relays:
            if mode == "abort" and relay.transport is not None:
                relay.transport.abort()
            else:
                code = aiohttp.WSCloseCode.OK if mode == "close" else aiohttp.WSCloseCode.GOING_AWAY
                await relay.downstream.close(code=code)
            await relay.upstream.close()
        for relay in relays:
            await relay.done.wait()

    # -- the log --------------------------------------------------------------

    def requests(self, path_pattern: str | None = None) -> list[ProxiedRequest]:
        """Answered requests, in the order their answers came, optionally only those whose path
        matches a regex."""
        pattern = compile_pattern(path_pattern)
        return [r for r in self._log if pattern is None or pattern.search(r.path)]

    async def served(
        self,
        check: Callable[[ProxiedRequest], bool],
        what: str = "a request",
        *,
        within: float = SERVED_TIMEOUT_S,
    ) -> ProxiedRequest:
        """The first logged request for which ``check`` holds, waiting for its answer to come."""
        try:
            async with asyncio.timeout(within), self._logged:
                while True:
                    for record in self._log:
                        if check(record):
                            return record
                    await self._logged.wait()
        except TimeoutError:
            raise AssertionError(f"the proxy saw no answer to {what} within {within:g} s") from None

    async def _record(self, record: ProxiedRequest) -> None:
        async with self._logged:
            self._log.append(record)
            self._logged.notify_all()

    # -- serving --------------------------------------------------------------

    def _take(self, method: str, path: str) -> _Rule | None:
        for rule in self._rules:
            if rule.remaining is not None and rule.matches(method, path):
                rule.remaining -= 1
                if rule.remaining <= 0:
                    self._rules.remove(rule)
                return rule
        return None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.path == WEBSOCKET_PATH and request.headers.get("Upgrade", "").lower() == "websocket":
            return await self._relay_websocket(request)
        body = await request.read()
        # Carried on even if the bot hangs up: Mattermost gets the request all the same.
        task = asyncio.ensure_future(self._serve(request, body))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return await asyncio.shield(task)

    async def _serve(self, request: web.Request, body: bytes) -> web.StreamResponse:
        method, path, start = request.method, request.path, time.monotonic()
        delay = sum(r.seconds for r in self._rules if r.kind == "latency" and r.matches(method, path))
        rule = self._take(method, path)
        if rule is not None and rule.kind in ("fail", "throttle"):
            await self._record(
                ProxiedRequest(method, path, start, time.monotonic(), rule.status, rule.kind, False)
            )
            return web.Response(status=rule.status, body=rule.body, headers=rule.headers)
        if rule is not None and rule.kind == "hang":
            delay += rule.seconds
        if delay:
            await asyncio.sleep(delay)
        fault = rule.kind if rule is not None else None
        assert self._session is not None
        url = self.upstream.with_path(self.upstream.path.rstrip("/") + request.raw_path, encoded=True)
        try:
            async with self._session.request(
                method,
                url,
                headers=_forwardable(request.headers),
                data=body or None,
                allow_redirects=False,
                skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding", "Content-Type"),
            ) as answer:
                payload = await answer.read()
                status, reason = answer.status, answer.reason
                headers = _forwardable(answer.headers)  # the body is passed on still encoded
        except (aiohttp.ClientError, TimeoutError) as error:
            await self._record(ProxiedRequest(method, path, start, time.monotonic(), 502, fault, True))
            return web.Response(status=502, text=f"fault proxy: Mattermost did not answer: {error}")
        await self._record(ProxiedRequest(method, path, start, time.monotonic(), status, fault, True))
        return web.Response(status=status, reason=reason, body=payload, headers=headers)

    async def _relay_websocket(self, request: web.Request) -> web.StreamResponse:
        """Open the same websocket to Mattermost first (so a refusal reaches the bot as its own),
        then relay frames both ways until either side ends."""
        assert self._session is not None
        scheme = "wss" if self.upstream.scheme == "https" else "ws"
        url = self.upstream.with_scheme(scheme).with_path(
            self.upstream.path.rstrip("/") + request.raw_path, encoded=True
        )
        try:
            upstream = await self._session.ws_connect(
                url,
                headers=_forwardable(request.headers, HANDSHAKE),
                autoping=True,
                max_msg_size=0,
                timeout=aiohttp.ClientWSTimeout(ws_receive=None, ws_close=2.0),
            )
        except aiohttp.WSServerHandshakeError as error:
            return web.Response(status=error.status, text=f"fault proxy: {error.message}")
        except (aiohttp.ClientError, OSError, TimeoutError) as error:
            return web.Response(status=502, text=f"fault proxy: Mattermost did not answer: {error}")
        downstream = web.WebSocketResponse(autoping=True, max_msg_size=0)
        try:
            await downstream.prepare(request)
        except BaseException:
            await upstream.close()
            raise
        relay = _Relay(downstream, upstream, request.transport)
        self._relays.add(relay)
        self.websocket_connections += 1
        try:
            await self._pump_both(relay)
        finally:
            self._relays.discard(relay)
            relay.done.set()
        return downstream

    async def _pump_both(self, relay: _Relay) -> None:
        to_bot = asyncio.ensure_future(_pump(relay.upstream, relay.downstream))
        to_mattermost = asyncio.ensure_future(_pump(relay.downstream, relay.upstream))
        try:
            await asyncio.wait({to_bot, to_mattermost}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (to_bot, to_mattermost):
                task.cancel()
            await asyncio.gather(to_bot, to_mattermost, return_exceptions=True)
            with contextlib.suppress(Exception):
                await relay.upstream.close()
            with contextlib.suppress(Exception):
                await relay.downstream.close(code=relay.upstream.close_code or aiohttp.WSCloseCode.GOING_AWAY)


async def _pump(
    source: web.WebSocketResponse | aiohttp.ClientWebSocketResponse,
    sink: web.WebSocketResponse | aiohttp.ClientWebSocketResponse,
) -> None:
    """Copy data frames from ``source`` to ``sink`` until ``source`` closes."""
    async for message in source:
        if message.type is aiohttp.WSMsgType.TEXT:
            await sink.send_str(message.data)
        elif message.type is aiohttp.WSMsgType.BINARY:
            await sink.send_bytes(message.data)
        elif message.type is aiohttp.WSMsgType.ERROR:
            return
