"""Websocket events as the simulated server produces them, before they reach a connection."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Broadcast:
    """Who receives a websocket event: one user, a channel's members, or a team's members."""

    user_id: str = ""
    channel_id: str = ""
    team_id: str = ""
    omit_users: frozenset[str] = frozenset()
    # One of a pair of events: the sanitized one for everyone but system admins, the sensitive
    # one for system admins only (``post_deleted``).
    contains_sanitized_data: bool = False
    contains_sensitive_data: bool = False

    def to_json(self) -> dict[str, Any]:
        """The envelope's ``broadcast`` object (``omit_users`` is a map or null)."""
        body: dict[str, Any] = {
            "omit_users": {uid: True for uid in sorted(self.omit_users)} or None,
            "user_id": self.user_id,
            "channel_id": self.channel_id,
            "team_id": self.team_id,
            "connection_id": "",
            "omit_connection_id": "",
        }
        if self.contains_sanitized_data:
            body["contains_sanitized_data"] = True
        if self.contains_sensitive_data:
            body["contains_sensitive_data"] = True
        return body


@dataclass(frozen=True)
class Event:
    """A websocket event before it is addressed to a connection (no ``seq`` yet)."""

    event: str
    data: dict[str, Any]
    broadcast: Broadcast


EventSink = Callable[[Event], None]
