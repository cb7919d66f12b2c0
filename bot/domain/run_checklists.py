"""Changing a run's checklists while it runs: add, rename, remove and move checklists; edit a task
as a whole and move it within or between checklists.

Pure operations in the manner of :mod:`bot.domain.run_items`: each takes a run and returns a
:class:`~bot.domain.run_model.RunChange` with its timeline events, or raises a
:class:`~bot.domain.run_errors.RunError`; asking for what is already so reports ``already``.
Positions are 1-based, as people read them on the checklist posts.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from bot.domain.playbook_rules import (
    MAX_CHECKLISTS,
    MAX_COMMAND_LENGTH,
    MAX_ITEM_DESCRIPTION_LENGTH,
    MAX_ITEMS_PER_CHECKLIST,
    MAX_TITLE_LENGTH,
)
from bot.domain.run_editing import clean_title, put_checklist, put_item, require_active, revise, revise_item
from bot.domain.run_errors import InvalidChangeError
from bot.domain.run_items import assign_item, rename_item, set_item_due
from bot.domain.run_model import ItemRef, Run, RunChange, RunChecklist
from bot.domain.run_queries import find_checklist, find_item, iter_items
from bot.domain.timeline import TimelineEvent, TimelineEventType, event

# Checklists -------------------------------------------------------------------------------------


def add_checklist(run: Run, title: str, *, checklist_id: str, actor_id: str, at: datetime) -> RunChange:
    """Append a new, empty checklist (with the fresh ``checklist_id``)."""
    require_active(run)
    clean = _checklist_title(title)
    if len(run.checklists) >= MAX_CHECKLISTS:
        raise InvalidChangeError(f"A run can have at most {MAX_CHECKLISTS} checklists.")
    if not checklist_id or any(c.id == checklist_id for c in run.checklists):
        raise ValueError(f"checklist id must be fresh and non-empty: {checklist_id!r}")
    recorded = event(
        TimelineEventType.CHECKLIST_ADDED,
        at,
        actor_id,
        "{actor} added the checklist “{checklist}”",
        checklist=clean,
        checklist_id=checklist_id,
    )
    grown = (*run.checklists, RunChecklist(id=checklist_id, title=clean))
    return RunChange(revise(run, checklists=grown), (recorded,))


def rename_checklist(run: Run, checklist_id: str, title: str, *, actor_id: str, at: datetime) -> RunChange:
    """Give a checklist a new title (trimmed, not blank)."""
    require_active(run)
    checklist_no, checklist = find_checklist(run, checklist_id)
    clean = _checklist_title(title)
    if clean == checklist.title:
        return RunChange(run, already=True)
    recorded = event(
        TimelineEventType.CHECKLIST_RENAMED,
        at,
        actor_id,
        "{actor} renamed the checklist “{old_checklist}” to “{checklist}”",
        old_checklist=checklist.title,
        checklist=clean,
        checklist_id=checklist_id,
    )
    return RunChange(put_checklist(run, checklist_no, replace(checklist, title=clean)), (recorded,))


def remove_checklist(run: Run, checklist_id: str, *, actor_id: str, at: datetime) -> RunChange:
    """Remove a checklist with its tasks."""
    require_active(run)
    _, checklist = find_checklist(run, checklist_id)
    recorded = event(
        TimelineEventType.CHECKLIST_REMOVED,
        at,
        actor_id,
        "{actor} removed the checklist “{checklist}” ({tasks})",
        checklist=checklist.title,
        checklist_id=checklist_id,
        tasks="1 task" if len(checklist.items) == 1 else f"{len(checklist.items)} tasks",
    )
    kept = tuple(c for c in run.checklists if c.id != checklist_id)
    return RunChange(revise(run, checklists=kept), (recorded,))


def move_checklist(run: Run, checklist_id: str, position: int, *, actor_id: str, at: datetime) -> RunChange:
    """Move a checklist to ``position`` (1-based) among the run's checklists."""
    require_active(run)
    checklist_no, checklist = find_checklist(run, checklist_id)
    _check_position(position, len(run.checklists), "checklist", "this run has")
    if position == checklist_no:
        return RunChange(run, already=True)
    others = [c for c in run.checklists if c.id != checklist_id]
    others.insert(position - 1, checklist)
    recorded = event(
        TimelineEventType.CHECKLIST_MOVED,
        at,
        actor_id,
        "{actor} moved the checklist “{checklist}” from position {from_position} to {to_position}",
        checklist=checklist.title,
        checklist_id=checklist_id,
        from_position=checklist_no,
        to_position=position,
    )
    return RunChange(revise(run, checklists=tuple(others)), (recorded,))


# Tasks ------------------------------------------------------------------------------------------


def move_item(
    run: Run,
    checklist_id: str,
    item_id: str,
    to_checklist_id: str,
    position: int | None = None,
    *,
    actor_id: str,
    at: datetime,
) -> RunChange:
    """Move a task to ``position`` (1-based; the end when ``None``) of the checklist
    ``to_checklist_id``, which may be its own."""
    require_active(run)
    ref = find_item(run, checklist_id, item_id)
    target_no, target = find_checklist(run, to_checklist_id)
    same = target.id == ref.checklist.id
    if not same and len(target.items) >= MAX_ITEMS_PER_CHECKLIST:
        raise InvalidChangeError(f"A checklist can have at most {MAX_ITEMS_PER_CHECKLIST} tasks.")
    room = len(target.items) if same else len(target.items) + 1
    wanted = room if position is None else position
    _check_position(wanted, room, "task", f"“{target.title}” has room for")
    if same and wanted == ref.item_no:
        return RunChange(run, already=True)
    source_items = [i for i in ref.checklist.items if i.id != item_id]
    target_items = source_items if same else list(target.items)
    target_items.insert(wanted - 1, ref.item)
    checklists = list(run.checklists)
    checklists[target_no - 1] = replace(target, items=tuple(target_items))
    if not same:
        checklists[ref.checklist_no - 1] = replace(ref.checklist, items=tuple(source_items))
    recorded = event(
        TimelineEventType.CHECKLIST_ITEM_MOVED,
        at,
        actor_id,
        "{actor} moved “{task}” to “{checklist}”, position {to_position}",
        task=ref.item.title,
        item_id=item_id,
        from_checklist=ref.checklist.title,
        checklist=target.title,
        to_position=wanted,
    )
    return RunChange(revise(run, checklists=tuple(checklists)), (recorded,))


@dataclass(frozen=True, slots=True)
class TaskEdit:
    """A task as the edit form submits it; every field is its new value."""

    title: str
    description: str
    command: str
    assignee_id: str | None
    due_at: datetime | None


def edit_item(
    run: Run, checklist_id: str, item_id: str, edit: TaskEdit, *, actor_id: str, at: datetime
) -> RunChange:
    """Apply the edit form: a new title, description, slash command, assignee and due time, each
    recorded on the timeline as it changes. The run moves on by one revision."""
    require_active(run)
    description = edit.description.strip()
    command = edit.command.strip()
    check_task_text(description, command)
    current = run
    events: list[TimelineEvent] = []

    def apply(change: RunChange) -> None:
        nonlocal current
        if not change.already:
            current = change.run
            events.extend(change.events)

    ids = checklist_id, item_id
    apply(rename_item(current, *ids, edit.title, actor_id=actor_id, at=at))
    item = find_item(current, *ids)
    if (item.item.description, item.item.command) != (description, command):
        changed = revise_item(item.item, description=description, command=command)
        current = put_item(current, item, changed)
        events.append(
            event(
                TimelineEventType.CHECKLIST_ITEM_EDITED,
                at,
                actor_id,
                "{actor} edited the description or command of “{task}”",
                task=changed.title,
                item_id=item_id,
            )
        )
    apply(assign_item(current, *ids, edit.assignee_id, actor_id=actor_id, at=at))
    apply(set_item_due(current, *ids, edit.due_at, actor_id=actor_id, at=at))
    if not events:
        return RunChange(run, already=True)
    return RunChange(replace(current, revision=run.revision + 1), tuple(events))


def check_task_text(description: str, command: str) -> None:
    """Refuse a task description or slash command that is too long, or a command without ``/``."""
    if len(description) > MAX_ITEM_DESCRIPTION_LENGTH:
        raise InvalidChangeError(
            f"A task description can be at most {MAX_ITEM_DESCRIPTION_LENGTH} characters."
        )
    if len(command) > MAX_COMMAND_LENGTH:
        raise InvalidChangeError(f"A slash command can be at most {MAX_COMMAND_LENGTH} characters.")
    if command and not command.startswith("/"):
        raise InvalidChangeError("A slash command starts with `/`, like `/page oncall`.")


def task_anywhere(run: Run, item_id: str) -> ItemRef | None:
    """The task with this id in whichever checklist it stands now (it may have been moved), or
    ``None`` when it is gone."""
    return next((ref for ref in iter_items(run) if ref.item.id == item_id), None)


def task_text_problems(title: str, description: str, command: str) -> dict[str, str]:
    """What is wrong with a task's text as a form submits it, by field (``title``, ``description``,
    ``command``); empty when nothing is."""
    problems: dict[str, str] = {}
    if not title:
        problems["title"] = "A task needs a title."
    try:
        check_task_text(description, command)
    except InvalidChangeError as error:
        problems["command" if "command" in error.message else "description"] = error.message
    return problems


# Internals ------------------------------------------------------------------------------------


def _checklist_title(title: str) -> str:
    return clean_title(title, MAX_TITLE_LENGTH, "checklist")


def _check_position(position: int, count: int, noun: str, where: str) -> None:
    if not 1 <= position <= count:
        places = f"{count} {noun}" if count == 1 else f"{count} {noun}s"
        raise InvalidChangeError(f"Position {position} is out of range; {where} {places}.")
