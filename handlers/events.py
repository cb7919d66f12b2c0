"""Websocket events to handlers: each handler isolated, so one failure never stops listening."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from bot.mattermost.types import MMPost
from bot.mattermost.types import event_post as post_of_event

log = logging.getLogger(__name__)

EventHandler = Callable[[Mapping[str, Any], Any], Awaitable[None]]


class EventRouter:
    """Maps a websocket event name to the handlers interested in it."""

    def __init__(self) -> None:
        self.handlers: dict[str, list[EventHandler]] = {}

    def on(self, event_name: str) -> Callable[[EventHandler], EventHandler]:
        """Register the decorated coroutine for events named ``event_name``."""

        def decorate(handler: EventHandler) -> EventHandler:
            self.handlers.setdefault(event_name, []).append(handler)
            return handler

        return decorate

    async def dispatch(self, event: Mapping[str, Any], services: Any) -> None:
        """Run every handler of this event; a failing handler is logged and the rest still run."""
        name = event.get("event")
        if not isinstance(name, str):
            return
        for handler in self.handlers.get(name, ()):
            try:
                await handler(event, services)
            except Exception:
                log.exception("handling websocket event %s failed", name)


def event_post(event: Mapping[str, Any]) -> MMPost | None:
    """The post carried by a ``posted``/``post_edited`` event (a JSON string), or None if malformed.

    Decoded once per event, however many handlers ask (the handlers share the read-only post).
    """
    return post_of_event(event)


def event_data(event: Mapping[str, Any]) -> Mapping[str, Any]:
    """The event's ``data`` object ({} when absent or malformed)."""
    data = event.get("data")
    return data if isinstance(data, Mapping) else {}
