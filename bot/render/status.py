"""How status updates are shown: the update post, the reminder, the update dialog, todo and digest.

Pure functions, like :mod:`bot.render.runs`. Buttons carry signed contexts, the contract with
:mod:`handlers.status_updates`:

* ``{"a": "status_open", "r"}`` opens the update dialog for run ``r`` (reminder and overview);
* ``{"a": "status_snooze", "r", "s"}`` puts the run's next reminder off by ``s`` seconds.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.callback_data import SnoozeReminder, UpdateForm
from bot.domain.run import Run, progress
from bot.domain.status import CUSTOM, INTERVAL_CHOICES, SNOOZE_CHOICES, StatusUpdate, Todo
from bot.render.buttons import button
from bot.render.runs import (
    COLOR_OPEN,
    COLOR_OVERDUE,
    MAX_MESSAGE_RUNES,
    Names,
    Post,
    format_duration,
    format_time,
    mention,
    post_update_button,
    progress_text,
    run_label,
    truncate,
)
from bot.security import ContextSigner

MESSAGE_FIELD = "message"
REMINDER_FIELD = "reminder"
CUSTOM_FIELD = "reminder_custom"
FINISH_FIELD = "finish"

TEXTAREA_MAX = 3000
TEXT_MAX = 150
MAX_UPDATE_RUNES = 12000


# Posts ----------------------------------------------------------------------------------------


def update_post(run: Run, update: StatusUpdate, names: Names) -> Post:
    """The update as the bot posts it, attributed to its author, with the run's progress."""
    counted = progress(run)
    people = len(run.participant_ids)
    footer = [
        f"{counted.done} of {counted.total} tasks done"
        + (f" · {counted.skipped} skipped" if counted.skipped else ""),
        f"{people} participant" + ("" if people == 1 else "s"),
    ]
    if update.next_reminder_at is not None:
        footer.append(f"next update due {format_time(update.next_reminder_at)}")
    attachment = {
        "fallback": f"Status update for {run_label(run)}: {truncate(update.message, 200)}",
        "color": COLOR_OPEN,
        "author_name": f"{mention(update.author_id, names)} posted an update",
        "text": truncate(update.message, MAX_UPDATE_RUNES),
        "footer": " · ".join(footer),
    }
    return {"message": f"#### Status update: {run_label(run)}", "props": {"attachments": [attachment]}}


def update_dm(run: Run, update: StatusUpdate, names: Names, channel_name: str) -> Post:
    """The update as a follower receives it by direct message, naming the run's channel."""
    post = update_post(run, update, names)
    where = f" in ~{channel_name}" if channel_name else ""
    post["message"] = f"{post['message']}\n_You follow this run{where}._"
    return post


def reminder_post(run: Run, names: Names, due_at: datetime, signer: ContextSigner, url: str) -> Post:
    """The reminder in the run channel: the owner is asked for an update; *Post update* and
    snooze buttons."""
    actions = [post_update_button(run, signer, url)]
    for label, delay in SNOOZE_CHOICES:
        actions.append(
            button(
                f"snooze{label}",
                f"Snooze {label}",
                SnoozeReminder(run.id, seconds=int(delay.total_seconds())),
                signer=signer,
                url=url,
            )
        )
    attachment = {
        "fallback": f"A status update for {run_label(run)} is due.",
        "color": COLOR_OVERDUE,
        "text": f"The update was due {format_time(due_at)}. Post it, or snooze this reminder.",
        "actions": actions,
    }
    message = f"{mention(run.owner_id, names)}, please post a status update for **{run_label(run)}**."
    return {"message": message, "props": {"attachments": [attachment]}}


def snoozed_post(run: Run, names: Names, actor_id: str, until: datetime) -> Post:
    """The reminder once snoozed: who put it off and until when; no buttons."""
    text = f"{mention(actor_id, names)} snoozed this reminder until {format_time(until)}."
    message = f"A status update for **{run_label(run)}** was due."
    return {"message": message, "props": {"attachments": [{"fallback": text, "text": text}]}}


def snoozed_note(until: datetime) -> str:
    """What the person who snoozed a reminder is told."""
    return f"Snoozed: I'll ask again {format_time(until)}."


def following_changed(run: Run, *, follow: bool, already: bool) -> str:
    """The answer to ``/playbook follow`` (``follow``) or ``unfollow``."""
    name = f"**{run_label(run)}**"
    if follow:
        if already:
            return f"You already follow {name}."
        return f"You now follow {name}: its status updates come to you by direct message."
    if already:
        return f"You don't follow {name}."
    return f"You no longer follow {name}."


# The dialog -------------------------------------------------------------------------------------


def update_dialog(
    run: Run, default_message: str, interval_value: str, custom_value: str, broadcast_count: int, state: str
) -> dict[str, Any]:
    """The update dialog: the text (prefilled) and when to remind next (one of
    :data:`~bot.domain.status.INTERVAL_CHOICES`, with ``custom`` read from a text field)."""
    values = {value for _, value in INTERVAL_CHOICES}
    where = "channel" if broadcast_count == 1 else "channels"
    intro = f"Provide an update to the stakeholders of **{truncate(run_label(run), 200)}**."
    if broadcast_count:
        intro += f" This post will be broadcast to {broadcast_count} {where}."
    message: dict[str, Any] = {
        "display_name": "Change since last update",
        "name": MESSAGE_FIELD,
        "type": "textarea",
        "max_length": TEXTAREA_MAX,
        "placeholder": "What changed, what is next, what do you need?",
    }
    if default_message.strip():
        message["default"] = default_message[:TEXTAREA_MAX]
    reminder: dict[str, Any] = {
        "display_name": "Next reminder",
        "name": REMINDER_FIELD,
        "type": "select",
        "options": [{"text": label, "value": value} for label, value in INTERVAL_CHOICES],
        "help_text": "When to remind the owner of the next update.",
    }
    if interval_value in values:
        reminder["default"] = interval_value
    custom: dict[str, Any] = {
        "display_name": "Custom reminder",
        "name": CUSTOM_FIELD,
        "type": "text",
        "optional": True,
        "max_length": 20,
        "placeholder": "e.g. 90m, 2h30m, 3d",
        "help_text": "Used when Next reminder is Custom.",
    }
    if interval_value == CUSTOM and custom_value:
        custom["default"] = custom_value[:TEXT_MAX]
    finish = {
        "display_name": "Finish the run",
        "name": FINISH_FIELD,
        "type": "bool",
        "optional": True,
        "default": "false",
        "placeholder": "Also finish the run after posting this update",
        "help_text": "Finishes the run, even with tasks still open.",
    }
    return {
        "callback_id": UpdateForm.name,
        "title": "Status update",
        "introduction_text": intro,
        "submit_label": "Post",
        "state": state,
        "elements": [message, reminder, custom, finish],
    }


# Todo and digests -------------------------------------------------------------------------------


def todo_text(todo: Todo, now: datetime) -> str:
    """``/playbook todo``: runs overdue for an update, then open tasks, overdue first, then the
    runs in progress the person takes part in."""
    lines = ["#### Your to-do list", *_overdue_section(todo, now), "", *_tasks_section(todo, now)]
    if todo.is_empty:
        lines = ["#### Your to-do list", "Nothing to do: no open tasks and no overdue updates. :tada:"]
    lines += ["", *_runs_section(todo)]
    return truncate("\n".join(lines), MAX_MESSAGE_RUNES)


def digest_message(todo: Todo, now: datetime, *, trigger: str = "playbook") -> str:
    """The morning digest DM: the same list, only the sections with something in them."""
    lines = ["#### Good morning! Here is your Playbooks digest"]
    if todo.overdue_runs:
        lines += ["", *_overdue_section(todo, now)]
    if todo.tasks:
        lines += ["", *_tasks_section(todo, now)]
    lines += ["", f"_Switch this digest off with `/{trigger} settings digest off`._"]
    return truncate("\n".join(lines), MAX_MESSAGE_RUNES)


def digest_usage(trigger: str) -> str:
    """How to use ``settings`` (the run's form, or the person's digest)."""
    return f"Usage: `/{trigger} settings` in a run's channel, or `/{trigger} settings digest on|off`"


def digest_changed(due: datetime | None, zone_name: str) -> str:
    """The answer to ``settings digest on|off``: off (no ``due``), or on with its first delivery."""
    if due is None:
        return "Your daily digest is off."
    return (
        f"Your daily digest is on: it comes by direct message at 08:00 ({zone_name}), "
        f"first on {format_time(due)}."
    )


def _overdue_section(todo: Todo, now: datetime) -> list[str]:
    runs = todo.overdue_runs
    lines = ["##### Overdue status updates"]
    if not runs:
        return [*lines, "No run is waiting for your update."]
    for run in runs:
        late = format_duration(now - run.due_at)
        where = f" in ~{run.channel_name}" if run.channel_name else ""
        lines.append(f"- **{truncate(run.run_name, 200)}**{where} — overdue by {late}")
    return lines


def _runs_section(todo: Todo) -> list[str]:
    lines = ["##### Your runs in progress"]
    if not todo.runs:
        return [*lines, "You take part in no run in progress."]
    for active in todo.runs:
        where = f" in ~{active.channel_name}" if active.channel_name else ""
        owner = " · you own it" if active.owned else ""
        lines.append(f"- **{run_label(active.run)}**{where} — {progress_text(active.run)}{owner}")
    return lines


def _tasks_section(todo: Todo, now: datetime) -> list[str]:
    tasks = todo.tasks
    lines = ["##### Your open tasks"]
    if not tasks:
        return [*lines, "You have no open tasks."]
    for task in tasks:
        due = ""
        if task.due_at is not None:
            if task.due_at <= now:  # the due instant itself is overdue, as on the posts
                due = f" — **overdue** by {format_duration(now - task.due_at)}"
            else:
                due = f" — due in {format_duration(task.due_at - now)}"
        title = truncate(" ".join(task.title.split()), 200)
        where = f", ~{task.channel_name}" if task.channel_name else ""
        lines.append(f"- {task.number} {title} ({truncate(task.run_name, 100)}{where}){due}")
    return lines
