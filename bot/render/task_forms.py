"""The task form (add or edit a task, with its due date) and the answers to live checklist changes.

Pure functions of domain values, within Mattermost's dialog limits (mattermost-wire.md §3.2).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.callback_data import TaskForm
from bot.domain.due_dates import format_local
from bot.domain.playbook_rules import MAX_COMMAND_LENGTH, MAX_ITEM_TITLE_LENGTH
from bot.domain.run import ItemRef, Run, RunItem
from bot.render.dialogs import DIALOG_TITLE_MAX, OPTION_TEXT_MAX, TEXT_DEFAULT_MAX, TEXTAREA_MAX
from bot.render.run_replies import task
from bot.render.runs import format_time, mention, one_line, truncate

Names = Mapping[str, str]

TITLE_FIELD = "title"
DESCRIPTION_FIELD = "description"
COMMAND_FIELD = "command"
ASSIGNEE_FIELD = "assignee"
DUE_FIELD = "due"
CHECKLIST_FIELD = "checklist"

DUE_HELP = "2h, 30m, tomorrow 17:00 or 2026-12-24 09:00, in your time zone ({zone}). Empty: no due date."


def task_dialog(
    run: Run, checklist_id: str, item: RunItem | None, zone: ZoneInfo, state: str
) -> dict[str, Any]:
    """The task form: edits ``item`` (prefilled; its checklist can be changed to move it), or
    adds a task to ``checklist_id`` when ``item`` is ``None``."""
    elements: list[dict[str, Any]] = [
        _text(TITLE_FIELD, "Title", item.title if item else "", MAX_ITEM_TITLE_LENGTH, optional=False),
        {
            "display_name": "Description",
            "name": DESCRIPTION_FIELD,
            "type": "textarea",
            "optional": True,
            "max_length": TEXTAREA_MAX,
            **({"default": item.description[:TEXTAREA_MAX]} if item and item.description else {}),
        },
        {
            **_text(COMMAND_FIELD, "Slash command", item.command if item else "", MAX_COMMAND_LENGTH),
            "placeholder": "/page oncall",
        },
        {
            "display_name": "Assignee",
            "name": ASSIGNEE_FIELD,
            "type": "select",
            "data_source": "users",
            "optional": True,
            "placeholder": "Nobody",
            **({"default": item.assignee_id} if item and item.assignee_id else {}),
        },
        {
            **_text(DUE_FIELD, "Due", format_local(item.due_at, zone) if item and item.due_at else "", 60),
            "placeholder": "e.g. 2h or tomorrow 17:00",
            "help_text": DUE_HELP.format(zone=zone.key)[:150],
        },
        {
            "display_name": "Checklist",
            "name": CHECKLIST_FIELD,
            "type": "select",
            "options": [
                {"text": truncate(f"{number}. {one_line(c.title)}", OPTION_TEXT_MAX), "value": c.id}
                for number, c in enumerate(run.checklists, start=1)
            ],
            "default": checklist_id,
        },
    ]
    return {
        "callback_id": TaskForm.name,
        "title": ("Edit task" if item else "Add a task")[:DIALOG_TITLE_MAX],
        "introduction_text": f"In **{truncate(one_line(run.name), 200)}**.",
        "submit_label": "Save" if item else "Add",
        "state": state,
        "elements": elements,
    }


def _text(name: str, label: str, value: str, max_length: int, *, optional: bool = True) -> dict[str, Any]:
    # A text field's default may hold 150 characters; a longer value goes in a textarea so the
    # form never loses it.
    long = len(value) > TEXT_DEFAULT_MAX
    element: dict[str, Any] = {
        "display_name": label,
        "name": name,
        "type": "textarea" if long else "text",
        "optional": optional,
        "max_length": min(max_length, TEXTAREA_MAX),
    }
    if value:
        element["default"] = value
    return element


# Answers ----------------------------------------------------------------------------------------


def due_changed(ref: ItemRef, zone: ZoneInfo, *, already: bool) -> str:
    """The confirmation of ``/playbook due`` or a due date set in the form."""
    due = ref.item.due_at
    if due is None:
        return f"{task(ref)} has no due date." if already else f"Removed the due date of {task(ref)}."
    when = _when(due, zone)
    return f"{task(ref)} is already due {when}." if already else f"{task(ref)} is now due {when}."


def _when(at: datetime, zone: ZoneInfo) -> str:
    local = "" if zone.key == "UTC" else f" ({format_local(at, zone)} {zone.key})"
    return f"{format_time(at)}{local}"


def task_saved(ref: ItemRef, *, added: bool, already: bool = False) -> str:
    """The confirmation of the task form or ``/playbook checkadd``."""
    checklist = truncate(one_line(ref.checklist.title), 200)
    if added:
        return f"Added {task(ref)} to “{checklist}”."
    return f"{task(ref)} was already like that." if already else f"Saved {task(ref)} in “{checklist}”."


def task_moved(ref: ItemRef, *, already: bool) -> str:
    """The confirmation of ``/playbook taskmove``."""
    checklist = truncate(one_line(ref.checklist.title), 200)
    return f"{task(ref)} is already there." if already else f"Moved the task to {task(ref)} in “{checklist}”."


def checklist_changed(run: Run, checklist_no: int, verb: str, *, already: bool = False) -> str:
    """The confirmation of a checklist added, renamed or moved (``verb``)."""
    title = truncate(one_line(run.checklists[checklist_no - 1].title), 200)
    if already:
        return f"Checklist {checklist_no} “{title}” is already like that."
    return f"{verb} checklist {checklist_no} “{title}”."


def checklist_removed(title: str, tasks: int) -> str:
    """The confirmation of ``/playbook checklist remove``."""
    count = "1 task" if tasks == 1 else f"{tasks} tasks"
    return f"Removed the checklist “{truncate(one_line(title), 200)}” and its {count}."


def task_overdue(run: Run, ref: ItemRef, names: Names) -> str:
    """Posted in the run channel when a task's due time comes: its assignee and the run's owner
    are mentioned."""
    people = [ref.item.assignee_id] if ref.item.assignee_id else []
    if run.owner_id not in people:
        people.append(run.owner_id)
    who = ", ".join(mention(user_id, names) for user_id in people)
    due = ref.item.due_at
    when = f" (due {format_time(due)})" if due else ""
    return (
        f":alarm_clock: {who}: task {task(ref)} of **{truncate(one_line(run.name), 200)}** is overdue{when}."
    )
