"""How a run is shown: its overview and checklist posts, welcome, channel header, info and timeline.

Pure functions from domain values to Mattermost post dicts (``{"message", "props"}``) and texts.
People are named from a ``names`` mapping (user id → username) looked up once by the caller; times
are shown in UTC against the ``now`` given, so a rendering is reproducible.

Checklist buttons carry signed contexts, the contract with the click handlers:

* ``{"a": "item", "r", "c", "i", "t", "v"}`` puts item ``i`` of checklist ``c`` of run ``r`` into
  state ``t`` (``closed``, ``skipped`` or ``""`` for open), signed at item revision ``v``;
* ``{"a": "assign_me", "r", "c", "i", "v"}`` assigns the item to the clicker;
* ``{"a": "run_cmd", "r", "c", "i", "v"}`` runs the item's slash command;
* ``{"a": "finish", "r"}`` and ``{"a": "restore", "r"}`` on the overview finish or restore the run;
* ``{"a": "status_open", "r"}`` (*Post update*) opens the status update dialog.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.domain.playbook import Playbook
from bot.domain.run import ItemRef, ItemState, Run, RunChecklist, RunItem, iter_items, overdue_items, progress
from bot.domain.status import StatusUpdate
from bot.domain.timeline import TimelineEvent, TimelineEventType, render_summary
from bot.render.buttons import button
from bot.security import ContextSigner

Post = dict[str, Any]
Names = Mapping[str, str]

MAX_MESSAGE_RUNES = 16383
MAX_HEADER_RUNES = 1024
# Mattermost caps a request body at 300 kB; a post's props stay well under it.
MAX_PROPS_CHARS = 200_000
MAX_SUMMARY_RUNES = 3000
MAX_LISTED_PARTICIPANTS = 20
ELLIPSIS = "…"

STATE_ICONS = {
    ItemState.OPEN: "☐",
    ItemState.IN_PROGRESS: "◐",
    ItemState.CLOSED: "☑",
    ItemState.SKIPPED: "☒",
}
COLOR_OPEN = "#1c58d9"
COLOR_DONE = "#3db887"
COLOR_SKIPPED = "#a0a0a0"
COLOR_OVERDUE = "#d24b4e"
COLOR_FINISHED = "#3db887"
POST_UPDATE_ACTION = "status_open"


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
    _Budget(600, 1024, 300, 4),
    _Budget(200, 300, 120, 4),
    _Budget(0, 120, 60, 4),
    _Budget(0, 120, 60, 2),
    _Budget(0, 80, 40, 1),
)


# Small pieces ---------------------------------------------------------------------------------


def truncate(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, ending in an ellipsis when cut."""
    if limit <= 0:
        return ""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + ELLIPSIS


def mention(user_id: str | None, names: Names) -> str:
    """``@username`` for a user, ``someone`` when the user is unknown, ``nobody`` for no user."""
    if not user_id:
        return "nobody"
    name = names.get(user_id)
    return f"@{name}" if name else "someone"


def format_time(at: datetime) -> str:
    """A time as people read it in a post, in UTC: ``Nov 23, 09:45 UTC``."""
    utc = at.astimezone(UTC)
    return f"{utc:%b} {utc.day}, {utc:%H:%M} UTC"


def format_duration(span: timedelta) -> str:
    """A compact duration: ``45 s``, ``15 min``, ``2 h 5 min``, ``3 d 4 h``."""
    seconds = int(abs(span).total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    minutes, _ = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def due_text(item: RunItem, now: datetime, *, active: bool = True) -> str:
    """When an item is due, relative to ``now``: ``due in 15 min (Nov 23, 09:45 UTC)`` or
    ``**overdue** by 5 min (due Nov 23, 09:45 UTC)``; ``""`` without a due date. Nothing is
    overdue in a finished (not ``active``) run."""
    if item.due_at is None:
        return ""
    when = format_time(item.due_at)
    if not active:
        return f"due {when}"
    if not item.is_outstanding:
        return f"was due {when}"
    if item.due_at < now:
        return f"**overdue** by {format_duration(now - item.due_at)} (due {when})"
    return f"due in {format_duration(item.due_at - now)} ({when})"


def progress_text(run: Run) -> str:
    """``3/12 done (25%)``."""
    counted = progress(run)
    return f"{counted.done}/{counted.total} done ({counted.percent}%)"


def status_text(run: Run) -> str:
    """``In progress`` or ``Finished``."""
    return "Finished" if run.is_finished else "In progress"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _people(user_ids: Sequence[str], names: Names) -> str:
    shown = [mention(user_id, names) for user_id in user_ids[:MAX_LISTED_PARTICIPANTS]]
    hidden = len(user_ids) - len(shown)
    if hidden > 0:
        shown.append(f"and {hidden} more")
    return ", ".join(shown) if shown else "nobody yet"


def run_label(run: Run) -> str:
    """``INC-00042 · Database down`` on one line, for texts about the run."""
    ident = f"{run.sequential_id} · " if run.sequential_id else ""
    return truncate(" ".join(f"{ident}{run.name}".split()), 300)


def post_update_button(run: Run, signer: ContextSigner, url: str) -> dict[str, Any]:
    """The *Post update* button that opens the status update dialog for ``run``."""
    payload = {"r": run.id}
    return button(
        "postupdate", "Post update", action=POST_UPDATE_ACTION, payload=payload, signer=signer, url=url
    )


def _run_title(run: Run) -> str:
    ident = f"{run.sequential_id} · " if run.sequential_id else ""
    return truncate(f"{ident}{_one_line(run.name)}", 1100)


# The overview ---------------------------------------------------------------------------------


def overview_post(
    run: Run,
    playbook_title: str,
    names: Names,
    now: datetime,
    signer: ContextSigner,
    action_url: str,
    latest_update: StatusUpdate | None = None,
    next_update_due: datetime | None = None,
    updates_enabled: bool = False,
) -> Post:
    """The run's overview post: name, id, summary, owner, status, progress, participants, and a
    *Finish run* (in progress) or *Restore run* (finished) button.

    With status updates it also shows the latest update, when the next is due (or that it is
    overdue) and, while in progress, a *Post update* button (``updates_enabled``)."""
    counted = progress(run)
    overdue = len(overdue_items(run, now))
    fields = [
        {"title": "Owner", "value": mention(run.owner_id, names), "short": True},
        {"title": "Status", "value": status_text(run), "short": True},
        {"title": "Progress", "value": progress_text(run), "short": True},
        {"title": "Started", "value": format_time(run.created_at), "short": True},
    ]
    if overdue:
        fields.append({"title": "Overdue", "value": _plural(overdue, "task"), "short": True})
    if run.finished_at is not None:
        fields.append({"title": "Finished", "value": format_time(run.finished_at), "short": True})
    if not run.is_finished:
        fields += _update_fields(latest_update, next_update_due, names, now)
    elif latest_update is not None:
        fields += _update_fields(latest_update, None, names, now)
    late = not run.is_finished and next_update_due is not None and next_update_due <= now
    fields.append({"title": "Participants", "value": _people(run.participant_ids, names), "short": False})
    if run.is_finished:
        action = button(
            "restore", "Restore run", action="restore", payload={"r": run.id}, signer=signer, url=action_url
        )
    else:
        action = button(
            "finish",
            "Finish run",
            action="finish",
            payload={"r": run.id},
            signer=signer,
            url=action_url,
            style="primary",
        )
    actions = [action]
    if updates_enabled and not run.is_finished:
        actions.insert(0, post_update_button(run, signer, action_url))
    attachment: dict[str, Any] = {
        "fallback": f"{_one_line(run.name)}: {status_text(run)}, {progress_text(run)}",
        "color": COLOR_FINISHED if run.is_finished else (COLOR_OVERDUE if overdue or late else COLOR_OPEN),
        "text": truncate(run.summary.strip(), MAX_SUMMARY_RUNES) or "_No summary yet._",
        "fields": fields,
        "actions": actions,
        "footer": f"Playbook: {truncate(_one_line(playbook_title), 200)} · {counted.total} tasks",
    }
    message = f"#### {_run_title(run)}"
    return {"message": message, "props": {"attachments": [attachment]}}


def _update_fields(
    latest: StatusUpdate | None, next_due: datetime | None, names: Names, now: datetime
) -> list[dict[str, Any]]:
    """The overview's *Last update* and *Next update* fields."""
    fields: list[dict[str, Any]] = []
    if latest is not None:
        text = truncate(_one_line(latest.message), 300)
        value = f"{format_time(latest.posted_at)} by {mention(latest.author_id, names)}: {text}"
        fields.append({"title": "Last update", "value": value, "short": False})
    if next_due is not None:
        if next_due <= now:
            value = f"**OVERDUE** by {format_duration(now - next_due)} (due {format_time(next_due)})"
        else:
            value = f"due in {format_duration(next_due - now)} ({format_time(next_due)})"
        fields.append({"title": "Next update", "value": value, "short": True})
    return fields


# Checklists -----------------------------------------------------------------------------------


def checklist_header(run: Run, checklist_no: int) -> str:
    """``**1. Triage** — 2/6 done``."""
    checklist = run.checklists[checklist_no - 1]
    done = sum(1 for item in checklist.items if item.state.is_done)
    title = truncate(_one_line(checklist.title), 1024)
    finished = " · _run finished_" if run.is_finished else ""
    return f"**{checklist_no}. {title}** — {done}/{len(checklist.items)} done{finished}"


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
    title = truncate(_one_line(item.title), budget.title)
    shown_title = f"~~{title}~~ _(skipped)_" if item.state is ItemState.SKIPPED else title
    lines = [f"{STATE_ICONS[item.state]} **{number}** {shown_title}"]
    details = []
    if item.assignee_id:
        details.append(f"assigned to {mention(item.assignee_id, names)}")
    due = due_text(item, now, active=not run.is_finished)
    if due:
        details.append(due)
    if item.state is ItemState.CLOSED and item.state_modified_by:
        details.append(f"checked by {mention(item.state_modified_by, names)}")
    if details:
        lines.append(" · ".join(details))
    if item.command:
        lines.append(f"Command: `{truncate(_one_line(item.command).replace('`', ''), budget.command)}`")
    description = truncate(item.description.strip(), budget.description)
    if description:
        lines.append(description)
    overdue = item.is_outstanding and item.due_at is not None and item.due_at < now and not run.is_finished
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
    ids: dict[str, str | int] = {"r": run.id, "c": checklist.id, "i": item.id, "v": item.revision}

    def make(action_id: str, label: str, action: str, style: str = "default", **extra: str) -> dict[str, Any]:
        return button(
            action_id,
            label,
            action=action,
            payload={**ids, **extra},
            signer=signer,
            url=action_url,
            style=style,
        )

    buttons: list[dict[str, Any]] = []
    if item.state is ItemState.CLOSED:
        buttons.append(make(f"i{n}uncheck", "Uncheck", "item", t=ItemState.OPEN.value))
    elif item.state is ItemState.SKIPPED:
        buttons.append(make(f"i{n}restore", "Restore", "item", t=ItemState.OPEN.value))
    else:
        buttons.append(make(f"i{n}check", "Check", "item", "primary", t=ItemState.CLOSED.value))
        buttons.append(make(f"i{n}skip", "Skip", "item", t=ItemState.SKIPPED.value))
    buttons.append(make(f"i{n}assign", "Assign to me", "assign_me"))
    if item.command.strip():
        buttons.append(make(f"i{n}run", command_label(item.command), "run_cmd"))
    return buttons


def command_label(command: str) -> str:
    """The label of an item's *Run* button: ``Run /page…`` (the command's first word)."""
    word = command.strip().split()[0] if command.strip() else "/"
    return f"Run {truncate(word, 24)}…"


# Texts ----------------------------------------------------------------------------------------


def welcome_message(run: Run, playbook: Playbook, *, channel_name: str = "") -> str:
    """The playbook's welcome message for the run, or ``""`` when the playbook has none.

    With ``channel_name`` it is written for someone joining later, naming the run's channel.
    """
    text = playbook.welcome_message.message.strip()
    if not playbook.welcome_message.enabled or not text:
        return ""
    where = f" in ~{channel_name}" if channel_name else ""
    heading = f"#### Welcome to {truncate(_one_line(run.name), 1024)}{where}"
    return truncate(f"{heading}\n{text}", MAX_MESSAGE_RUNES)


def channel_header(run: Run) -> str:
    """The run channel's header: id, name and summary on one line, at most 1024 characters."""
    header = _run_title(run)
    summary = _one_line(run.summary)
    if summary:
        header = f"{header} — {summary}"
    return truncate(header, MAX_HEADER_RUNES)


def info_text(run: Run, names: Names, now: datetime) -> str:
    """``/playbook info``: the run at a glance, with every outstanding task."""
    lines = [
        f"#### {_run_title(run)}",
        f"**Status:** {status_text(run)} · **Owner:** {mention(run.owner_id, names)} · "
        f"**Progress:** {progress_text(run)}",
        f"**Started:** {format_time(run.created_at)} by {mention(run.reporter_id, names)}",
        f"**Participants:** {_people(run.participant_ids, names)}",
    ]
    if run.finished_at is not None:
        lines.append(f"**Finished:** {format_time(run.finished_at)}")
    summary = truncate(run.summary.strip(), MAX_SUMMARY_RUNES)
    if summary:
        lines += ["", "**Summary**", summary]
    for checklist_no in range(1, len(run.checklists) + 1):
        lines += ["", checklist_header(run, checklist_no)]
        for ref in iter_items(run):
            if ref.checklist_no != checklist_no or not ref.item.is_outstanding:
                continue
            details = [mention(ref.item.assignee_id, names)] if ref.item.assignee_id else []
            due = due_text(ref.item, now, active=not run.is_finished)
            if due:
                details.append(due)
            suffix = f" — {' · '.join(details)}" if details else ""
            lines.append(
                f"- {ref.checklist_no}.{ref.item_no} {truncate(_one_line(ref.item.title), 200)}{suffix}"
            )
    return truncate("\n".join(lines), MAX_MESSAGE_RUNES)


def timeline_text(events: Sequence[TimelineEvent], names: Names) -> str:
    """``/playbook timeline``: a table of the run's events, oldest first, with the time since the
    run started; the oldest rows give way when the table would not fit in one message."""
    if not events:
        return "Nothing has happened in this run yet."
    started = next((e.at for e in events if e.type is TimelineEventType.RUN_CREATED), events[0].at)
    namer: Callable[[str], str] = lambda user_id: mention(user_id, names)  # noqa: E731
    rows = []
    for recorded in events:
        since = "" if recorded.type is TimelineEventType.RUN_CREATED else _since(recorded.at - started)
        text = _one_line(render_summary(recorded, namer)).replace("|", "\\|")
        rows.append(f"| {format_time(recorded.at)} | {since} | {truncate(text, 500)} |")
    head = ["| Time | Since start | Event |", "|:--|:--|:--|"]
    shown = rows
    while len("\n".join(head + shown)) > MAX_MESSAGE_RUNES - 100 and len(shown) > 1:
        shown = shown[len(shown) // 10 or 1 :]
    text = "\n".join(head + shown)
    hidden = len(rows) - len(shown)
    if hidden:
        text = f"_{_plural(hidden, 'earlier event')} not shown._\n{text}"
    return text


def _since(span: timedelta) -> str:
    sign = "-" if span < timedelta(0) else ""
    return f"{sign}{format_duration(span)}"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
