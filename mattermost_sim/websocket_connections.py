"""The server side of one websocket: its socket, its connection id's state and frame helpers."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import web

from .errors import AppError
from .ids import is_valid_id

log = logging.getLogger(__name__)

DEAD_QUEUE_SIZE = 128
CLOSE_HANDSHAKE_TIMEOUT = 1.0

AuthReplyOrder = Literal["hello_first", "reply_first", "random"]


@dataclass
class WebsocketSettings:
    """Timings and test switches of the hub (seconds); the defaults are Mattermost's."""

    auth_timeout: float = 5.0
    ping_interval: float = 60.0
    pong_wait: float = 100.0
    # How long a connection id outlives its socket and stays resumable.
    resume_window: float = 300.0
    # Frames waiting for one socket; a client this far behind is dropped, as the server does.
    send_queue_size: int = 256
    # The order of ``hello`` and the OK reply after an ``authentication_challenge``.
    auth_reply_order: AuthReplyOrder = "hello_first"
    server_hostname: str = "mattermost-sim"


class ClientSocket:
    """One open websocket: its response, outbound frames and fault switches."""

    def __init__(self, ws: web.WebSocketResponse, request: web.Request, queue_size: int) -> None:
        self.ws = ws
        self.transport = request.transport
        self.outbound: asyncio.Queue[str] = asyncio.Queue()
        self.queue_size = queue_size
        self.send_lock = asyncio.Lock()
        # Cleared while the socket plays half-open: nothing is read, written or pinged.
        self.thawed = asyncio.Event()
        self.thawed.set()
        self.connection: ConnectionState | None = None
        self.last_seen = time.monotonic()
        self.closing = False
        self.done = asyncio.Event()
        self.task = asyncio.current_task()

    def push(self, frame: str, *, replay: bool = False) -> None:
        """Queue a frame; a client too far behind is cut off.

        A resume's replay is exempt: the dead queue already bounds it.
        """
        if self.closing:
            return
        if not replay and self.outbound.qsize() >= self.queue_size:
            log.info("websocket send queue full, dropping the connection")
            self.abort()
            return
        self.outbound.put_nowait(frame)

    def hang_up(self) -> None:
        """Close the TCP connection without a close frame, as the real server does."""
        self.closing = True
        self.thawed.set()
        if self.transport is not None:
            self.transport.close()

    def abort(self) -> None:
        """Reset the TCP connection at once."""
        self.closing = True
        self.thawed.set()
        if self.transport is not None:
            self.transport.abort()

    async def close(self, code: int) -> None:
        """Close with a close frame and ``code``; abort if the handshake stalls."""
        self.closing = True
        self.thawed.set()
        try:
            await asyncio.wait_for(self.ws.close(code=code), CLOSE_HANDSHAKE_TIMEOUT)
        except (TimeoutError, ConnectionError, RuntimeError):
            self.abort()

    async def send(self, send: Any) -> bool:
        """Run one send on the websocket; False once the socket is gone."""
        try:
            async with self.send_lock:
                await send
        except (ConnectionError, RuntimeError):
            self.abort()
            return False
        return True


@dataclass
class ConnectionState:
    """A connection id's server-side state, which outlives its sockets (wire reference §4.5)."""

    id: str
    user_id: str
    next_seq: int = 0
    skip_next: bool = False
    dead_queue: deque[tuple[int, str]] = field(default_factory=lambda: deque(maxlen=DEAD_QUEUE_SIZE))
    socket: ClientSocket | None = None
    down_since: float = 0.0

    def can_resume_from(self, seq: int) -> bool:
        """Whether every event from ``seq`` on is still buffered (or none was sent)."""
        if seq == self.next_seq:
            return True
        return bool(self.dead_queue) and self.dead_queue[0][0] <= seq < self.next_seq

    def frames_from(self, seq: int) -> list[str]:
        """The buffered frames numbered ``seq`` and later."""
        return [frame for number, frame in self.dead_queue if number >= seq]


class InvalidResumeError(ValueError):
    """The reconnect parameters are malformed: the server hangs up."""


def resume_params(query: Any) -> tuple[str, int] | None:
    """``(connection_id, sequence_number)`` from a reconnect URL, or None for a fresh connection.

    As ``connectWebSocket``: without a ``connection_id`` (absent or empty) the connection is
    fresh, whatever ``sequence_number`` says; with one, it must be a valid id and come with an
    integer ``sequence_number`` (``PopulateWebConnConfig``), else the server hangs up.
    """
    connection_id = query.get("connection_id") or ""
    sequence = query.get("sequence_number") or ""
    if not connection_id:
        return None
    if not is_valid_id(connection_id) or not sequence:
        raise InvalidResumeError(f"connection_id={connection_id!r} sequence_number={sequence!r}")
    try:
        number = int(sequence)
    except ValueError:
        raise InvalidResumeError(f"sequence_number={sequence!r}") from None
    return connection_id, number


def reply_frame(status: str, seq: int, data: Any = None, error: AppError | None = None) -> str:
    """A ``WebSocketResponse`` frame (``seq_reply``, ``data`` and ``error`` are omitempty)."""
    body: dict[str, Any] = {"status": status}
    if seq:
        body["seq_reply"] = seq
    if data:
        body["data"] = data
    if error is not None:
        body["error"] = error.body("")
    return json.dumps(body)
