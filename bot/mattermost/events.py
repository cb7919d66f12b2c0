"""Typed websocket events: each decoded once from Mattermost's JSON, with only the fields the bot uses.

:func:`decode_event` turns an event envelope (``event``, ``data``, ``broadcast``, ``seq``) into one
of the dataclasses below, or ``None`` for an event the bot does not follow or one that is
malformed (logged at debug level: a server sending odd events must never stop the bot
listening). Posts read back through REST become :class:`PostedEvent` directly
(:func:`posted_event`), so live and caught-up posts reach the handlers alike.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Container, Mapping
from dataclasses import dataclass
from typing import Any

from .types import MMChannel, MMPost, MMReaction

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Event:
    """What every event the bot follows is."""


@dataclass(frozen=True, slots=True)
class PostedEvent(Event):
    """A new post (``posted``) and the channel it is in.

    ``channel_type`` is ``O``, ``P``, ``D`` or ``G``; ``channel_name`` may be "" (Mattermost omits
    it in some events); ``team_id`` is "" for direct and group messages. Treat ``post`` (and its
    ``props``) as read-only: every handler of the event shares it.
    """

    post: MMPost
    channel_type: str
    channel_name: str
    team_id: str


@dataclass(frozen=True, slots=True)
class ReactionEvent(Event):
    """An emoji reaction added to (``added``) or removed from a post in ``channel_id``."""

    reaction: MMReaction
    channel_id: str
    added: bool


@dataclass(frozen=True, slots=True)
class UserAddedEvent(Event):
    """Someone joined (or was added to) a channel (``user_added``)."""

    user_id: str
    channel_id: str


@dataclass(frozen=True, slots=True)
class UserRemovedEvent(Event):
    """Someone left (or was removed from) a channel (``user_removed``)."""

    user_id: str
    channel_id: str


@dataclass(frozen=True, slots=True)
class TypingEvent(Event):
    """Someone is typing in a channel (``typing``; ``parent_id`` is the thread, or "")."""

    user_id: str
    channel_id: str
    parent_id: str


class MalformedEventError(ValueError):
    """An event envelope lacks a field the bot needs, or has it with the wrong type."""


def _data(message: Mapping[str, Any]) -> Mapping[str, Any]:
    data = message.get("data")
    if not isinstance(data, Mapping):
        raise MalformedEventError("'data' must be an object")
    return data


def _text(body: Mapping[str, Any], key: str, *, required: bool = False) -> str:
    value = body.get(key)
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise MalformedEventError(f"{key!r} must be a string, got {type(value).__name__}")
    if required and not value:
        raise MalformedEventError(f"missing {key!r}")
    return value


def _broadcast_channel(message: Mapping[str, Any]) -> str:
    broadcast = message.get("broadcast")
    if not isinstance(broadcast, Mapping):
        raise MalformedEventError("'broadcast' must be an object")
    return _text(broadcast, "channel_id", required=True)


def _embedded(data: Mapping[str, Any], key: str) -> object:
    """A JSON object Mattermost sends as a string inside ``data`` (``post``, ``reaction``)."""
    raw = data.get(key)
    if not isinstance(raw, str):
        raise MalformedEventError(f"{key!r} must be a JSON string")
    try:
        return json.loads(raw)
    except ValueError as error:
        raise MalformedEventError(f"{key!r} is not JSON: {error}") from None


def _posted(message: Mapping[str, Any]) -> PostedEvent:
    data = _data(message)
    return PostedEvent(
        post=MMPost.from_json(_embedded(data, "post")),
        channel_type=_text(data, "channel_type"),
        channel_name=_text(data, "channel_name"),
        team_id=_text(data, "team_id"),
    )


def _reaction(added: bool) -> Callable[[Mapping[str, Any]], ReactionEvent]:
    def decode(message: Mapping[str, Any]) -> ReactionEvent:
        reaction = MMReaction.from_json(_embedded(_data(message), "reaction"))
        return ReactionEvent(reaction, _broadcast_channel(message), added)

    return decode


def _user_added(message: Mapping[str, Any]) -> UserAddedEvent:
    return UserAddedEvent(_text(_data(message), "user_id", required=True), _broadcast_channel(message))


def _user_removed(message: Mapping[str, Any]) -> UserRemovedEvent:
    """Mattermost sends two: to the channel (``data.user_id`` left ``broadcast.channel_id``) and to the
    person who left (``data.channel_id``, ``broadcast.user_id``). The bot hears the first for
    channels it stays in, the second only when it is the one removed: both decode alike."""
    data = _data(message)
    broadcast = message.get("broadcast")
    if not isinstance(broadcast, Mapping):
        raise MalformedEventError("'broadcast' must be an object")
    user_id = _text(data, "user_id") or _text(broadcast, "user_id")
    channel_id = _text(broadcast, "channel_id") or _text(data, "channel_id")
    if not user_id or not channel_id:
        raise MalformedEventError("missing the user or the channel")
    return UserRemovedEvent(user_id, channel_id)


def _typing(message: Mapping[str, Any]) -> TypingEvent:
    data = _data(message)
    return TypingEvent(_text(data, "user_id"), _broadcast_channel(message), _text(data, "parent_id"))


_DECODERS: dict[str, tuple[type[Event], Callable[[Mapping[str, Any]], Event]]] = {
    "posted": (PostedEvent, _posted),
    "reaction_added": (ReactionEvent, _reaction(added=True)),
    "reaction_removed": (ReactionEvent, _reaction(added=False)),
    "user_added": (UserAddedEvent, _user_added),
    "user_removed": (UserRemovedEvent, _user_removed),
    "typing": (TypingEvent, _typing),
}


def decode_event(message: Mapping[str, Any], wanted: Container[type[Event]] | None = None) -> Event | None:
    """The typed event of a websocket envelope, or ``None`` when it is not one the bot follows,
    not one of the ``wanted`` kinds (then it is not even decoded), or malformed."""
    name = message.get("event")
    found = _DECODERS.get(name) if isinstance(name, str) else None
    if found is None:
        return None
    kind, decode = found
    if wanted is not None and kind not in wanted:
        return None
    try:
        return decode(message)
    except (ValueError, TypeError) as error:
        log.debug("ignoring a malformed %s event (seq %s): %s", name, message.get("seq"), error)
        return None


def posted_event(post: MMPost, channel: MMChannel) -> PostedEvent:
    """The :class:`PostedEvent` of a post read through REST, as its ``posted`` event would carry it."""
    return PostedEvent(post, channel_type=channel.type, channel_name=channel.name, team_id=channel.team_id)
