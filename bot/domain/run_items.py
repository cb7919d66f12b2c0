"""Changing a run's tasks: their state, assignee, due time, title and slash command; adding and
removing them.

Pure operations in the manner of :mod:`bot.domain.run` (which re-exports them): each takes a run
and returns a :class:`RunChange`, or raises a :class:`RunError`; asking for what is already so
reports ``already``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from bot.domain.playbook import AssigneeType
from bot.domain.playbook_rules import MAX_ITEM_TITLE_LENGTH
from bot.domain.run_editing import clean_title, put_checklist, put_item, require_active, revise_item
from bot.domain.run_errors import InvalidChangeError, StaleClickError
from bot.domain.run_model import ItemRef, ItemState, Run, RunChange, RunItem
from bot.domain.run_queries import find_checklist, find_item, iter_items
from bot.domain.timeline import TimelineEvent, TimelineEventType, event

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
    require_active(run)
    ref = find_item(run, checklist_id, item_id)
    target = ItemState.parse(target)
    item = ref.item
    if item.state == target:
        return RunChange(run, already=True)
    action = _state_action(item.state, target)
    changed = revise_item(item, state=target, state_modified_at=at, state_modified_by=actor_id)
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
    return RunChange(put_item(run, ref, changed), (recorded,))


def skip_item(run: Run, checklist_id: str, item_id: str, *, actor_id: str, at: datetime) -> RunChange:
    """Skip an item: it no longer needs doing, and counts as done."""
    return set_item_state(run, checklist_id, item_id, ItemState.SKIPPED, actor_id=actor_id, at=at)


def restore_item(run: Run, checklist_id: str, item_id: str, *, actor_id: str, at: datetime) -> RunChange:
    """Reopen a skipped item; an item that is not skipped is ``already`` restored."""
    require_active(run)
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
    require_active(run)
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
    require_active(run)
    ref = find_item(run, checklist_id, item_id)
    if (assignee_id or None) == ref.item.assignee_id:
        return RunChange(run, already=True)
    changed, recorded = assign_with_role(
        run, ref, assignee_id or None, AssigneeType.SPECIFIC_USER, actor_id, at
    )
    return RunChange(changed, (recorded,))


def assign_with_role(
    run: Run, ref: ItemRef, new: str | None, role: AssigneeType, actor_id: str, at: datetime
) -> tuple[Run, TimelineEvent]:
    """The run with ``ref``'s item assigned to ``new`` as ``role``, and the event recording it."""
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
    return put_item(run, ref, revise_item(ref.item, assignee_id=new, assignee_type=role)), recorded


def set_item_due(
    run: Run, checklist_id: str, item_id: str, due_at: datetime | None, *, actor_id: str, at: datetime
) -> RunChange:
    """Set an item's due time, or clear it with ``None``."""
    require_active(run)
    ref = find_item(run, checklist_id, item_id)
    if ref.item.due_at == due_at:
        return RunChange(run, already=True)
    summary = (
        "{actor} removed the due date of “{task}”"
        if due_at is None
        else "{actor} set “{task}” due {due_shown}"
    )
    utc = None if due_at is None else due_at.astimezone(UTC)
    recorded = event(
        TimelineEventType.DUE_DATE_CHANGED,
        at,
        actor_id,
        summary,
        task=ref.item.title,
        item_id=item_id,
        due="" if utc is None else utc.isoformat(),
        due_shown="" if utc is None else f"{utc:%b} {utc.day}, {utc:%H:%M} UTC",
    )
    return RunChange(put_item(run, ref, revise_item(ref.item, due_at=due_at)), (recorded,))


def rename_item(
    run: Run, checklist_id: str, item_id: str, title: str, *, actor_id: str, at: datetime
) -> RunChange:
    """Give an item a new title (trimmed, not blank)."""
    require_active(run)
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
    return RunChange(put_item(run, ref, revise_item(ref.item, title=new_title)), (recorded,))


def record_command_copied(
    run: Run, checklist_id: str, item_id: str, *, actor_id: str, at: datetime
) -> RunChange:
    """Note that a person was handed an item's slash command to copy.

    The bot cannot run a command as someone else, so this records only what happened: the command
    was shown to ``actor_id``, ready to copy. Whether they sent it is theirs to say; the item's
    ``command_last_run_at`` stays as it was.
    """
    require_active(run)
    ref = find_item(run, checklist_id, item_id)
    if not ref.item.command.strip():
        raise InvalidChangeError(f"“{ref.item.title}” has no slash command to copy.")
    recorded = event(
        TimelineEventType.COMMAND_COPIED,
        at,
        actor_id,
        "{actor} copied `{command}`",
        command=ref.item.command,
        task=ref.item.title,
        item_id=item_id,
    )
    # The item's revision moves on so the click is saved like any change to one task.
    return RunChange(put_item(run, ref, revise_item(ref.item)), (recorded,))


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
    require_active(run)
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
    return RunChange(put_checklist(run, checklist_no, grown), (recorded,))


def remove_item(run: Run, checklist_id: str, item_id: str, *, actor_id: str, at: datetime) -> RunChange:
    """Remove an item from its checklist."""
    require_active(run)
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
    return RunChange(put_checklist(run, ref.checklist_no, shrunk), (recorded,))


# Internals ------------------------------------------------------------------------------------


def _clean_title(title: str) -> str:
    return clean_title(title, MAX_ITEM_TITLE_LENGTH, "task")
