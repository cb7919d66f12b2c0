"""How a run's checklists are shown: one post per checklist, one attachment per task.

Pure functions, like :mod:`bot.render.runs`. Task buttons carry signed contexts, the contract with
the click handlers:

* ``{"a": "item", "r", "c", "i", "t", "v"}`` puts item ``i`` of checklist ``c`` of run ``r`` into
  state ``t`` (``closed``, ``skipped`` or ``""`` for open), signed at item revision ``v``;
* ``{"a": "assign_me", "r", "c", "i", "v"}`` assigns the item to the clicker;
* ``{"a": "run_cmd", "r", "c", "i", "v"}`` shows the item's slash command ready to copy;
* ``{"a": "task_edit", "r", "c", "i", "v"}`` opens the task form (due date, title, command…).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.callback_data import AssignToMe, EditTask, ItemClick, RunTaskCommand, TaskButton
from bot.domain.run import ItemRef, ItemState, Run, RunChecklist, RunItem, is_overdue, iter_items
from bot.render.buttons import button
from bot.render.runs import (
    COLOR_DONE,
    COLOR_OPEN,
    COLOR_OVERDUE,
    COLOR_SKIPPED,
    Names,
    Post,
    checklist_header,
    due_text,
    mention,
    one_line,
    run_tag,
    truncate,
)
from bot.security import ContextSigner

# Mattermost caps a request body at 300 kB; a post's props stay well under it.
MAX_PROPS_CHARS = 200_000

STATE_ICONS = {
    ItemState.OPEN: "☐",
    ItemState.IN_PROGRESS: "◐",
    ItemState.CLOSED: "☑",
    ItemState.SKIPPED: "☒",
}


@dataclass(frozen=True, slots=True)
class _Budget:
    """How much of each item a checklist post shows; the first budget whose post fits is used."""

    description: int
    title: int
    command: int
    buttons: int  # how many of an item's buttons: all of them, or the state buttons first


# A checklist of hundreds of long items must still fit in one post, so text goes first, then the
# buttons other than the state ones (those tasks can still be assigned with ``/playbook assign``).
_BUDGETS = (
    _Budget(600, 1024, 300, 5),
    _Budget(200, 300, 120, 5),
    _Budget(0, 120, 60, 5),
    _Budget(0, 120, 60, 2),
    _Budget(0, 80, 40, 1),
)


def checklist_post(
    run: Run,
    checklist_no: int,
    names: Names,
    now: datetime,
    signer: ContextSigner,
    action_url: str,
) -> Post:
    """The post of one checklist (1-based ``checklist_no``): a header and one attachment per item
    with its buttons (none once the run is finished). Long descriptions and titles are shortened
    until the post fits Mattermost's limits."""
    checklist = run.checklists[checklist_no - 1]
    refs = [ref for ref in iter_items(run) if ref.checklist_no == checklist_no]
    message = checklist_header(run, checklist_no)
    if run.linked_channel:  # other runs' checklists may be in the channel too
        message = f"{run_tag(run)} · {message}"
    if not refs:
        message += "\n_No tasks in this checklist._"
    attachments: list[dict[str, Any]] = []
    for budget in _BUDGETS:
        attachments = [
            _item_attachment(run, checklist, ref, names, now, signer, action_url, budget) for ref in refs
        ]
        if len(json.dumps(attachments, ensure_ascii=False)) <= MAX_PROPS_CHARS:
            break
    return {"message": message, "props": {"attachments": attachments}}


def clock_dependence(run: Run, checklist_no: int, now: datetime) -> tuple[bool, ...]:
    """All that :func:`checklist_post` takes from ``now``: whether each dated task is overdue.
    Two moments with equal answers render the same post."""
    active = not run.is_finished
    return tuple(
        is_overdue(item, now) and active for item in run.checklists[checklist_no - 1].items if item.due_at
    )


def _item_attachment(
    run: Run,
    checklist: RunChecklist,
    ref: ItemRef,
    names: Names,
    now: datetime,
    signer: ContextSigner,
    action_url: str,
    budget: _Budget,
) -> dict[str, Any]:
    item = ref.item
    number = f"{ref.checklist_no}.{ref.item_no}"
    title = truncate(one_line(item.title), budget.title)
    shown_title = f"~~{title}~~ _(skipped)_" if item.state is ItemState.SKIPPED else title
    lines = [f"{STATE_ICONS[item.state]} **{number}** {shown_title}"]
    details = []
    if item.assignee_id:
        details.append(f"assigned to {mention(item.assignee_id, names)}")
    due = due_text(item, now, active=not run.is_finished, relative=False)
    if due:
        details.append(due)
    if item.state is ItemState.CLOSED and item.state_modified_by:
        details.append(f"checked by {mention(item.state_modified_by, names)}")
    if details:
        lines.append(" · ".join(details))
    if item.command:
        lines.append(f"Command: `{truncate(one_line(item.command).replace('`', ''), budget.command)}`")
    description = truncate(item.description.strip(), budget.description)
    if description:
        lines.append(description)
    overdue = is_overdue(item, now) and not run.is_finished
    attachment: dict[str, Any] = {
        "fallback": f"{number} {title}",
        "color": _item_color(item, overdue),
        "text": "\n".join(lines),
    }
    if not run.is_finished:
        attachment["actions"] = _item_buttons(run, checklist, ref, signer, action_url)[: budget.buttons]
    return attachment


def _item_color(item: RunItem, overdue: bool) -> str:
    if item.state is ItemState.CLOSED:
        return COLOR_DONE
    if item.state is ItemState.SKIPPED:
        return COLOR_SKIPPED
    return COLOR_OVERDUE if overdue else COLOR_OPEN


def _item_buttons(
    run: Run, checklist: RunChecklist, ref: ItemRef, signer: ContextSigner, action_url: str
) -> list[dict[str, Any]]:
    item = ref.item
    n = ref.item_no
    run_id, checklist_id, item_id, revision = run.id, checklist.id, item.id, item.revision

    def make(action_id: str, label: str, data: TaskButton, style: str = "default") -> dict[str, Any]:
        return button(action_id, label, data, signer=signer, url=action_url, style=style)

    def click(target: ItemState) -> ItemClick:
        return ItemClick(run_id, checklist_id, item_id, revision, target)

    buttons: list[dict[str, Any]] = []
    if item.state is ItemState.CLOSED:
        buttons.append(make(f"i{n}uncheck", "Uncheck", click(ItemState.OPEN)))
    elif item.state is ItemState.SKIPPED:
        buttons.append(make(f"i{n}restore", "Restore", click(ItemState.OPEN)))
    else:
        buttons.append(make(f"i{n}check", "Check", click(ItemState.CLOSED), "primary"))
        buttons.append(make(f"i{n}skip", "Skip", click(ItemState.SKIPPED)))
    buttons.append(make(f"i{n}assign", "Assign to me", AssignToMe(run_id, checklist_id, item_id, revision)))
    buttons.append(make(f"i{n}edit", "Edit…", EditTask(run_id, checklist_id, item_id, revision)))
    if item.command.strip():
        buttons.append(
            make(
                f"i{n}run",
                command_label(item.command),
                RunTaskCommand(run_id, checklist_id, item_id, revision),
            )
        )
    return buttons


def removed_checklist_post(title: str) -> Post:
    """What a removed checklist's post says from then on (no tasks, no buttons)."""
    return {
        "message": f"~~{one_line(truncate(title, 200))}~~ _(checklist removed from the run)_",
        "props": {},
    }


def command_label(command: str) -> str:
    """The label of an item's *Run* button: ``Run /page…`` (the command's first word)."""
    word = command.strip().split()[0] if command.strip() else "/"
    return f"Run {truncate(word, 24)}…"
