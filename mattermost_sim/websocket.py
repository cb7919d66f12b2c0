"""The websocket at ``/api/v4/websocket``: authentication, event routing, resume and faults.

It behaves like Mattermost's ``web_conn.go``/``web_hub.go``: credentials on the upgrade or an
``authentication_challenge``; per-connection ``seq`` numbers starting with ``hello`` at 0; a
128-event dead queue per connection id for "reliable websocket" resumes; pings every 60 s and a
100 s read deadline. Wherever the real server hangs up (bad token, missed deadline, bad resume
parameters) it closes the TCP connection without a close frame, and so does this hub.

Who receives an event is :mod:`.websocket_routing`'s concern, and how a client's requests are
answered :mod:`.websocket_actions`'.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from typing import Any, Literal

from aiohttp import WSMsgType, web

from .app import SERVER_VERSION, bearer_token, sim_of
from .errors import AppError
from .ids import new_id
from .models import User
from .state import Broadcast, Event, SimState
from .websocket_actions import ActionHandler, answer_request, websocket_actions
from .websocket_connections import (
    CLOSE_HANDSHAKE_TIMEOUT,
    ClientSocket,
    ConnectionState,
    InvalidResumeError,
    WebsocketSettings,
    reply_frame,
    resume_params,
)
from .websocket_routing import route, send_event

log = logging.getLogger(__name__)

HANDLER_EXIT_TIMEOUT = 2.0
_ENDED = frozenset({WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR})

DropMode = Literal["close", "going_away", "abort"]


class WebsocketHub:
    """Holds the websocket connections and delivers :class:`SimState` events to them."""

    def __init__(self, state: SimState, settings: WebsocketSettings | None = None) -> None:
        self.state = state
        self.settings = settings or WebsocketSettings()
        self._connections: dict[str, ConnectionState] = {}
        self._sockets: set[ClientSocket] = set()
        self._actions: dict[str, ActionHandler] = websocket_actions(state, self.is_online)
        # Set and replaced whenever a socket is registered, to wake ``wait_connected``.
        self._registered = asyncio.Event()
        state.sinks.append(self.deliver)

    # -- routing --------------------------------------------------------------

    def deliver(self, event: Event) -> None:
        """Number and send an event to every connection it is addressed to.

        Connections whose socket is down keep buffering for a resume.
        """
        self._reap()
        route(self.state, event, list(self._connections.values()))

    def _reap(self) -> None:
        """Forget connection ids whose socket has been down longer than the resume window."""
        now = time.monotonic()
        for connection in list(self._connections.values()):
            if connection.socket is None and now - connection.down_since > self.settings.resume_window:
                del self._connections[connection.id]

    # -- serving one socket ---------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Serve one websocket from the upgrade to the last frame."""
        ws = web.WebSocketResponse(autoping=False, timeout=CLOSE_HANDSHAKE_TIMEOUT)
        if not ws.can_prepare(request).ok:
            raise AppError(400, "api.web_socket.connect.upgrade.app_error", "Failed to upgrade websocket.")
        await ws.prepare(request)
        sock = ClientSocket(ws, request, self.settings.send_queue_size)
        self._sockets.add(sock)
        tasks = [asyncio.create_task(self._write(sock)), asyncio.create_task(self._ping(sock))]
        try:
            await self._serve(sock, request)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self._detach(sock)
            self._sockets.discard(sock)
            if not ws.closed:
                sock.hang_up()
            sock.done.set()
        return ws

    async def _serve(self, sock: ClientSocket, request: web.Request) -> None:
        """Authenticate, then read client frames until the socket ends or a deadline passes."""
        token = bearer_token(request)
        user = self.state.user_by_token(token) if token else None
        if user is not None:
            # Reconnect parameters count only for a session on the upgrade request.
            try:
                resume = resume_params(request.query)
            except InvalidResumeError as error:
                log.info("websocket reconnect refused: %s", error)
                sock.hang_up()
                return
            self._register(sock, user, resume)
        auth_deadline = time.monotonic() + self.settings.auth_timeout
        while not sock.closing:
            authenticated = sock.connection is not None
            deadline = sock.last_seen + self.settings.pong_wait if authenticated else auth_deadline
            try:
                message = await sock.ws.receive(timeout=max(deadline - time.monotonic(), 0.001))
            except TimeoutError:
                if await self._thaw(sock):
                    continue
                if sock.connection is None or time.monotonic() - sock.last_seen >= self.settings.pong_wait:
                    log.info("websocket deadline passed (authenticated: %s)", sock.connection is not None)
                    sock.hang_up()
                    return
                continue
            # A half-open socket holds the frame unread until it thaws.
            await self._thaw(sock)
            if message.type in _ENDED or sock.closing:
                return
            sock.last_seen = time.monotonic()
            if message.type is WSMsgType.PING:
                await sock.send(sock.ws.pong(message.data))
            elif message.type is WSMsgType.TEXT:
                answer_request(sock, message.data, self._actions, self._authenticate)

    @staticmethod
    async def _thaw(sock: ClientSocket) -> bool:
        """Wait while the socket plays half-open; True if it did."""
        if sock.thawed.is_set():
            return False
        await sock.thawed.wait()
        sock.last_seen = time.monotonic()
        return True

    async def _write(self, sock: ClientSocket) -> None:
        """Send queued frames in order."""
        while True:
            frame = await sock.outbound.get()
            await sock.thawed.wait()
            if sock.closing or not await sock.send(sock.ws.send_str(frame)):
                return

    async def _ping(self, sock: ClientSocket) -> None:
        """Ping the client every ``ping_interval`` seconds."""
        while True:
            await asyncio.sleep(self.settings.ping_interval)
            await sock.thawed.wait()
            if sock.closing or not await sock.send(sock.ws.ping()):
                return

    def _authenticate(self, sock: ClientSocket, seq: int, data: dict[str, Any]) -> None:
        """``authentication_challenge``: register, or hang up on a bad token."""
        if sock.connection is not None:
            return  # already authenticated: the server ignores the request
        token = data.get("token")
        user = self.state.user_by_token(token) if isinstance(token, str) and token else None
        if user is None:
            log.info("websocket authentication_challenge with an invalid token")
            sock.hang_up()
            return
        order = self.settings.auth_reply_order
        reply_first = order == "reply_first" or (order == "random" and random.random() < 0.5)
        if reply_first:
            sock.push(reply_frame("OK", seq))
        # The real server ignores reconnect parameters on challenge-authenticated sockets.
        self._register(sock, user, None)
        if not reply_first:
            sock.push(reply_frame("OK", seq))

    def _register(self, sock: ClientSocket, user: User, resume: tuple[str, int] | None) -> None:
        """Attach an authenticated socket to its connection id: resumed, or new with ``hello``."""
        self._reap()
        self._registered.set()
        self._registered = asyncio.Event()
        connection = self._resumable(user, resume)
        if connection is not None and resume is not None:
            previous = connection.socket
            if previous is not None and previous is not sock:
                previous.abort()
            connection.socket = sock
            sock.connection = connection
            for frame in connection.frames_from(resume[1]):
                sock.push(frame, replay=True)
            return
        connection = ConnectionState(id=new_id(), user_id=user.id, socket=sock)
        self._connections[connection.id] = connection
        sock.connection = connection
        hello = {
            "server_version": f"{SERVER_VERSION}.0.sim.false",
            "connection_id": connection.id,
            "server_hostname": self.settings.server_hostname,
        }
        send_event(connection, "hello", hello, Broadcast(user_id=user.id).to_json())

    def _resumable(self, user: User, resume: tuple[str, int] | None) -> ConnectionState | None:
        """The connection a reconnect resumes; a known id whose events are gone is cleared."""
        if resume is None:
            return None
        connection = self._connections.get(resume[0])
        if connection is None or connection.user_id != user.id:
            return None
        if connection.can_resume_from(resume[1]):
            return connection
        del self._connections[connection.id]
        if connection.socket is not None:
            connection.socket.abort()
        return None

    def _detach(self, sock: ClientSocket) -> None:
        """Mark the socket's connection id as down (still buffering) if it still owns it."""
        connection = sock.connection
        if connection is not None and connection.socket is sock:
            connection.socket = None
            connection.down_since = time.monotonic()

    # -- presence and controls for tests --------------------------------------

    def is_online(self, user_id: str) -> bool:
        """Whether the user has an open, authenticated websocket."""
        return self.connection_count(user_id) > 0

    def connection_count(self, user_id: str | None = None) -> int:
        """Open authenticated websockets, of one user or of everyone."""
        return sum(
            1
            for sock in self._sockets
            if sock.connection is not None
            and not sock.closing
            and (user_id is None or sock.connection.user_id == user_id)
        )

    async def wait_connected(self, user_id: str, count: int = 1) -> None:
        """Wait until the user has ``count`` open websockets (bound it with ``asyncio.timeout``)."""
        while self.connection_count(user_id) < count:
            await self._registered.wait()

    async def drop_all(self, mode: DropMode = "close") -> None:
        """Drop every socket: ``close`` (1000), ``going_away`` (1001) or ``abort`` (TCP reset).

        Connection ids survive, so clients can resume.
        """
        sockets = list(self._sockets)
        if mode == "abort":
            for sock in sockets:
                sock.abort()
        elif mode in ("close", "going_away"):
            code = 1000 if mode == "close" else 1001
            await asyncio.gather(*(sock.close(code) for sock in sockets))
        else:
            raise ValueError(f"unknown drop mode {mode!r}; use 'close', 'going_away' or 'abort'")
        await self._wait_handlers(sockets)

    def stop_answering_pings(self, stop: bool = True) -> None:
        """Make every open socket half-open (nothing read, written or pinged), or bring it back."""
        for sock in self._sockets:
            if stop:
                sock.thawed.clear()
            else:
                sock.thawed.set()

    def skip_seq(self) -> None:
        """Make the next event of every current connection skip one ``seq`` number."""
        for connection in self._connections.values():
            connection.skip_next = True

    def forget_connections(self) -> None:
        """Reset every socket and forget every connection id with its buffer (a server restart)."""
        for sock in list(self._sockets):
            sock.abort()
        self._connections.clear()

    async def close_all(self) -> None:
        """Close every socket (1001, going away) and wait for their handlers to finish."""
        sockets = list(self._sockets)
        await asyncio.gather(*(sock.close(1001) for sock in sockets))
        await self._wait_handlers(sockets)

    @staticmethod
    async def _wait_handlers(sockets: list[ClientSocket]) -> None:
        """Wait for the sockets' handlers to end; cancel any that linger."""
        if not sockets:
            return
        waits = [asyncio.create_task(sock.done.wait()) for sock in sockets]
        _, pending = await asyncio.wait(waits, timeout=HANDLER_EXIT_TIMEOUT)
        if pending:
            for sock in sockets:
                if not sock.done.is_set() and sock.task is not None:
                    sock.task.cancel()
            await asyncio.wait(pending, timeout=HANDLER_EXIT_TIMEOUT)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)


async def _websocket_route(request: web.Request) -> web.StreamResponse:
    """``GET /api/v4/websocket``."""
    return await sim_of(request).hub.handle(request)


def register(app: web.Application) -> None:
    """Add the websocket route (a trailing slash is accepted, as by the real server)."""
    app.router.add_get("/api/v4/websocket", _websocket_route, allow_head=False)
    app.router.add_get("/api/v4/websocket/", _websocket_route, allow_head=False)
