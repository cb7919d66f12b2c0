"""Changing a run: pure operations that return the new run and the timeline events they cause.

Each operation takes a run and returns a :class:`RunChange`, or raises a :class:`RunError` whose
``message`` can be shown to the person who asked. Asking for what is already so (checking a checked
item, making the owner the owner) changes nothing and reports ``already``. Time is passed in;
nothing here reads a clock. A finished run refuses changes until it is restored.

Two revisions guard against lost and repeated updates: ``Run.revision`` grows with every change to
the run (storage compares it when saving), and ``RunItem.revision`` with every change to one item,
so a button signed with an item's revision tells a fresh click from a replay (:func:`apply_click`).

This module holds the operations on the run as a whole (starting, finishing, people); those on its
tasks are in :mod:`bot.domain.run_items`, the model in :mod:`bot.domain.run_model`, its errors in
:mod:`bot.domain.run_errors`, the queries in :mod:`bot.domain.run_queries` and the building of a new
run's checklists in :mod:`bot.domain.run_building`. All are re-exported here so the whole run API is
one import.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from bot.domain.playbook import AssigneeType
from bot.domain.playbook_rules import MAX_ITEM_TITLE_LENGTH
from bot.domain.run_building import ChecklistSource, ItemSource, new_run_checklists
from bot.domain.run_editing import require_active, revise
from bot.domain.run_errors import (
    FinishNeedsConfirmationError,
    InvalidChangeError,
    InvalidItemStateError,
    NoSuchChecklistError,
    NoSuchItemError,
    RunAlreadyFinishedError,
    RunError,
    RunFinishedError,
    RunNotFinishedError,
    StaleClickError,
)
from bot.domain.run_items import (
    add_item,
    apply_click,
    assign_item,
    assign_with_role,
    record_command_copied,
    remove_item,
    rename_item,
    restore_item,
    set_item_due,
    set_item_state,
    skip_item,
)
from bot.domain.run_model import (
    ItemRef,
    ItemState,
    Progress,
    Run,
    RunChange,
    RunChecklist,
    RunItem,
    RunStatus,
)
from bot.domain.run_queries import (
    count_items,
    find_checklist,
    find_item,
    is_overdue,
    iter_items,
    locate,
    locate_checklist,
    open_items_for,
    overdue_items,
    progress,
)
from bot.domain.timeline import TimelineEventType, event, run_created

__all__ = [
    "MAX_ITEM_TITLE_LENGTH",
    "AssigneeType",
    "ChecklistSource",
    "FinishNeedsConfirmationError",
    "InvalidChangeError",
    "InvalidItemStateError",
    "ItemRef",
    "ItemSource",
    "ItemState",
    "NoSuchChecklistError",
    "NoSuchItemError",
    "Progress",
    "Run",
    "RunAlreadyFinishedError",
    "RunChange",
    "RunChecklist",
    "RunError",
    "RunFinishedError",
    "RunItem",
    "RunNotFinishedError",
    "RunStatus",
    "StaleClickError",
    "add_item",
    "add_participants",
    "apply_click",
    "assign_item",
    "change_owner",
    "count_items",
    "find_checklist",
    "find_item",
    "finish_run",
    "follow",
    "is_overdue",
    "iter_items",
    "join_channel",
    "leave_channel",
    "locate",
    "locate_checklist",
    "new_run_checklists",
    "open_items_for",
    "overdue_items",
    "progress",
    "record_command_copied",
    "remove_item",
    "remove_participants",
    "rename_item",
    "restore_item",
    "restore_run",
    "set_item_due",
    "set_item_state",
    "skip_item",
    "start_run",
    "unfollow",
]


# Starting and ending ----------------------------------------------------------------------------


def start_run(run: Run, *, at: datetime) -> RunChange:
    """Begin ``run`` (built with its checklists): the reporter and the owner become participants
    and followers, and the start is recorded."""
    people = _unique((run.reporter_id, run.owner_id, *run.participant_ids))
    started = replace(run, participant_ids=people, follower_ids=_unique((*people, *run.follower_ids)))
    return RunChange(started, (run_created(at, run.reporter_id, run_name=run.name),))


def finish_run(run: Run, *, actor_id: str, at: datetime, confirmed: bool = False) -> RunChange:
    """Finish the run. With tasks outstanding this raises :class:`FinishNeedsConfirmationError` (its
    ``outstanding`` count lets the caller ask) unless ``confirmed``. Outstanding tasks stay as they
    are."""
    if run.is_finished:
        raise RunAlreadyFinishedError()
    outstanding = progress(run).outstanding
    if outstanding and not confirmed:
        raise FinishNeedsConfirmationError(run.name, outstanding)
    finished = revise(run, status=RunStatus.FINISHED, finished_at=at)
    done = event(
        TimelineEventType.RUN_FINISHED, at, actor_id, "{actor} finished the run", outstanding=outstanding
    )
    return RunChange(finished, (done,))


def restore_run(run: Run, *, actor_id: str, at: datetime) -> RunChange:
    """Bring a finished run back in progress."""
    if not run.is_finished:
        raise RunNotFinishedError()
    restored = revise(run, status=RunStatus.IN_PROGRESS, finished_at=None)
    return RunChange(
        restored, (event(TimelineEventType.RUN_RESTORED, at, actor_id, "{actor} restored the run"),)
    )


# People ---------------------------------------------------------------------------------------


def change_owner(run: Run, new_owner_id: str, *, actor_id: str, at: datetime) -> RunChange:
    """Make ``new_owner_id`` the owner; they become a participant (and follower) if not already,
    and items assigned to the owner's role go to them."""
    require_active(run)
    if not new_owner_id:
        raise InvalidChangeError("Say who should own the run.")
    if new_owner_id == run.owner_id:
        return RunChange(run, already=True)
    joined = add_participants(run, (new_owner_id,), actor_id=actor_id, at=at)
    changed = revise(joined.run, owner_id=new_owner_id)
    events = list(joined.events)
    for ref in tuple(iter_items(changed)):
        if ref.item.assignee_type == AssigneeType.OWNER and ref.item.assignee_id != new_owner_id:
            # Look the item up again: an earlier reassignment may have replaced its checklist.
            current = find_item(changed, ref.checklist.id, ref.item.id)
            changed, reassigned = assign_with_role(
                changed, current, new_owner_id, AssigneeType.OWNER, actor_id, at
            )
            events.append(reassigned)
    events.append(
        event(
            TimelineEventType.OWNER_CHANGED,
            at,
            actor_id,
            "{actor} changed the owner from {old_owner_id} to {new_owner_id}",
            old_owner_id=run.owner_id,
            new_owner_id=new_owner_id,
        )
    )
    return RunChange(changed, tuple(events))


def add_participants(run: Run, user_ids: Iterable[str], *, actor_id: str, at: datetime) -> RunChange:
    """Add people to the run; each also follows it. Anyone may join a finished run themselves, but
    adding others needs the run in progress."""
    wanted = _unique(user_ids)
    if run.is_finished and wanted != (actor_id,):
        raise RunFinishedError()
    new = tuple(user_id for user_id in wanted if user_id not in run.participant_ids)
    if not new:
        return RunChange(run, already=True)
    grown = revise(
        run,
        participant_ids=(*run.participant_ids, *new),
        follower_ids=_unique((*run.follower_ids, *new)),
    )
    if new == (actor_id,):
        recorded = event(
            TimelineEventType.USER_JOINED_LEFT, at, actor_id, "{actor} joined the run", action="joined"
        )
    else:
        recorded = event(
            TimelineEventType.PARTICIPANTS_CHANGED,
            at,
            actor_id,
            "{actor} added {user_ids} to the run",
            action="joined",
            user_ids=new,
        )
    return RunChange(grown, (recorded,))


def remove_participants(run: Run, user_ids: Iterable[str], *, actor_id: str, at: datetime) -> RunChange:
    """Remove people from the run; they stop following it too. The owner cannot leave, and only
    one's own leaving is allowed once the run is finished."""
    wanted = _unique(user_ids)
    if run.owner_id in wanted:
        raise InvalidChangeError("The owner can't leave the run. Make someone else the owner first.")
    if run.is_finished and wanted != (actor_id,):
        raise RunFinishedError()
    gone = tuple(user_id for user_id in wanted if user_id in run.participant_ids)
    if not gone:
        return RunChange(run, already=True)
    shrunk = revise(
        run,
        participant_ids=tuple(u for u in run.participant_ids if u not in gone),
        follower_ids=tuple(u for u in run.follower_ids if u not in gone),
    )
    if gone == (actor_id,):
        recorded = event(
            TimelineEventType.USER_JOINED_LEFT, at, actor_id, "{actor} left the run", action="left"
        )
    else:
        recorded = event(
            TimelineEventType.PARTICIPANTS_CHANGED,
            at,
            actor_id,
            "{actor} removed {user_ids} from the run",
            action="left",
            user_ids=gone,
        )
    return RunChange(shrunk, (recorded,))


def join_channel(run: Run, user_id: str, *, at: datetime) -> RunChange:
    """``user_id`` joined the run's channel (however they got there): they are a participant from
    now on. Finished runs too: the channel is still where the run is read. Following (direct
    messages of each update) stays each person's choice: the channel shows the updates anyway."""
    if not user_id or user_id in run.participant_ids:
        return RunChange(run, already=True)
    grown = revise(run, participant_ids=(*run.participant_ids, user_id))
    joined = event(
        TimelineEventType.USER_JOINED_LEFT, at, user_id, "{actor} joined the channel", action="joined"
    )
    return RunChange(grown, (joined,))


def leave_channel(run: Run, user_id: str, *, at: datetime) -> RunChange:
    """``user_id`` left the run's channel (or was removed from it): they stop being a participant
    (following is theirs to stop). The owner stays the owner, and so a participant, until someone
    else is."""
    if user_id == run.owner_id or user_id not in run.participant_ids:
        return RunChange(run, already=True)
    shrunk = revise(run, participant_ids=tuple(u for u in run.participant_ids if u != user_id))
    left = event(TimelineEventType.USER_JOINED_LEFT, at, user_id, "{actor} left the channel", action="left")
    return RunChange(shrunk, (left,))


def follow(run: Run, user_id: str) -> RunChange:
    """Have ``user_id`` follow the run (finished runs too); following records no event."""
    if not user_id or user_id in run.follower_ids:
        return RunChange(run, already=True)
    return RunChange(revise(run, follower_ids=(*run.follower_ids, user_id)))


def unfollow(run: Run, user_id: str) -> RunChange:
    """Stop ``user_id`` following the run."""
    if user_id not in run.follower_ids:
        return RunChange(run, already=True)
    return RunChange(revise(run, follower_ids=tuple(u for u in run.follower_ids if u != user_id)))


# Internals ------------------------------------------------------------------------------------


def _unique(user_ids: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(user_id for user_id in user_ids if user_id))
