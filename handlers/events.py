"""Websocket events to handlers: typed, each handler in its own lane, under a time limit.

Handlers register for an event class of :mod:`bot.mattermost.events`
(``router.on(PostedEvent)(handler)``) and are called as ``handler(event, services)``.

:class:`EventListener` decodes each websocket event once and hands it to every handler of its
kind. Each handler has a *lane*: a queue and one worker feeding it its events in the order they
came, so a handler that relies on order keeps it (keyword prompts: a thread's first message
claims its prompt), while a slow handler delays only its own later events, never another
handler's. Each call runs under the handler's time limit; one that fails or overruns is logged
and its lane goes on. A lane holds at most ``lane_size`` events: only a handler that stays
slower than the events come for that long makes the websocket wait (reading pauses, the server
buffers).

Once every handler is done with an event, the *after-handled* callbacks get it, in the order
events came (catching up moves its mark there, see :mod:`bot.services.catch_up`), so a mark
never passes an event some handler has yet to finish.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from bot.mattermost.events import Event, decode_event
from bot.services.context import Services

log = logging.getLogger(__name__)

HANDLER_TIME_LIMIT_S = 10.0
"""How long one handler may take over one event before it is stopped (and logged)."""
LANE_SIZE = 1000
"""Events a handler's lane holds before the websocket waits for it."""
DRAIN_S = 5.0
"""How long stopping waits for the events already received to be handled."""

E = TypeVar("E", bound=Event)
EventHandler = Callable[[E, Services], Awaitable[None]]
AfterHandled = Callable[[Event], None]


@dataclass(frozen=True, slots=True)
class Registration:
    """One handler of one kind of event."""

    kind: type[Event]
    name: str
    call: Callable[[Event, Services], Awaitable[None]]
    time_limit: float


class EventRouter:
    """The handlers of each kind of event, in the order they were registered."""

    def __init__(self) -> None:
        self.registrations: list[Registration] = []

    def on(
        self, kind: type[E], *, time_limit: float = HANDLER_TIME_LIMIT_S
    ) -> Callable[[EventHandler[E]], EventHandler[E]]:
        """Register the decorated coroutine for events of ``kind``, each call limited to
        ``time_limit`` seconds."""
        if time_limit <= 0:
            raise ValueError("a handler's time limit must be positive")

        def decorate(handler: EventHandler[E]) -> EventHandler[E]:
            async def call(event: Event, services: Services) -> None:
                if isinstance(event, kind):
                    await handler(event, services)

            name = getattr(handler, "__qualname__", None) or repr(handler)
            self.registrations.append(Registration(kind, name, call, time_limit))
            return handler

        return decorate

    def kinds(self) -> frozenset[type[Event]]:
        """The kinds of event some handler follows."""
        return frozenset(registration.kind for registration in self.registrations)


@dataclass(slots=True)
class _Handling:
    """One event on its way through its handlers' lanes."""

    event: Event
    waiting: int  # lanes yet to finish with it
    done: asyncio.Future[None]


class EventListener:
    """Feeds events to the router's handlers, each through its own lane (see the module)."""

    def __init__(self, router: EventRouter, services: Services, *, lane_size: int = LANE_SIZE) -> None:
        if lane_size < 1:
            raise ValueError("a lane holds at least one event")
        self._router = router
        self._services = services
        self._lane_size = lane_size
        self._after: list[tuple[str, AfterHandled]] = []
        self._lanes: dict[type[Event], list[asyncio.Queue[_Handling]]] = {}
        self._laned = 0  # registrations that have their lane
        self._kinds: frozenset[type[Event]] = frozenset()
        self._tasks: list[asyncio.Task[None]] = []
        self._pending: deque[_Handling] = deque()  # dispatched, in order, not yet after-handled
        self._idle = asyncio.Event()
        self._idle.set()
        self.failures = 0  # handler calls that raised
        self.timeouts = 0  # handler calls stopped at their time limit

    def after_handled(self, callback: AfterHandled) -> None:
        """Call ``callback`` with each event once all its handlers are done, in the order events
        came (an event waits for those before it). It must be quick: it is called inline."""
        self._after.append((getattr(callback, "__qualname__", None) or repr(callback), callback))

    async def dispatch_message(self, message: Mapping[str, Any]) -> None:
        """A websocket event envelope: decode it (once) and :meth:`dispatch` it; an event nobody
        follows is not decoded, a malformed one is ignored."""
        self._update_lanes()
        event = decode_event(message, self._kinds)
        if event is not None:
            await self.dispatch(event)

    async def dispatch(self, event: Event) -> asyncio.Future[None]:
        """Queue ``event`` for each of its handlers; returns at once (unless a lane is full) with a
        future that is done when every handler has finished with it (however it ended)."""
        self._update_lanes()
        lanes = self._lanes.get(type(event), ())
        handling = _Handling(event, len(lanes), asyncio.get_running_loop().create_future())
        self._pending.append(handling)
        self._idle.clear()
        if not lanes:
            self._finished(handling)
        for lane in lanes:
            await lane.put(handling)
        return handling.done

    async def wait_idle(self) -> None:
        """Wait until every event dispatched so far is handled and its after-handled calls made."""
        await self._idle.wait()

    async def stop(self, grace: float = DRAIN_S) -> None:
        """Let the events already dispatched finish (up to ``grace`` seconds), then end every lane."""
        try:
            async with asyncio.timeout(grace):
                await self._idle.wait()
        except TimeoutError:
            log.warning("%d events still being handled at shutdown were abandoned", len(self._pending))
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        self._lanes, self._laned, self._kinds = {}, 0, frozenset()
        self._pending.clear()
        self._idle.set()

    def _update_lanes(self) -> None:
        """Start the lanes of handlers registered since the last event."""
        registrations = self._router.registrations
        if self._laned == len(registrations):
            return
        for registration in registrations[self._laned :]:
            lane: asyncio.Queue[_Handling] = asyncio.Queue(self._lane_size)
            self._lanes.setdefault(registration.kind, []).append(lane)
            name = f"events-{registration.name}"
            self._tasks.append(asyncio.create_task(self._lane_work(registration, lane), name=name))
        self._laned = len(registrations)
        self._kinds = self._router.kinds()

    async def _lane_work(self, registration: Registration, lane: asyncio.Queue[_Handling]) -> None:
        while True:
            handling = await lane.get()
            try:
                work = registration.call(handling.event, self._services)
                await self._call(registration.name, work, registration.time_limit)
            finally:
                handling.waiting -= 1
                if handling.waiting == 0:
                    self._finished(handling)
                lane.task_done()

    def _finished(self, handling: _Handling) -> None:
        """Every handler is done with ``handling``: resolve it, and make the after-handled calls of
        the events now done in order (those up to the oldest still being handled)."""
        if not handling.done.done():
            handling.done.set_result(None)
        pending = self._pending
        while pending and pending[0].done.done():
            event = pending.popleft().event
            for name, callback in self._after:
                try:
                    callback(event)
                except Exception:
                    self.failures += 1
                    log.exception("after-handled call %s failed", name)
        if not pending:
            self._idle.set()

    async def _call(self, name: str, work: Awaitable[None], time_limit: float) -> None:
        """Run one call under its time limit; its failure or overrun is logged, never raised."""
        limit = asyncio.timeout(time_limit)
        try:
            async with limit:
                await work
        except asyncio.CancelledError:
            raise
        except TimeoutError:
            if not limit.expired():
                self.failures += 1
                log.exception("event handler %s failed", name)
                return
            self.timeouts += 1
            log.error("event handler %s took over %g s and was stopped", name, time_limit)
        except Exception:
            self.failures += 1
            log.exception("event handler %s failed", name)
