"""How a run is shown in texts, and the small pieces every run rendering shares.

Pure functions from domain values to Mattermost texts: the welcome message, channel header,
``/playbook info`` and timeline; the overview post is in :mod:`bot.render.run_overview` and the
checklist posts in :mod:`bot.render.checklists`. People are named from a ``names`` mapping (user
id → username) looked up once by the caller; times are shown in UTC against the ``now`` given, so a
rendering is reproducible.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.callback_data import OpenUpdateForm
from bot.domain.playbook import Playbook
from bot.domain.run import Progress, Run, RunItem, count_items, is_overdue, iter_items, progress
from bot.domain.timeline import TimelineEvent, TimelineEventType, render_summary
from bot.render.buttons import button
from bot.security import ContextSigner

Post = dict[str, Any]
Names = Mapping[str, str]

MAX_MESSAGE_RUNES = 16383
MAX_HEADER_RUNES = 1024
MAX_SUMMARY_RUNES = 3000
MAX_LISTED_PARTICIPANTS = 20
ELLIPSIS = "…"

COLOR_OPEN = "#1c58d9"
COLOR_DONE = "#3db887"
COLOR_SKIPPED = "#a0a0a0"
COLOR_OVERDUE = "#d24b4e"
COLOR_FINISHED = "#3db887"

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


def due_text(item: RunItem, now: datetime, *, active: bool = True, relative: bool = True) -> str:
    """When an item is due, relative to ``now``: ``due in 15 min (Nov 23, 09:45 UTC)`` or
    ``**overdue** by 5 min (due Nov 23, 09:45 UTC)``; ``""`` without a due date. Nothing is
    overdue in a finished (not ``active``) run.

    Not ``relative`` (a post that stays in the channel): ``due Nov 23, 09:45 UTC`` or
    ``**overdue** (due Nov 23, 09:45 UTC)``, which stays true until the due time, when the task's
    due job edits the post."""
    if item.due_at is None:
        return ""
    when = format_time(item.due_at)
    if not active:
        return f"due {when}"
    if not item.is_outstanding:
        return f"was due {when}"
    if is_overdue(item, now):
        if not relative:
            return f"**overdue** (due {when})"
        return f"**overdue** by {format_duration(now - item.due_at)} (due {when})"
    return f"due in {format_duration(item.due_at - now)} ({when})" if relative else f"due {when}"


def progress_text(run: Run) -> str:
    """``3/12 done``, or ``0/6 done · 1 skipped``: skipped tasks are neither done nor counted."""
    return counts_text(progress(run))


def counts_text(counted: Progress, *, skipped: bool = True) -> str:
    """``3/12 done`` and, with ``skipped`` tasks among them, `` · 1 skipped``."""
    text = f"{counted.done}/{counted.total} done"
    return f"{text} · {counted.skipped} skipped" if skipped and counted.skipped else text


def status_text(run: Run) -> str:
    """``In progress`` or ``Finished``."""
    return "Finished" if run.is_finished else "In progress"


def one_line(text: str) -> str:
    """``text`` with every run of whitespace, line breaks included, made one space."""
    return " ".join(text.split())


def plural(count: int, noun: str) -> str:
    """``1 task``, ``2 tasks``."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def people_text(user_ids: Sequence[str], names: Names) -> str:
    """``@alice, @bob and 3 more`` (the first few people), or ``nobody yet``."""
    shown = [mention(user_id, names) for user_id in user_ids[:MAX_LISTED_PARTICIPANTS]]
    hidden = len(user_ids) - len(shown)
    if hidden > 0:
        shown.append(f"and {hidden} more")
    return ", ".join(shown) if shown else "nobody yet"


def run_label(run: Run) -> str:
    """``INC-00042 · Database down`` on one line, for texts about the run."""
    ident = f"{run.sequential_id} · " if run.sequential_id else ""
    return truncate(" ".join(f"{ident}{run.name}".split()), 300)


def run_tag(run: Run) -> str:
    """``#42 Database down``: the run as a channel of several runs tells it apart, by the number
    commands take (``/playbook check #42 1 2``)."""
    return f"#{run.number} {truncate(one_line(run.name), 80)}"


def post_update_button(run: Run, signer: ContextSigner, url: str) -> dict[str, Any]:
    """The *Post update* button that opens the status update dialog for ``run``."""
    return button("postupdate", "Post update", OpenUpdateForm(run.id), signer=signer, url=url)


def run_title(run: Run) -> str:
    """``INC-00042 · Database down`` for headings: the run's id and name, on one line."""
    ident = f"{run.sequential_id} · " if run.sequential_id else ""
    return truncate(f"{ident}{one_line(run.name)}", 1100)


def checklist_header(run: Run, checklist_no: int) -> str:
    """``**1. Triage** — 2/6 done`` (``2/5 done · 1 skipped`` with a skipped task)."""
    checklist = run.checklists[checklist_no - 1]
    counted = count_items(checklist.items)
    title = truncate(one_line(checklist.title), 1024)
    finished = " · _run finished_" if run.is_finished else ""
    return f"**{checklist_no}. {title}** — {counts_text(counted)}{finished}"


# Texts ----------------------------------------------------------------------------------------


def welcome_message(run: Run, playbook: Playbook, *, channel_name: str = "") -> str:
    """The playbook's welcome message for the run, or ``""`` when the playbook has none.

    With ``channel_name`` it is written for someone joining later, naming the run's channel.
    """
    text = playbook.welcome_message.message.strip()
    if not playbook.welcome_message.enabled or not text:
        return ""
    where = f" in ~{channel_name}" if channel_name else ""
    heading = f"#### Welcome to {truncate(one_line(run.name), 1024)}{where}"
    return truncate(f"{heading}\n{text}", MAX_MESSAGE_RUNES)


def channel_header(run: Run) -> str:
    """The run channel's header: id, name and summary on one line, at most 1024 characters."""
    header = run_title(run)
    summary = one_line(run.summary)
    if summary:
        header = f"{header} — {summary}"
    return truncate(header, MAX_HEADER_RUNES)


def info_text(run: Run, names: Names, now: datetime) -> str:
    """``/playbook info``: the run at a glance, with every outstanding task."""
    lines = [
        f"#### {run_title(run)}",
        f"**Status:** {status_text(run)} · **Owner:** {mention(run.owner_id, names)} · "
        f"**Progress:** {progress_text(run)}",
        f"**Started:** {format_time(run.created_at)} by {mention(run.reporter_id, names)}",
        f"**Participants:** {people_text(run.participant_ids, names)}",
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
                f"- {ref.checklist_no}.{ref.item_no} {truncate(one_line(ref.item.title), 200)}{suffix}"
            )
    return truncate("\n".join(lines), MAX_MESSAGE_RUNES)


def timeline_text(run: Run, events: Sequence[TimelineEvent], names: Names) -> str:
    """``/playbook timeline``: a heading naming the run, then a table of its events, oldest first,
    with the time since the run started; the oldest rows give way when the table would not fit
    in one message."""
    heading = f"#### Timeline of {run_title(run)}"
    if not events:
        return f"{heading}\nNothing has happened in this run yet."
    started = next((e.at for e in events if e.type is TimelineEventType.RUN_CREATED), events[0].at)
    namer: Callable[[str], str] = lambda user_id: mention(user_id, names)  # noqa: E731
    rows = []
    for recorded in events:
        since = "" if recorded.type is TimelineEventType.RUN_CREATED else _since(recorded.at - started)
        text = one_line(render_summary(recorded, namer)).replace("|", "\\|")
        rows.append(f"| {format_time(recorded.at)} | {since} | {truncate(text, 500)} |")
    head = [heading, "| Time | Since start | Event |", "|:--|:--|:--|"]
    shown = rows
    while len("\n".join(head + shown)) > MAX_MESSAGE_RUNES - 100 and len(shown) > 1:
        shown = shown[len(shown) // 10 or 1 :]
    hidden = len(rows) - len(shown)
    if hidden:
        head.insert(1, f"_{plural(hidden, 'earlier event')} not shown._")
    return "\n".join(head + shown)


def _since(span: timedelta) -> str:
    sign = "-" if span < timedelta(0) else ""
    return f"{sign}{format_duration(span)}"
