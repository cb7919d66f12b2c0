"""How a run's overview post is shown: the run at a glance, with its status update fields.

Pure functions, like :mod:`bot.render.runs`. Its buttons carry signed contexts, the contract with
the click handlers:

* ``{"a": "finish", "r"}`` and ``{"a": "restore", "r"}`` finish or restore run ``r``;
* ``{"a": "status_open", "r"}`` (*Post update*) opens the status update dialog.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.callback_data import FinishRun, RestoreRun
from bot.domain.run import Run, overdue_items, progress
from bot.domain.status import StatusUpdate
from bot.render.buttons import button
from bot.render.runs import (
    COLOR_FINISHED,
    COLOR_OPEN,
    COLOR_OVERDUE,
    MAX_SUMMARY_RUNES,
    Names,
    Post,
    format_duration,
    format_time,
    mention,
    one_line,
    people_text,
    plural,
    post_update_button,
    progress_text,
    run_title,
    status_text,
    truncate,
)
from bot.security import ContextSigner


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
    updates_off_for_run: bool = False,
) -> Post:
    """The run's overview post: name, id, summary, owner, status, progress, participants, and a
    *Finish run* (in progress) or *Restore run* (finished) button.

    With status updates it also shows the latest update, when the next is due (or that it is
    overdue) and, while in progress, a *Post update* button (``updates_enabled``); when the run
    itself turned them off (``updates_off_for_run``), it says so, as the button is gone."""
    counted = progress(run)
    overdue = len(overdue_items(run, now))
    fields = [
        {"title": "Owner", "value": mention(run.owner_id, names), "short": True},
        {"title": "Status", "value": status_text(run), "short": True},
        {"title": "Progress", "value": progress_text(run), "short": True},
        {"title": "Started", "value": format_time(run.created_at), "short": True},
    ]
    if overdue:
        fields.append({"title": "Overdue", "value": plural(overdue, "task"), "short": True})
    if run.finished_at is not None:
        fields.append({"title": "Finished", "value": format_time(run.finished_at), "short": True})
    if not run.is_finished:
        fields += _update_fields(latest_update, next_update_due, names, now)
        if updates_off_for_run:
            fields.append({"title": "Status updates", "value": "off for this run", "short": True})
    elif latest_update is not None:
        fields += _update_fields(latest_update, None, names, now)
    late = not run.is_finished and next_update_due is not None and next_update_due <= now
    fields.append({"title": "Participants", "value": people_text(run.participant_ids, names), "short": False})
    if run.is_finished:
        action = button("restore", "Restore run", RestoreRun(run.id), signer=signer, url=action_url)
    else:
        action = button(
            "finish",
            "Finish run",
            FinishRun(run.id),
            signer=signer,
            url=action_url,
            style="primary",
        )
    actions = [action]
    if updates_enabled and not run.is_finished:
        actions.insert(0, post_update_button(run, signer, action_url))
    attachment: dict[str, Any] = {
        "fallback": f"{one_line(run.name)}: {status_text(run)}, {progress_text(run)}",
        "color": COLOR_FINISHED if run.is_finished else (COLOR_OVERDUE if overdue or late else COLOR_OPEN),
        "text": truncate(run.summary.strip(), MAX_SUMMARY_RUNES) or "_No summary yet._",
        "fields": fields,
        "actions": actions,
        "footer": f"Playbook: {truncate(one_line(playbook_title), 200)} · {plural(counted.all, 'task')}",
    }
    message = f"#### {run_title(run)}"
    return {"message": message, "props": {"attachments": [attachment]}}


def _update_fields(
    latest: StatusUpdate | None, next_due: datetime | None, names: Names, now: datetime
) -> list[dict[str, Any]]:
    """The overview's *Last update* and *Next update* fields."""
    fields: list[dict[str, Any]] = []
    if latest is not None:
        text = truncate(one_line(latest.message), 300)
        value = f"{format_time(latest.posted_at)} by {mention(latest.author_id, names)}: {text}"
        fields.append({"title": "Last update", "value": value, "short": False})
    if next_due is not None:
        if next_due <= now:
            value = f"**OVERDUE** by {format_duration(now - next_due)} (due {format_time(next_due)})"
        else:
            value = f"due in {format_duration(next_due - now)} ({format_time(next_due)})"
        fields.append({"title": "Next update", "value": value, "short": True})
    return fields
