"""What follows a change to a run, in the background: its posts re-rendered in place, and the
announcement of a finish or a restore in the run channel and the playbook's broadcast channels.

Refreshes of one run take turns and each reads the run afresh, so the last refresh to run always
shows the latest state, however the background work interleaves.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Awaitable, Collection, Iterable

from bot.domain.run import Run
from bot.render import run_replies
from bot.services import run_posts
from bot.services.context import Services
from bot.services.run_switches import run_rules
from storage.repositories.runs import RunRepository

log = logging.getLogger(__name__)

_refresh_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()


def schedule_refresh(
    services: Services, run_id: str, checklist_ids: Iterable[str], overview: bool = True
) -> None:
    """Re-render the run's overview and the given checklist posts in the background."""
    spawn(services, refresh_posts(services, run_id, tuple(checklist_ids), overview), f"refresh-{run_id}")


async def refresh_posts(
    services: Services, run_id: str, checklist_ids: Collection[str], overview: bool = True
) -> None:
    """Re-render posts from the run as stored now; refreshes of one run take turns."""
    lock = _refresh_locks.get(run_id)
    if lock is None:
        lock = _refresh_locks[run_id] = asyncio.Lock()
    async with lock:
        async with services.transaction() as session:
            run = await RunRepository(session).get(run_id)
        if run is None:
            return
        for checklist_id in checklist_ids:
            if any(c.id == checklist_id for c in run.checklists):
                await run_posts.refresh_checklist(services, run, checklist_id)
        if overview:
            await run_posts.refresh_overview(services, run)


def spawn(services: Services, work: Awaitable[None], name: str) -> None:
    """Run ``work`` after the answer, tracked by ``services.background`` when there is one."""
    background = services.background
    if background is not None:
        background.spawn(work, name=name)
        return

    # Without a tracker (a bare Services) the work still runs, as its own logged task.
    async def guarded() -> None:
        try:
            await work
        except Exception:
            log.exception("background work %s failed", name)

    task = asyncio.create_task(guarded(), name=name)
    _untracked.add(task)
    task.add_done_callback(_untracked.discard)


_untracked: set[asyncio.Task[None]] = set()


async def announce(services: Services, run: Run, actor_id: str, *, finished: bool) -> None:
    """The finish summary (or the restore note) in the run channel and the broadcast channels."""
    async with services.transaction() as session:
        broadcast_ids = (await run_rules(session, run)).broadcast_channel_ids
    names = await services.people.usernames((actor_id, run.owner_id, *run.participant_ids))
    if finished:
        message = run_replies.finish_summary(run, actor_id, names, at=services.clock())
    else:
        message = run_replies.restore_note(run, actor_id, names)
    await services.gateway.create_post(run.channel_id, message)
    for channel_id in broadcast_ids:
        try:
            await services.gateway.create_post(channel_id, message)
        except Exception:
            log.exception("could not broadcast run %s to channel %s", run.id, channel_id)
