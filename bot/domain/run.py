"""Changing a run: pure operations that return the new run and the timeline events they cause.

Each operation takes a run and returns a :class:`RunChange`, or raises a :class:`RunError` whose
``message`` can be shown to the person who asked. Asking for what is already so (checking a checked
item, making the owner the owner) changes nothing and reports ``already``. Time is passed in;
nothing here reads a clock. A finished run refuses changes until it is restored.

Two revisions guard against lost and repeated updates: ``Run.revision`` grows with every change to
the run (storage compares it when saving), and ``RunItem.revision`` with every change to one item,
so a button signed with an item's revision tells a fresh click from a replay (:func:`apply_click`).

The model itself lives in :mod:`bot.domain.run_model`; everything there is re-exported here so the
whole run API is one import.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any

from bot.domain.playbook import MAX_ITEM_TITLE_LENGTH, AssigneeType
from bot.domain.run_model import (
    ChecklistSource,
    FinishNeedsConfirmationError,
    InvalidChangeError,
    InvalidItemStateError,
    ItemRef,
    ItemSource,
    ItemState,
    NoSuchChecklistError,
    NoSuchItemError,
    Progress,
    Run,
    RunAlreadyFinishedError,
    RunChange,
    RunChecklist,
    RunError,
    RunFinishedError,
    RunItem,
    RunNotFinishedError,
    RunStatus,
    StaleClickError,
    find_checklist,
    find_item,
    iter_items,
    locate,
    locate_checklist,
    new_run_checklists,
    open_items_for,
    overdue_items,
    progress,
)
from bot.domain.timeline import TimelineEvent, TimelineEventType, event, run_created

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
    "find_checklist",
    "find_item",
    "finish_run",
    "follow",
    "iter_items",
    "locate",
    "locate_checklist",
    "new_run_checklists",
    "open_items_for",
    "overdue_items",
    "progress",
    "record_command_run",
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
    finished = _revise(run, status=RunStatus.FINISHED, finished_at=at)
    done = event(
        TimelineEventType.RUN_FINISHED, at, actor_id, "{actor} finished the run", outstanding=outstanding
    )
    return RunChange(finished, (done,))


def restore_run(run: Run, *, actor_id: str, at: datetime) -> RunChange:
    """Bring a finished run back in progress."""
    if not run.is_finished:
        raise RunNotFinishedError()
    restored = _revise(run, status=RunStatus.IN_PROGRESS, finished_at=None)
    return RunChange(
        restored, (event(TimelineEventType.RUN_RESTORED, at, actor_id, "{actor} restored the run"),)
    )


# Item state -------------------------------------------------------------------------------------

_STATE_SUMMARIES = {
    "check": "{actor} checked “{task}”",
    "uncheck": "{actor} unchecked “{task}”",
    "start": "{actor} started “{task}”",
    "skip": "{actor} skipped “{task}”",
    "restore": "{actor} restored “{task}”",
}


def set_item_state(
    run: Run, checklist_id: str, item_id: str, target: ItemState, *, actor_id: str, at: datetime
) -> RunChange:
    """Put an item into the ``target`` state. Never a toggle: asking for the current state again
    changes nothing and reports ``already``."""
    _require_active(run)
    ref = find_item(run, checklist_id, item_id)
    target = ItemState.parse(target)
    item = ref.item
    if item.state == target:
        return RunChange(run, already=True)
    action = _state_action(item.state, target)
    changed = _revised_item(item, state=target, state_modified_at=at, state_modified_by=actor_id)
    recorded = event(
        TimelineEventType.TASK_STATE_MODIFIED,
        at,
        actor_id,
        _STATE_SUMMARIES[action],
        action=action,
        task=item.title,
        checklist_id=checklist_id,
        item_id=item_id,
        previous_state=item.state.value,
        state=target.value,
    )
    return RunChange(_put_item(run, ref, changed), (recorded,))


def skip_item(run: Run, checklist_id: str, item_id: str, *, actor_id: str, at: datetime) -> RunChange:
    """Skip an item: it no longer needs doing, and counts as done."""
    return set_item_state(run, checklist_id, item_id, ItemState.SKIPPED, actor_id=actor_id, at=at)


def restore_item(run: Run, checklist_id: str, item_id: str, *, actor_id: str, at: datetime) -> RunChange:
    """Reopen a skipped item; an item that is not skipped is ``already`` restored."""
    _require_active(run)
    if find_item(run, checklist_id, item_id).item.state != ItemState.SKIPPED:
        return RunChange(run, already=True)
    return set_item_state(run, checklist_id, item_id, ItemState.OPEN, actor_id=actor_id, at=at)


def apply_click(
    run: Run,
    checklist_id: str,
    item_id: str,
    target_state: ItemState,
    signed_revision: int,
    *,
    actor_id: str,
    at: datetime,
) -> RunChange:
    """Apply a button click that asks for ``target_state``, signed when the item had
    ``signed_revision``.

    The click applies only to the item it was made for. If the item has changed since, a click
    whose wish is already fulfilled is ``already`` done, and any other is refused as stale — so
    double clicks and replayed requests never flip a state back.
    """
    _require_active(run)
    item = find_item(run, checklist_id, item_id).item
    target = ItemState.parse(target_state)
    if item.revision == signed_revision or item.state == target:
        return set_item_state(run, checklist_id, item_id, target, actor_id=actor_id, at=at)
    raise StaleClickError(item.title)


def _state_action(previous: ItemState, target: ItemState) -> str:
    if target is ItemState.CLOSED:
        return "check"
    if target is ItemState.SKIPPED:
        return "skip"
    if target is ItemState.IN_PROGRESS:
        return "start"
    return "restore" if previous is ItemState.SKIPPED else "uncheck"


# Item details -----------------------------------------------------------------------------------


def assign_item(
    run: Run, checklist_id: str, item_id: str, assignee_id: str | None, *, actor_id: str, at: datetime
) -> RunChange:
    """Assign an item to ``assignee_id``, or unassign it with ``None`` (or ``""``). The item stops
    following a role. Participation is left to the caller, whose permission rules decide whether an
    assignee joins the run."""
    _require_active(run)
    ref = find_item(run, checklist_id, item_id)
    if (assignee_id or None) == ref.item.assignee_id:
        return RunChange(run, already=True)
    changed, recorded = _assign(run, ref, assignee_id or None, AssigneeType.SPECIFIC_USER, actor_id, at)
    return RunChange(changed, (recorded,))


def _assign(
    run: Run, ref: ItemRef, new: str | None, role: AssigneeType, actor_id: str, at: datetime
) -> tuple[Run, TimelineEvent]:
    old = ref.item.assignee_id
    if old is None:
        summary = "{actor} assigned “{task}” to {new_assignee_id}"
    elif new is None:
        summary = "{actor} unassigned {old_assignee_id} from “{task}”"
    else:
        summary = "{actor} reassigned “{task}” from {old_assignee_id} to {new_assignee_id}"
    recorded = event(
        TimelineEventType.ASSIGNEE_CHANGED,
        at,
        actor_id,
        summary,
        task=ref.item.title,
        item_id=ref.item.id,
        old_assignee_id=old or "",
        new_assignee_id=new or "",
    )
    return _put_item(run, ref, _revised_item(ref.item, assignee_id=new, assignee_type=role)), recorded


def set_item_due(
    run: Run, checklist_id: str, item_id: str, due_at: datetime | None, *, actor_id: str, at: datetime
) -> RunChange:
    """Set an item's due time, or clear it with ``None``."""
    _require_active(run)
    ref = find_item(run, checklist_id, item_id)
    if ref.item.due_at == due_at:
        return RunChange(run, already=True)
    summary = (
        "{actor} removed the due date of “{task}”" if due_at is None else "{actor} set “{task}” due {due}"
    )
    recorded = event(
        TimelineEventType.DUE_DATE_CHANGED,
        at,
        actor_id,
        summary,
        task=ref.item.title,
        item_id=item_id,
        due="" if due_at is None else due_at.isoformat(),
    )
    return RunChange(_put_item(run, ref, _revised_item(ref.item, due_at=due_at)), (recorded,))


def rename_item(
    run: Run, checklist_id: str, item_id: str, title: str, *, actor_id: str, at: datetime
) -> RunChange:
    """Give an item a new title (trimmed, not blank)."""
    _require_active(run)
    ref = find_item(run, checklist_id, item_id)
    new_title = _clean_title(title)
    if new_title == ref.item.title:
        return RunChange(run, already=True)
    recorded = event(
        TimelineEventType.CHECKLIST_ITEM_RENAMED,
        at,
        actor_id,
        "{actor} renamed “{old_task}” to “{task}”",
        old_task=ref.item.title,
        task=new_title,
        item_id=item_id,
    )
    return RunChange(_put_item(run, ref, _revised_item(ref.item, title=new_title)), (recorded,))


def record_command_run(
    run: Run, checklist_id: str, item_id: str, *, actor_id: str, at: datetime
) -> RunChange:
    """Note that an item's slash command ran successfully."""
    _require_active(run)
    ref = find_item(run, checklist_id, item_id)
    if not ref.item.command.strip():
        raise InvalidChangeError(f"“{ref.item.title}” has no slash command to run.")
    recorded = event(
        TimelineEventType.RAN_SLASH_COMMAND,
        at,
        actor_id,
        "{actor} ran the slash command `{command}`",
        command=ref.item.command,
        task=ref.item.title,
        item_id=item_id,
    )
    return RunChange(_put_item(run, ref, _revised_item(ref.item, command_last_run_at=at)), (recorded,))


# Adding and removing items ----------------------------------------------------------------------


def add_item(
    run: Run,
    checklist_id: str,
    title: str,
    *,
    item_id: str,
    actor_id: str,
    at: datetime,
    description: str = "",
    command: str = "",
    assignee_id: str | None = None,
    due_at: datetime | None = None,
) -> RunChange:
    """Append a new item (with the fresh ``item_id``) to a checklist."""
    _require_active(run)
    checklist_no, checklist = find_checklist(run, checklist_id)
    clean = _clean_title(title)
    if not item_id or any(ref.item.id == item_id for ref in iter_items(run)):
        raise ValueError(f"item id must be fresh and non-empty: {item_id!r}")
    item = RunItem(
        id=item_id,
        title=clean,
        description=description,
        command=command,
        assignee_id=assignee_id or None,
        due_at=due_at,
    )
    grown = replace(checklist, items=(*checklist.items, item))
    recorded = event(
        TimelineEventType.CHECKLIST_ITEM_ADDED,
        at,
        actor_id,
        "{actor} added “{task}” to “{checklist}”",
        task=clean,
        checklist=checklist.title,
        item_id=item_id,
    )
    return RunChange(_put_checklist(run, checklist_no, grown), (recorded,))


def remove_item(run: Run, checklist_id: str, item_id: str, *, actor_id: str, at: datetime) -> RunChange:
    """Remove an item from its checklist."""
    _require_active(run)
    ref = find_item(run, checklist_id, item_id)
    shrunk = replace(ref.checklist, items=tuple(i for i in ref.checklist.items if i.id != item_id))
    recorded = event(
        TimelineEventType.CHECKLIST_ITEM_REMOVED,
        at,
        actor_id,
        "{actor} removed “{task}” from “{checklist}”",
        task=ref.item.title,
        checklist=ref.checklist.title,
        item_id=item_id,
    )
    return RunChange(_put_checklist(run, ref.checklist_no, shrunk), (recorded,))


# People ---------------------------------------------------------------------------------------


def change_owner(run: Run, new_owner_id: str, *, actor_id: str, at: datetime) -> RunChange:
    """Make ``new_owner_id`` the owner; they become a participant (and follower) if not already,
    and items assigned to the owner's role go to them."""
    _require_active(run)
    if not new_owner_id:
        raise InvalidChangeError("Say who should own the run.")
    if new_owner_id == run.owner_id:
        return RunChange(run, already=True)
    joined = add_participants(run, (new_owner_id,), actor_id=actor_id, at=at)
    changed = _revise(joined.run, owner_id=new_owner_id)
    events = list(joined.events)
    for ref in tuple(iter_items(changed)):
        if ref.item.assignee_type == AssigneeType.OWNER and ref.item.assignee_id != new_owner_id:
            # Look the item up again: an earlier reassignment may have replaced its checklist.
            current = find_item(changed, ref.checklist.id, ref.item.id)
            changed, reassigned = _assign(changed, current, new_owner_id, AssigneeType.OWNER, actor_id, at)
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
    grown = _revise(
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
    shrunk = _revise(
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


def follow(run: Run, user_id: str) -> RunChange:
    """Have ``user_id`` follow the run (finished runs too); following records no event."""
    if not user_id or user_id in run.follower_ids:
        return RunChange(run, already=True)
    return RunChange(_revise(run, follower_ids=(*run.follower_ids, user_id)))


def unfollow(run: Run, user_id: str) -> RunChange:
    """Stop ``user_id`` following the run."""
    if user_id not in run.follower_ids:
        return RunChange(run, already=True)
    return RunChange(_revise(run, follower_ids=tuple(u for u in run.follower_ids if u != user_id)))


# Internals ------------------------------------------------------------------------------------


def _require_active(run: Run) -> None:
    if run.is_finished:
        raise RunFinishedError()


def _revise(run: Run, **changes: Any) -> Run:
    return replace(run, revision=run.revision + 1, **changes)


def _revised_item(item: RunItem, **changes: Any) -> RunItem:
    return replace(item, revision=item.revision + 1, **changes)


def _put_checklist(run: Run, checklist_no: int, checklist: RunChecklist) -> Run:
    checklists = list(run.checklists)
    checklists[checklist_no - 1] = checklist
    return _revise(run, checklists=tuple(checklists))


def _put_item(run: Run, ref: ItemRef, item: RunItem) -> Run:
    items = list(ref.checklist.items)
    items[ref.item_no - 1] = item
    return _put_checklist(run, ref.checklist_no, replace(ref.checklist, items=tuple(items)))


def _clean_title(title: str) -> str:
    clean = " ".join(title.split())
    if not clean:
        raise InvalidChangeError("A task needs a title.")
    if len(clean) > MAX_ITEM_TITLE_LENGTH:
        raise InvalidChangeError(f"A task title can be at most {MAX_ITEM_TITLE_LENGTH} characters.")
    return clean


def _unique(user_ids: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(user_id for user_id in user_ids if user_id))
