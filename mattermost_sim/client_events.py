"""What a person's client hears on the websocket: every event from ``hello`` on, and waits for
the next one of a kind.

:class:`~mattermost_sim.client.Person` listens through one :class:`EventInbox`, as the web app
keeps one socket open.
"""

# Every wait in this API takes an explicit ``timeout`` so tests read as what a person expects.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from typing import Any

import aiohttp

EventPredicate = Callable[[dict[str, Any]], bool]


class EventInbox:
    """The events one websocket delivered, oldest first; :meth:`next_event` takes each at most once."""

    def __init__(self) -> None:
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None
        self._events: list[dict[str, Any]] = []
        self._consumed: set[int] = set()
        self._arrival = asyncio.Event()
        self._request_seq = 0

    @property
    def listening(self) -> bool:
        """Whether the websocket is connected and being read."""
        return self._reader is not None

    async def connect(self, session: aiohttp.ClientSession, base_url: str, timeout: float) -> None:
        """Connect the websocket and record every event from ``hello`` on."""
        self._ws = await session.ws_connect(
            f"{base_url}/api/v4/websocket", timeout=aiohttp.ClientWSTimeout(ws_close=timeout)
        )
        message = await self._ws.receive(timeout=timeout)
        hello = json.loads(message.data) if message.type is aiohttp.WSMsgType.TEXT else {}
        if not isinstance(hello, dict) or hello.get("event") != "hello":
            raise ConnectionError(f"the websocket did not say hello: {message}")
        self._record(hello)
        self._reader = asyncio.create_task(self._read(self._ws))

    async def close(self) -> None:
        """Stop reading and close the websocket."""
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
            self._reader = None
        if self._ws is not None:
            await self._ws.close()
            self._ws = None

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        """Record events until the socket ends (request replies are not events)."""
        try:
            async for message in ws:
                if message.type is not aiohttp.WSMsgType.TEXT:
                    continue
                with contextlib.suppress(ValueError):
                    body = json.loads(message.data)
                    if isinstance(body, dict) and "event" in body:
                        self._record(body)
        finally:
            self._wake()

    def _record(self, event: dict[str, Any]) -> None:
        self._events.append(event)
        self._wake()

    def _wake(self) -> None:
        self._arrival.set()
        self._arrival = asyncio.Event()

    async def send_typing(self, channel_id: str, parent_id: str) -> None:
        """Send a websocket ``user_typing`` request."""
        if self._ws is None:
            raise RuntimeError("call listen() before typing()")
        self._request_seq += 1
        data = {"channel_id": channel_id, "parent_id": parent_id}
        await self._ws.send_json({"action": "user_typing", "seq": self._request_seq, "data": data})

    def events(self, name: str) -> list[dict[str, Any]]:
        """Every event of this name received so far, oldest first."""
        return [event for event in self._events if event.get("event") == name]

    async def next_event(
        self, event_name: str, predicate: EventPredicate | None = None, timeout: float = 5.0
    ) -> dict[str, Any]:
        """The oldest not yet taken event of this name (and matching ``predicate``), waiting for it.

        Events that arrived before the call count, so nothing is missed between an action
        and the wait for its effect. Raises TimeoutError saying what was awaited.
        """
        if self._reader is None:
            raise RuntimeError("call listen() before waiting for events")
        try:
            async with asyncio.timeout(timeout):
                while True:
                    arrival = self._arrival
                    for index, event in enumerate(self._events):
                        if index in self._consumed or event.get("event") != event_name:
                            continue
                        if predicate is None or predicate(event):
                            self._consumed.add(index)
                            return event
                    await arrival.wait()
        except TimeoutError:
            wanted = f"{event_name!r} event" + (" matching the predicate" if predicate else "")
            seen = [event.get("event") for event in self._events]
            state = "open" if self._ws is not None and not self._ws.closed else "closed"
            raise TimeoutError(
                f"no {wanted} within {timeout:g}s (websocket {state}; events so far: {seen})"
            ) from None

    def received_post(self, post_id: str) -> dict[str, Any] | None:
        """The post as the latest event carrying it showed it, if any did."""
        for event in reversed(self._events):
            post = _post_of(event)
            if post is not None and post.get("id") == post_id:
                return post
        return None


def _post_of(event: dict[str, Any]) -> dict[str, Any] | None:
    """The post an event carries, decoded, if any."""
    raw = event.get("data", {}).get("post")
    if not isinstance(raw, str):
        return None
    with contextlib.suppress(ValueError):
        post = json.loads(raw)
        return post if isinstance(post, dict) else None
    return None
