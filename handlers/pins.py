"""Pins: a :pushpin: reaction on a message in a run's channel puts it on the run's timeline."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from bot.mattermost.types import MMReaction
from bot.services.context import Services
from bot.services.pins import PIN_EMOJI, sync_pin

from .events import event_data
from .registry import Routers


def register(routers: Routers) -> None:
    """Follow pushpin reactions being added and removed."""
    routers.events.on("reaction_added")(on_reaction)
    routers.events.on("reaction_removed")(on_reaction)


def event_reaction(event: Mapping[str, Any]) -> MMReaction | None:
    """The reaction carried by a ``reaction_added``/``reaction_removed`` event (a JSON string)."""
    raw = event_data(event).get("reaction")
    if not isinstance(raw, str):
        return None
    try:
        return MMReaction.from_json(json.loads(raw))
    except (ValueError, TypeError):
        return None


async def on_reaction(event: Mapping[str, Any], services: Services) -> None:
    """A pushpin came or went: bring the run's timeline in line with the post's pins."""
    reaction = event_reaction(event)
    if reaction is None or reaction.emoji_name != PIN_EMOJI:
        return
    broadcast = event.get("broadcast")
    channel_id = broadcast.get("channel_id") if isinstance(broadcast, Mapping) else None
    if isinstance(channel_id, str) and channel_id:
        await sync_pin(services, channel_id, reaction.post_id)
