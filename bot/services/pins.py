"""Timeline pins: a message in a run's channel with a :pushpin: reaction is on the run's timeline.

Whoever adds or removes a pin, the post's reactions decide: while at least one :pushpin: is on
the message it is on the timeline (once, at the message's own time); when the last one goes, so
does the event. Reading the reactions back makes the outcome independent of the order in which
the events arrive.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from bot.domain.timeline import TimelineEvent, TimelineEventType, event
from bot.mattermost.errors import NotFound
from bot.mattermost.types import MMPost
from bot.render.runs import truncate
from storage.repositories.listening import ListeningRepository
from storage.repositories.runs import RunRepository

from .context import Services

log = logging.getLogger(__name__)

PIN_EMOJI = "pushpin"
MAX_QUOTE = 200
NO_TEXT = "(a message without text)"


def pin_key(run_id: str, post_id: str) -> str:
    """The timeline de-duplication key of a pinned post."""
    return f"pin:{run_id}:{post_id}"


def pinned_post_event(post: MMPost, pinned_by: str) -> TimelineEvent:
    """The timeline event of a pinned post: at the post's time, quoting its first line."""
    first_line = next((line.strip() for line in post.message.splitlines() if line.strip()), "")
    return event(
        TimelineEventType.EVENT_FROM_POST,
        datetime.fromtimestamp(post.create_at / 1000, UTC),
        pinned_by,
        "{author_id}: “{text}” (pinned by {actor})",
        text=truncate(first_line, MAX_QUOTE) if first_line else NO_TEXT,
        post_id=post.id,
        author_id=post.user_id,
    )


async def sync_pin(services: Services, channel_id: str, post_id: str) -> None:
    """Put the post on its run's timeline, or take it off, to match its :pushpin: reactions."""
    async with services.transaction() as session:
        run = await RunRepository(session).get_by_channel(channel_id)
    if run is None:
        return
    key = pin_key(run.id, post_id)
    pins = sorted(
        (r for r in await services.gateway.post_reactions(post_id) if r.emoji_name == PIN_EMOJI),
        key=lambda reaction: reaction.create_at,
    )
    if not pins:
        async with services.transaction() as session:
            if await ListeningRepository(session).delete_timeline_event(key):
                log.info("post %s unpinned from run %s", post_id, run.id)
        return
    try:
        post = await services.gateway.get_post(post_id)
    except NotFound:
        return
    if post.channel_id != channel_id:
        return
    async with services.transaction() as session:
        if await RunRepository(session).add_timeline(run.id, pinned_post_event(post, pins[0].user_id), key):
            log.info("post %s pinned to run %s", post_id, run.id)
