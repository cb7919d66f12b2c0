"""A supervised Mattermost websocket: reconnects with backoff, resumes, and isolates the handler.

Why not the driver's websocket: it reconnects on a fixed 5 s delay, detects no half-open
connection, never resumes (events during a drop are lost) and tears the socket down when the
handler raises. This client, on aiohttp's ``ws_connect``:

* authenticates with the ``Authorization`` header, so the server registers it at once;
* pings every ``heartbeat`` seconds and treats a missing pong as a dead connection;
* reconnects with capped exponential backoff and full jitter;
* resumes with ``connection_id`` + ``sequence_number`` (the server replays what was missed) and
  calls ``on_gap`` when it cannot: a ``hello`` with a new connection id, or a skipped ``seq``;
* hands events to the handler through a bounded queue and one worker, in order, so a failing
  handler is logged and counted and a slow one only delays later events.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp

log = logging.getLogger(__name__)

EventHandler = Callable[[dict[str, Any]], Awaitable[None]]
GapHandler = Callable[[], Awaitable[None]]

_GAP = object()  # queue marker: run ``on_gap`` before the events that follow it


def websocket_url(server_url: str) -> str:
    """The websocket endpoint of a Mattermost site URL (``https://h`` → ``wss://h/api/v4/websocket``)."""
    parts = urlsplit(server_url)
    schemes = {"http": "ws", "https": "wss", "ws": "ws", "wss": "wss"}
    if parts.scheme not in schemes or not parts.netloc:
        raise ValueError(f"Mattermost URL must be http(s)://host[:port], got {server_url!r}")
    path = parts.path.rstrip("/") + "/api/v4/websocket"
    return urlunsplit((schemes[parts.scheme], parts.netloc, path, "", ""))


class WebsocketSupervisor:
    """Keeps one websocket to Mattermost open and feeds its events to ``handler``.

    ``handler`` receives each event envelope as a dict (``event``, ``data``, ``broadcast``,
    ``seq``), ``hello`` included, one at a time and in order; replies (``seq_reply``) are not
    passed on. Its exceptions are logged with the event name and never stop the supervisor.
    """

    def __init__(
        self,
        url: str,
        token: str,
        handler: EventHandler,
        *,
        heartbeat: float = 20.0,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        on_gap: GapHandler | None = None,
        queue_size: int = 1000,
        connect_timeout: float = 10.0,
        handler_timeout: float | None = None,
        drain_timeout: float = 5.0,
    ) -> None:
        if not token:
            raise ValueError("a Mattermost access token is required")
        if heartbeat <= 0 or backoff_base <= 0 or backoff_cap < backoff_base or queue_size < 1:
            raise ValueError("heartbeat and backoff_base must be positive, backoff_cap >= backoff_base")
        self.url = websocket_url(url)
        self._token = token
        self._handler = handler
        self._on_gap = on_gap
        self._heartbeat = heartbeat
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._queue_size = queue_size
        self._connect_timeout = connect_timeout
        self._handler_timeout = handler_timeout
        self._drain_timeout = drain_timeout

        # Set while a connection is usable: after its hello, or on opening when resuming.
        self.connected = asyncio.Event()
        self.reconnects = 0  # connections opened after the first one
        self.events_received = 0  # events (not replies) decoded from the server
        self.handler_errors = 0  # handler or on_gap calls that raised or timed out
        self.gaps = 0  # times events were lost and on_gap was due

        self.connection_id = ""  # from the last hello
        self.next_sequence = 0  # last event seq + 1: where a resume starts
        self._connections = 0
        self._gap_pending = False
        self._session: aiohttp.ClientSession | None = None
        self._queue: asyncio.Queue[object] | None = None
        self._tasks: list[asyncio.Task[None]] = []

    # -- lifecycle ----------------------------------------------------------------

    async def start(self) -> None:
        """Start connecting and dispatching in the background; returns at once.

        Wait on :attr:`connected` to know when the first connection is up.
        """
        if self._tasks:
            raise RuntimeError("the websocket supervisor is already running")
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None))
        self._queue = asyncio.Queue(maxsize=self._queue_size)
        self._tasks = [
            asyncio.create_task(self._dispatch(self._queue), name="mattermost-websocket-dispatch"),
            asyncio.create_task(self._supervise(), name="mattermost-websocket"),
        ]

    async def stop(self) -> None:
        """Close the connection, let queued events finish (up to ``drain_timeout``), end every task."""
        if not self._tasks:
            return
        dispatcher, reader = self._tasks
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader
        if self._queue is not None and not dispatcher.done():
            try:
                await asyncio.wait_for(self._queue.join(), self._drain_timeout)
            except TimeoutError:
                log.warning("websocket: %d events still queued at shutdown were dropped", self._queue.qsize())
        dispatcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await dispatcher
        self._tasks = []
        self.connected.clear()
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def wait_idle(self) -> None:
        """Wait until every event received so far has been handled."""
        if self._queue is not None:
            await self._queue.join()

    # -- connection loop ----------------------------------------------------------

    async def _supervise(self) -> None:
        attempt = 0
        while True:
            healthy = False
            try:
                healthy = await self._connect_and_read()
            except asyncio.CancelledError:
                raise
            except aiohttp.WSServerHandshakeError as error:
                log.error("websocket: server refused the connection (%s %s)", error.status, error.message)
            except (aiohttp.ClientError, OSError, TimeoutError) as error:
                log.warning("websocket: connection failed: %s: %s", type(error).__name__, error)
            except Exception:
                log.exception("websocket: unexpected failure; reconnecting")
            finally:
                self.connected.clear()
            # The exponent is bounded so a server down for days cannot overflow the float.
            attempt = 0 if healthy else min(attempt + 1, 32)
            delay = random.uniform(0, min(self._backoff_cap, self._backoff_base * 2**attempt))
            log.info("websocket: reconnecting in %.2f s", delay)
            await asyncio.sleep(delay)

    async def _connect_and_read(self) -> bool:
        """One connection's life. Returns whether it was healthy (it got frames or lived long)."""
        assert self._session is not None
        params = {}
        if self.connection_id:
            params = {"connection_id": self.connection_id, "sequence_number": str(self.next_sequence)}
        ws = await asyncio.wait_for(
            self._session.ws_connect(
                self.url,
                headers={"Authorization": f"Bearer {self._token}"},
                params=params,
                heartbeat=self._heartbeat,
                timeout=aiohttp.ClientWSTimeout(ws_receive=None, ws_close=2.0),
            ),
            self._connect_timeout,
        )
        opened = time.monotonic()
        frames = 0
        async with ws:
            if params:
                # A resumed connection gets no hello; the token that opened it is still on the upgrade.
                self._mark_connected()
            log.info("websocket: opened (resuming: %s)", bool(params))
            async for message in ws:
                if message.type is aiohttp.WSMsgType.TEXT:
                    frames += 1
                    await self._on_frame(message.data)
                elif message.type is aiohttp.WSMsgType.ERROR:
                    log.warning("websocket: connection error: %s", ws.exception())
                    break
            log.info("websocket: connection closed (code %s)", ws.close_code)
        return frames > 0 or time.monotonic() - opened >= self._backoff_cap

    async def _on_frame(self, raw: str) -> None:
        try:
            message = json.loads(raw)
        except ValueError:
            log.warning("websocket: ignoring a frame that is not JSON: %.80r", raw)
            return
        if not isinstance(message, dict):
            log.warning("websocket: ignoring a frame that is not a JSON object: %.80r", raw)
            return
        if "seq_reply" in message:
            if message.get("status") == "FAIL":
                log.warning(
                    "websocket: request %s failed: %s", message.get("seq_reply"), message.get("error")
                )
            return
        event = message.get("event")
        if not isinstance(event, str):
            log.warning("websocket: ignoring a frame without an event name: %.80r", raw)
            return
        if not self._track_sequence(event, message):
            return
        self.events_received += 1
        assert self._queue is not None
        if self._gap_pending:
            self._gap_pending = False
            await self._queue.put(_GAP)
        # Waiting for room pauses reading: the server buffers, and a resume covers a drop.
        await self._queue.put(message)

    def _track_sequence(self, event: str, message: dict[str, Any]) -> bool:
        """Update the resume point; note a gap. Returns False for a replayed duplicate."""
        seq = message.get("seq")
        if event == "hello":
            data = message.get("data")
            new_id = data.get("connection_id", "") if isinstance(data, dict) else ""
            if self.connection_id and new_id != self.connection_id:
                log.warning("websocket: new connection id after a reconnect; events may have been missed")
                self._note_gap()
            self.connection_id = new_id if isinstance(new_id, str) else ""
            self.next_sequence = seq + 1 if isinstance(seq, int) else 1
            self._mark_connected()
            return True
        if not isinstance(seq, int):
            return True
        if seq < self.next_sequence:
            log.debug("websocket: dropping replayed event %s seq %d", event, seq)
            return False
        if seq > self.next_sequence:
            log.warning("websocket: events %d..%d never arrived", self.next_sequence, seq - 1)
            self._note_gap()
        self.next_sequence = seq + 1
        return True

    def _mark_connected(self) -> None:
        """The connection is authenticated and receiving: count it and wake :attr:`connected`."""
        if self.connected.is_set():
            return
        self._connections += 1
        if self._connections > 1:
            self.reconnects += 1
        self.connected.set()

    def _note_gap(self) -> None:
        self.gaps += 1
        if self._on_gap is not None:
            self._gap_pending = True

    # -- dispatch -----------------------------------------------------------------

    async def _dispatch(self, queue: asyncio.Queue[object]) -> None:
        while True:
            item = await queue.get()
            try:
                if item is _GAP:
                    assert self._on_gap is not None
                    await self._run("gap catch-up", self._on_gap)
                elif isinstance(item, dict):
                    await self._run(str(item.get("event")), partial(self._handler, item), item.get("seq"))
            finally:
                queue.task_done()

    async def _run(self, name: str, call: Callable[[], Awaitable[None]], seq: object = None) -> None:
        try:
            if self._handler_timeout is None:
                await call()
            else:
                await asyncio.wait_for(call(), self._handler_timeout)
        except asyncio.CancelledError:
            raise
        except TimeoutError:
            self.handler_errors += 1
            log.error("websocket: handler for %s (seq %s) took over %.1f s", name, seq, self._handler_timeout)
        except Exception:
            self.handler_errors += 1
            log.exception("websocket: handler for %s (seq %s) failed", name, seq)
