"""A run's channel members are its participants: people who join the channel (by any means) join
its runs, people who leave it leave them, each on the run's timeline. Joiners also get the run's
welcome message by direct message, once per run (unless the channel turned welcomes off).

Mattermost tells the bot of each join and leave over the websocket; after a time away
(:mod:`bot.services.catch_up`) :func:`reconcile_members` brings the runs in progress in line with
their channels' members. Every step compares what is with what should be, so a replayed event
changes nothing twice.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Protocol

from bot.domain import run as domain
from bot.domain.run import Run, RunChange, RunStatus
from bot.mattermost.errors import MattermostError
from bot.render.runs import welcome_message
from storage.repositories.playbooks import PlaybookRepository
from storage.repositories.runs import RunRepository
from storage.repositories.settings import SettingsRepository

from .channel_settings import welcome_enabled
from .context import Services
from .posting import KeyedPost, post_once
from .run_saving import save_change
from .run_start import welcome_key

log = logging.getLogger(__name__)


class _Step(Protocol):
    """A join or a leave (:func:`~bot.domain.run.join_channel`, :func:`~bot.domain.run.leave_channel`)."""

    def __call__(self, run: Run, user_id: str, *, at: datetime) -> RunChange: ...


async def member_joined(services: Services, channel_id: str, user_id: str) -> bool:
    """``user_id`` joined ``channel_id``: they become a participant of the channel's runs in
    progress (of its newest run when none is), on each run's timeline, and get the newest such
    run's welcome, once per run and person. Returns whether the join was new to some run."""
    if not channel_id or not user_id or user_id == services.bot.id:
        return False
    async with services.transaction() as session:
        runs = await RunRepository(session).channel_runs(channel_id)
        current = [run for run in runs if not run.is_finished] or runs[:1]
        first_visit = bool(current) and await SettingsRepository(session).mark_handled(
            welcome_key(current[0].id, user_id)
        )
    joined = False
    for run in current:
        joined = await _apply(services, run, user_id, domain.join_channel) or joined
    if first_visit:
        await _send_welcome(services, current[0], user_id)
    return joined


async def member_left(services: Services, channel_id: str, user_id: str) -> bool:
    """``user_id`` left (or was removed from) ``channel_id``: they stop being a participant of the
    channel's runs (the owner stays). Returns whether some run changed."""
    if not channel_id or not user_id or user_id == services.bot.id:
        return False
    async with services.transaction() as session:
        runs = await RunRepository(session).channel_runs(channel_id)
    left = False
    for run in (run for run in runs if user_id in run.participant_ids):
        left = await _apply(services, run, user_id, domain.leave_channel) or left
    return left


async def reconcile_members(services: Services) -> int:
    """Make the participants of every run in progress the members of its channel (the bot aside,
    the owner always), as after joins and leaves the bot did not hear of. Returns how many people
    joined or left a run."""
    async with services.transaction() as session:
        runs = RunRepository(session)
        current = [
            run
            for team_id in services.team_ids
            for run in await runs.list(team_id=team_id, status=RunStatus.IN_PROGRESS)
        ]
    changed = 0
    for run in current:
        try:
            members = set(await services.gateway.channel_member_ids(run.channel_id))
        except MattermostError as error:
            log.warning("could not read the members of run %s's channel: %s", run.id, error)
            continue
        members.discard(services.bot.id)
        for user_id in sorted(members - set(run.participant_ids)):
            changed += await _apply(services, run, user_id, domain.join_channel)
        for user_id in [u for u in run.participant_ids if u not in members]:
            changed += await _apply(services, run, user_id, domain.leave_channel)
    if changed:
        log.info("caught up on %d channel joins and leaves of runs", changed)
    return changed


async def _apply(services: Services, run: Run, user_id: str, step: _Step) -> bool:
    """Apply one join or leave to the stored run (fresh, so a change meanwhile is kept)."""

    def operation(current: Run) -> RunChange:
        return step(current, user_id, at=services.clock())

    result = await save_change(services, run.id, user_id, None, operation)
    return not result.already


async def _send_welcome(services: Services, run: Run, user_id: str) -> None:
    async with services.transaction() as session:
        record = await PlaybookRepository(session).get_record(run.playbook_id, include_deleted=True)
    if record is None or not await welcome_enabled(services, run.channel_id):
        return
    channel = await services.gateway.channel(run.channel_id)
    text = welcome_message(run, record.playbook, channel_name=channel.name)
    if not text:
        return
    direct = await services.gateway.direct_channel(user_id)
    # Claimed by the caller, so this is the only attempt; the key guards the gateway's own retries.
    await post_once(services, KeyedPost(welcome_key(run.id, user_id), direct.id, text), maybe_posted=False)
