"""People who join a run's channel after it started: a line on the run's timeline and, once, the
run's welcome message by direct message (unless the channel turned welcomes off)."""

from __future__ import annotations

from bot.domain.timeline import TimelineEventType, event
from bot.render.runs import welcome_message
from storage.repositories.playbooks import PlaybookRepository
from storage.repositories.runs import RunRepository
from storage.repositories.settings import SettingsRepository

from .channel_settings import welcome_enabled
from .context import Services
from .posting import KeyedPost, post_once
from .run_start import welcome_key


async def welcome_joiner(services: Services, channel_id: str, user_id: str) -> bool:
    """``user_id`` joined ``channel_id``: if it is a run's channel, note it on the run's timeline
    and send them the welcome, once per run and person (a repeated or replayed join changes
    nothing). Returns whether the join was new to a run."""
    if not channel_id or not user_id or user_id == services.bot.id:
        return False
    async with services.transaction() as session:
        runs = RunRepository(session)
        run = await runs.get_by_channel(channel_id)
        if run is None or not await SettingsRepository(session).mark_handled(welcome_key(run.id, user_id)):
            return False
        joined = event(
            TimelineEventType.USER_JOINED_LEFT,
            services.clock(),
            user_id,
            "{actor} joined the channel",
            action="joined",
        )
        await runs.add_timeline(run.id, joined)
        record = await PlaybookRepository(session).get_record(run.playbook_id, include_deleted=True)
    if record is None or not await welcome_enabled(services, channel_id):
        return True
    channel = await services.gateway.channel(channel_id)
    text = welcome_message(run, record.playbook, channel_name=channel.name)
    if not text:
        return True
    direct = await services.gateway.direct_channel(user_id)
    # Claimed above, so this is the only attempt; the key guards the gateway's own retries.
    await post_once(services, KeyedPost(welcome_key(run.id, user_id), direct.id, text), maybe_posted=False)
    return True
