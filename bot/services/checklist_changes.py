"""Changing a run's checklists while it runs: checklists added, renamed, removed and moved; tasks
edited, moved and given due dates.

Each function applies a pure operation of :mod:`bot.domain.run_checklists` (or
:mod:`bot.domain.run_items`) through :func:`bot.services.run_saving.save_change`, like
:mod:`bot.services.run_changes`, and keeps the run's checklist posts in step: a new checklist gets
its post, a removed one's post says so, and after a move the posts in the channel show the
checklists in their new order.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain import run_checklists
from bot.domain import run_items as items
from bot.domain.errors import DomainError
from bot.domain.run import Run, RunChange, add_participants, locate_checklist
from bot.domain.run_checklists import TaskEdit
from bot.domain.schedules import time_zone
from bot.mattermost.errors import MattermostError
from bot.render.checklists import removed_checklist_post
from bot.services import run_posts, run_refresh
from bot.services.context import Services
from bot.services.run_access import RunAction
from bot.services.run_changes import (
    BOT_CANNOT_BE_ASSIGNED,
    ItemKey,
    join_channel,
    one_revision,
    refuse_bots,
    resolve,
)
from bot.services.run_saving import ChangeResult, save_change
from storage.repositories.runs import RunRepository

log = logging.getLogger(__name__)


async def person_zone(services: Services, user_id: str) -> ZoneInfo:
    """The time zone of the person's Mattermost profile, UTC when they chose none (or an odd one)."""
    try:
        name = (await services.gateway.user(user_id)).timezone
        return time_zone(name)
    except (DomainError, MattermostError):
        return ZoneInfo("UTC")


# Tasks ------------------------------------------------------------------------------------------


async def set_item_due(
    services: Services, run_id: str, key: ItemKey, due_at: datetime | None, *, actor_id: str
) -> ChangeResult:
    """Set a task's due time, or clear it with ``None``; its due job follows (:mod:`task_due`)."""

    def operation(run: Run) -> RunChange:
        ref = resolve(run, key)
        return items.set_item_due(
            run, ref.checklist.id, ref.item.id, due_at, actor_id=actor_id, at=services.clock()
        )

    return await save_change(services, run_id, actor_id, RunAction.CHANGE, operation)


async def edit_item(
    services: Services,
    run_id: str,
    key: ItemKey,
    edit: TaskEdit,
    *,
    actor_id: str,
    to_checklist_id: str = "",
) -> ChangeResult:
    """Apply the task form (and move the task to the end of ``to_checklist_id`` when that is
    another checklist), as one change. A new assignee joins the run, as with ``assign``."""
    await refuse_bots(services, edit.assignee_id, BOT_CANNOT_BE_ASSIGNED)

    def operation(run: Run) -> RunChange:
        ref = resolve(run, key)
        at = services.clock()
        change = run_checklists.edit_item(run, ref.checklist.id, ref.item.id, edit, actor_id=actor_id, at=at)
        events = change.events
        current = change.run
        if to_checklist_id and to_checklist_id != ref.checklist.id:
            moved = run_checklists.move_item(
                current, ref.checklist.id, ref.item.id, to_checklist_id, actor_id=actor_id, at=at
            )
            current, events = moved.run, events + moved.events
        if edit.assignee_id and edit.assignee_id not in current.participant_ids:
            joined = add_participants(current, (edit.assignee_id,), actor_id=actor_id, at=at)
            current, events = joined.run, events + joined.events
        if not events:
            return RunChange(run, already=True)
        return RunChange(one_revision(run, current), events)

    result = await save_change(services, run_id, actor_id, RunAction.CHANGE, operation)
    await join_channel(services, result)
    return result


async def move_item(
    services: Services,
    run_id: str,
    key: ItemKey,
    to_checklist_no: int,
    position: int | None,
    *,
    actor_id: str,
) -> ChangeResult:
    """Move a task to ``position`` (the end when ``None``) of the checklist numbered ``to_checklist_no``."""

    def operation(run: Run) -> RunChange:
        ref = resolve(run, key)
        target = _checklist_id(run, to_checklist_no)
        return run_checklists.move_item(
            run, ref.checklist.id, ref.item.id, target, position, actor_id=actor_id, at=services.clock()
        )

    return await save_change(services, run_id, actor_id, RunAction.CHANGE, operation)


# Checklists -------------------------------------------------------------------------------------


async def add_checklist(services: Services, run_id: str, title: str, *, actor_id: str) -> ChangeResult:
    """Append a checklist; its post follows in the run channel."""
    checklist_id = uuid.uuid4().hex

    def operation(run: Run) -> RunChange:
        return run_checklists.add_checklist(
            run, title, checklist_id=checklist_id, actor_id=actor_id, at=services.clock()
        )

    result = await save_change(services, run_id, actor_id, RunAction.CHANGE, operation)
    run_refresh.spawn(services, _complete_posts(services, result.run), f"checklist-post-{checklist_id}")
    return result


async def rename_checklist(
    services: Services, run_id: str, checklist_no: int, title: str, *, actor_id: str
) -> ChangeResult:
    """Give the checklist numbered ``checklist_no`` a new title."""

    def operation(run: Run) -> RunChange:
        checklist_id = _checklist_id(run, checklist_no)
        return run_checklists.rename_checklist(
            run, checklist_id, title, actor_id=actor_id, at=services.clock()
        )

    return await save_change(services, run_id, actor_id, RunAction.CHANGE, operation)


async def remove_checklist(
    services: Services, run_id: str, checklist_no: int, *, actor_id: str
) -> ChangeResult:
    """Remove the checklist numbered ``checklist_no`` with its tasks; its post says it was removed."""

    def operation(run: Run) -> RunChange:
        checklist_id = _checklist_id(run, checklist_no)
        return run_checklists.remove_checklist(run, checklist_id, actor_id=actor_id, at=services.clock())

    # The checklists after it move up a number: every post is shown again.
    result = await save_change(services, run_id, actor_id, RunAction.CHANGE, operation, all_checklists=True)
    if not result.already:
        gone = result.before.checklists[checklist_no - 1]
        run_refresh.spawn(services, _mark_removed(services, result.run, gone.id, gone.title), f"rm-{gone.id}")
    return result


async def move_checklist(
    services: Services, run_id: str, checklist_no: int, position: int, *, actor_id: str
) -> ChangeResult:
    """Move the checklist numbered ``checklist_no`` to ``position``. The channel's checklist posts
    keep their places and show the checklists in the new order."""

    def operation(run: Run) -> RunChange:
        checklist_id = _checklist_id(run, checklist_no)
        return run_checklists.move_checklist(
            run, checklist_id, position, actor_id=actor_id, at=services.clock()
        )

    # A move changes no checklist itself, so no post is refreshed before the posts are handed on.
    result = await save_change(services, run_id, actor_id, RunAction.CHANGE, operation)
    if not result.already:
        await _reorder_posts(services, result.before, result.run)
        run_refresh.schedule_refresh(services, run_id, [c.id for c in result.run.checklists], overview=False)
    return result


# Internals --------------------------------------------------------------------------------------


def _checklist_id(run: Run, checklist_no: int) -> str:
    """The id of the checklist a person means by its number."""
    return locate_checklist(run, checklist_no).id


async def _complete_posts(services: Services, run: Run) -> None:
    try:
        await run_posts.complete_posts(services, run)
    except DomainError as error:
        log.warning("run %s: %s", run.id, error.message)


async def _mark_removed(services: Services, run: Run, checklist_id: str, title: str) -> None:
    kind = run_posts.checklist_kind(checklist_id)
    async with services.transaction() as session:
        post_id = (await RunRepository(session).posts(run.id)).get(kind)
    if post_id is None:
        return
    post = removed_checklist_post(title)
    await services.gateway.update_post(post_id, post["message"], post["props"])


async def _reorder_posts(services: Services, before: Run, after: Run) -> None:
    """Hand the checklist posts, in their channel order, to the checklists in their new order."""
    async with services.transaction() as session:
        runs = RunRepository(session)
        posts = await runs.posts(after.id)
        slots = [posts.get(run_posts.checklist_kind(c.id)) for c in before.checklists]
        if any(slot is None for slot in slots):
            return
        for checklist, post_id in zip(after.checklists, slots, strict=True):
            assert post_id is not None
            await runs.set_post(after.id, run_posts.checklist_kind(checklist.id), post_id)
