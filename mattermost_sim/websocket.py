"""The websocket hub at ``/api/v4/websocket`` (placeholder)."""

from __future__ import annotations

from aiohttp import web

from .state import Event, SimState


class WebsocketHub:
    """Delivers state events to websocket connections (placeholder)."""

    def __init__(self, state: SimState) -> None:
        self.state = state
        state.sinks.append(self.deliver)

    def deliver(self, event: Event) -> None:
        """Queue an event for every connection it is addressed to."""

    async def close_all(self) -> None:
        """Close every connection."""

    def forget_connections(self) -> None:
        """Forget every connection id and its buffered events."""


def register(app: web.Application) -> None:
    """Add the websocket route."""
