"""What the bot does with what it hears on the websocket: keyword prompts, playbook files sent by
direct message, pins on a run's timeline, and people joining and leaving a run's channel (they join
and leave its runs).

Each handler gets a typed event (:mod:`bot.mattermost.events`), decides from its fields whether
it concerns the bot, and leaves the work (the database, Mattermost) to a service. They run each
in its own lane under a time limit (:mod:`handlers.events`), so importing a file, which downloads
and parses it, never holds up a keyword prompt; it has a longer limit, and imports stay in the
order the files were sent (a second file of the same playbook replaces the first).
"""

from __future__ import annotations

from bot.mattermost.events import PostedEvent, ReactionEvent, UserAddedEvent, UserRemovedEvent
from bot.services.context import Services
from bot.services.joiners import member_joined, member_left
from bot.services.keywords import KeywordIndex, prompt_for_keywords
from bot.services.pins import PIN_EMOJI, sync_pin
from bot.services.playbook_import import import_sent_files

from .registry import Routers

TEAM_CHANNEL_TYPES = ("O", "P")
IMPORT_TIME_LIMIT_S = 120.0
"""How long importing the files of one message may take (a file is at most a few MiB)."""


def register(routers: Routers) -> None:
    """Follow messages (keywords, files sent by DM), pushpin reactions and people joining and leaving
    channels."""
    events = routers.events
    events.on(PostedEvent)(KeywordListener().on_posted)
    events.on(PostedEvent, time_limit=IMPORT_TIME_LIMIT_S)(on_direct_message)
    events.on(ReactionEvent)(on_reaction)
    events.on(UserAddedEvent)(on_user_added)
    events.on(UserRemovedEvent)(on_user_removed)


class KeywordListener:
    """Watches messages for keywords, with its own index of the playbooks' keywords."""

    def __init__(self) -> None:
        self.index = KeywordIndex()

    async def on_posted(self, event: PostedEvent, services: Services) -> None:
        """A message in a team channel: prompt if it contains keywords (see
        :func:`~bot.services.keywords.prompt_for_keywords`). The bot's own posts, other bots',
        system messages and direct or group messages are left alone."""
        post = event.post
        if post.type.startswith("system_") or post.is_deleted:
            return
        if event.channel_type not in TEAM_CHANNEL_TYPES or event.team_id not in services.team_ids:
            return
        if post.user_id == services.bot.id or str(post.props.get("from_bot", "")).lower() == "true":
            return
        await prompt_for_keywords(
            services, self.index, post, team_id=event.team_id, channel_name=event.channel_name
        )


async def on_direct_message(event: PostedEvent, services: Services) -> None:
    """A person sent the bot a direct message with files: import each playbook file (see
    :func:`~bot.services.playbook_import.import_sent_files`)."""
    post = event.post
    if event.channel_type != "D" or not post.file_ids or post.type or post.user_id == services.bot.id:
        return
    await import_sent_files(services, post, channel_name=event.channel_name)


async def on_reaction(event: ReactionEvent, services: Services) -> None:
    """A pushpin came or went: bring the run's timeline in line with the post's pins."""
    if event.reaction.emoji_name == PIN_EMOJI:
        await sync_pin(services, event.channel_id, event.reaction.post_id)


async def on_user_added(event: UserAddedEvent, services: Services) -> None:
    """Someone joined a channel: if it is a run's, they join the run and are welcomed (see
    :func:`~bot.services.joiners.member_joined`)."""
    await member_joined(services, event.channel_id, event.user_id)


async def on_user_removed(event: UserRemovedEvent, services: Services) -> None:
    """Someone left a channel: if it is a run's, they leave the run (see
    :func:`~bot.services.joiners.member_left`)."""
    await member_left(services, event.channel_id, event.user_id)
