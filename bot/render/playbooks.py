"""Playbooks as chat messages: the list, one playbook in detail, import results, the team prompt.

Pure functions from domain values to Markdown text and post dicts; nothing here talks to
Mattermost or the database. Checklists and tasks are numbered from 1, as every command counts.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot.callback_data import ImportToTeam
from bot.domain.playbook import ChecklistItemTemplate, Metric, MetricType, Playbook
from bot.domain.playbook_settings import ChannelMode
from bot.security import ContextSigner

from .buttons import button

MAX_MESSAGE_LENGTH = 16383  # Mattermost's post limit, in characters
CUT_NOTE = "\n\n_… cut short: too long for one message. Export the playbook to see all of it._"

_METRIC_TYPES = {
    MetricType.DURATION: "duration",
    MetricType.CURRENCY: "currency",
    MetricType.INTEGER: "number",
}


@dataclass(frozen=True, slots=True)
class TeamChoice:
    """A team offered in the "which team?" prompt."""

    team_id: str
    display_name: str


# Small pieces ---------------------------------------------------------------------------------


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``1 checklist``, ``3 checklists``."""
    return f"{count} {singular if count == 1 else plural_form or singular + 's'}"


def format_interval(interval: timedelta) -> str:
    """A positive interval in words, largest units first: ``1 day``, ``2 h 30 min``, ``45 s``."""
    seconds = int(interval.total_seconds())
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, seconds = divmod(rest, 60)
    parts = [plural(days, "day")] if days else []
    parts += [f"{hours} h"] if hours else []
    parts += [f"{minutes} min"] if minutes else []
    parts += [f"{seconds} s"] if seconds else []
    return sign + (" ".join(parts) or "0 s")


def fit_message(text: str, limit: int = MAX_MESSAGE_LENGTH) -> str:
    """``text``, or its first whole lines plus a note saying it was cut, within ``limit`` characters."""
    if len(text) <= limit:
        return text
    kept = text[: limit - len(CUT_NOTE)]
    kept = kept[: kept.rfind("\n")] if "\n" in kept else kept
    return kept + CUT_NOTE


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return " ".join(text.replace("|", "\\|").split())


def _code(text: str) -> str:
    """Inline code that survives backticks inside ``text``."""
    fence = "``" if "`" in text else "`"
    pad = " " if "`" in text else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def command_hint(trigger: str, verb: str, playbook: Playbook) -> str:
    """The command naming the playbook, as code: by title when it can be typed as is, else by id."""
    title = " ".join(playbook.title.split())
    try:
        typeable = bool(title) and shlex.split(title) == title.split() and "`" not in title
    except ValueError:  # an unbalanced quote
        typeable = False
    return f"`/{trigger} {verb} {title if typeable else playbook.id}`"


def _on_off(enabled: bool) -> str:
    return "on" if enabled else "off"


def counts(playbook: Playbook) -> str:
    """``4 checklists, 14 tasks``."""
    return f"{plural(len(playbook.checklists), 'checklist')}, {plural(playbook.item_count, 'task')}"


# The list -------------------------------------------------------------------------------------


def playbook_list(playbooks: Sequence[Playbook], *, trigger: str = "playbook", archived: bool = False) -> str:
    """The playbooks of a team the person may see, as a table; or how to add one when empty.

    ``archived``: the list asked for archived playbooks (``/playbook list archived``)."""
    if archived and not playbooks:
        return (
            f"There are no archived playbooks you can see in this team. `/{trigger} list` shows the others."
        )
    if not playbooks:
        return (
            "There are no playbooks you can use in this team yet.\n\n"
            "To add one, send me a playbook file in a direct message: a `.json` export from "
            "Mattermost Playbooks, or the same fields written as `.yaml`. I'll import it into your team."
        )
    heading = "Archived playbooks" if archived else "Playbooks"
    lines = [
        f"**{heading}** ({len(playbooks)})",
        "",
        "| Playbook | ID | Visibility | Checklists | Tasks |",
        "|:--|:--|:--|--:|--:|",
    ]
    for playbook in playbooks:
        visibility = "public" if playbook.public else "private"
        if playbook.archived:
            visibility += ", archived"
        lines.append(
            f"| {_cell(playbook.title)} | `{playbook.id}` | {visibility} "
            f"| {len(playbook.checklists)} | {playbook.item_count} |"
        )
    lines += ["", f"`/{trigger} show NAME` shows one in detail; `/{trigger} export NAME` sends it as a file."]
    if archived:
        lines.append(f"`/{trigger} restore NAME` lets one start runs again.")
    return "\n".join(lines)


def archive_changed(playbook: Playbook, *, already: bool, trigger: str = "playbook") -> str:
    """The answer to ``/playbook archive`` or ``restore``: what changed, and the way back."""
    title = f"**{_cell(playbook.title)}**"
    if playbook.archived:
        if already:
            return f"{title} is already archived. `/{trigger} restore {playbook.title}` brings it back."
        return (
            f"Archived {title}: it starts no new runs and is left out of `/{trigger} list` and the run form. "
            f"Its runs and insights stay. `/{trigger} restore {playbook.title}` brings it back."
        )
    if already:
        return f"{title} is not archived; it can start runs."
    return f"Restored {title}: it can start runs again and is listed in `/{trigger} list`."


def which_playbook(trigger: str, verb: str) -> str:
    """The answer to a playbook command (``show``, ``edit``…) sent without the playbook's name."""
    return f"Which playbook? Use `/{trigger} {verb} NAME`."


def list_usage(trigger: str) -> str:
    """How to use ``/playbook list``."""
    return f"Use `/{trigger} list`, `/{trigger} list archived` or `/{trigger} list all`."


def export_sending(playbook: Playbook, filename: str, bot_username: str) -> str:
    """The answer to ``/playbook export NAME``, before the file is sent."""
    return (
        f"I'm sending **{playbook.title}** to you as `{filename}` in our direct messages (@{bot_username})."
    )


def export_message(playbook: Playbook) -> str:
    """The direct message the exported file comes with."""
    return f"Here is **{playbook.title}**, exported as a Mattermost playbook file."


def export_failed(filename: str) -> str:
    """What to say when the exported file could not be sent."""
    return f"Sorry, I couldn't send `{filename}` to you. Please try again."


# One playbook ---------------------------------------------------------------------------------


def playbook_details(
    playbook: Playbook, *, usernames: Mapping[str, str] | None = None, trigger: str = "playbook"
) -> str:
    """A playbook at a glance: its key settings, then every checklist with numbered tasks.

    ``usernames`` maps user ids to usernames (for the default owner); unknown ids are shown as is.
    """
    names = usernames or {}
    visibility = "public" if playbook.public else "private"
    lines = [f"#### {playbook.title}"]
    if playbook.description.strip():
        lines += [playbook.description.strip()]
    archived = f" · archived {playbook.archived_at:%Y-%m-%d}" if playbook.archived_at else ""
    lines += [f"`{playbook.id}` · {visibility} · {counts(playbook)}{archived}", "", "**Settings**"]
    lines += [f"- {setting}" for setting in _settings(playbook, names)]
    for number, checklist in enumerate(playbook.checklists, start=1):
        lines += ["", f"**{number}. {checklist.title}**"]
        if not checklist.items:
            lines.append("_No tasks._")
        lines += [f"{index}. {_item(item)}" for index, item in enumerate(checklist.items, start=1)]
    if not playbook.checklists:
        lines += ["", "_This playbook has no checklists._"]
    lines += ["", f"Export it with {command_hint(trigger, 'export', playbook)}."]
    return "\n".join(lines)


def _settings(playbook: Playbook, usernames: Mapping[str, str]) -> list[str]:
    channel = playbook.channel
    if channel.mode is ChannelMode.LINK_EXISTING_CHANNEL:
        run_channel = "Run channel: an existing channel, linked to each run"
    else:
        kind = "public" if channel.create_public_channel else "private"
        run_channel = f"Run channel: a new {kind} channel for each run"
        if channel.channel_name_template:
            run_channel += f", named {_code(channel.channel_name_template)}"
    if channel.run_number_prefix:
        run_channel += f"; runs numbered {channel.run_number_prefix}-00001, …"
    owner = playbook.default_owner
    if owner.enabled and owner.user_id:
        owner_text = f"@{usernames[owner.user_id]}" if owner.user_id in usernames else owner.user_id
    else:
        owner_text = "whoever starts the run"
    updates = playbook.status_updates
    if updates.enabled and updates.reminder_timer_default_seconds:
        interval = format_interval(timedelta(seconds=updates.reminder_timer_default_seconds))
        status_text = f"on, every {interval}"
    else:
        status_text = _on_off(updates.enabled)
    retrospective = playbook.retrospective
    retro_text = _on_off(retrospective.enabled)
    if retrospective.enabled and retrospective.reminder_interval_seconds:
        interval = format_interval(timedelta(seconds=retrospective.reminder_interval_seconds))
        retro_text += f", reminder every {interval}"
    welcome = playbook.welcome_message
    return [
        run_channel,
        f"Default owner: {owner_text}",
        f"Welcome message: {_on_off(welcome.enabled and bool(welcome.message.strip()))}",
        f"Status updates: {status_text}",
        f"Retrospective: {retro_text}",
        f"Keywords: {_keywords(playbook)}",
        f"Metrics: {_metrics(playbook.metrics)}",
    ]


def _keywords(playbook: Playbook) -> str:
    keywords = playbook.keywords
    if not keywords.keywords:
        return "none"
    listed = ", ".join(_code(keyword) for keyword in keywords.keywords)
    return listed if keywords.enabled else f"{listed} (off)"


def _metrics(metrics: Sequence[Metric]) -> str:
    if not metrics:
        return "none"
    return "; ".join(_metric(metric) for metric in metrics)


def _metric(metric: Metric) -> str:
    kind = _METRIC_TYPES[metric.type]
    if metric.target is None:
        return f"{metric.title} ({kind})"
    if metric.type is MetricType.DURATION:
        target = format_interval(timedelta(milliseconds=metric.target))
    else:
        target = str(metric.target)
    return f"{metric.title} ({kind}, target {target})"


def _item(item: ChecklistItemTemplate) -> str:
    details = []
    if item.command:
        details.append(_code(item.command))
    if item.due_after is not None:
        details.append(f"due {format_interval(item.due_after)} after the start")
    if item.assignee_type.value:
        details.append(f"assigned to the run's {item.assignee_type.value}")
    title = " ".join(item.title.split())
    return f"{title} — {' · '.join(details)}" if details else title


# Imports --------------------------------------------------------------------------------------


def import_summary(
    playbook: Playbook,
    *,
    warnings: Sequence[str] = (),
    replaced: bool = False,
    team_name: str = "",
    trigger: str = "playbook",
) -> str:
    """What an import stored: title, counts, metrics and every warning."""
    verb = "Updated" if replaced else "Imported"
    where = f" in {team_name}" if team_name else ""
    metrics = _metrics(playbook.metrics)
    lines = [
        f"{verb} the playbook **{playbook.title}**{where}: {counts(playbook)}.",
        f"Metrics: {metrics}.",
    ]
    if replaced:
        lines.append(
            "It replaced the playbook of the same title; what your file doesn't mention "
            "(visibility, members, invitations, default owner, broadcast, webhooks) is unchanged."
        )
    if warnings:
        lines += ["", f"I ignored {plural(len(warnings), 'thing')} in the file:"]
        lines += [f"- {warning}" for warning in warnings]
    lines += ["", f"See it with {command_hint(trigger, 'show', playbook)}."]
    return "\n".join(lines)


def import_problems(filename: str, message: str) -> str:
    """Why a file could not be imported: ``message`` names each bad field."""
    return f"I couldn't import “{filename}”; nothing was changed.\n\n{message}"


def team_prompt(
    *,
    filename: str,
    teams: Sequence[TeamChoice],
    file_id: str,
    post_id: str,
    sender_id: str,
    signer: ContextSigner,
    url: str,
) -> dict[str, Any]:
    """The "which team?" post: one button per team, each carrying the file and the team it picks."""
    buttons = [
        button(
            f"team{index}",
            choice.display_name,
            ImportToTeam(file_id=file_id, post_id=post_id, sender_id=sender_id, team_id=choice.team_id),
            signer=signer,
            url=url,
            style="primary" if index == 0 else "default",
        )
        for index, choice in enumerate(teams)
    ]
    return {
        "message": "",
        "props": {
            "attachments": [
                {
                    "fallback": f"Which team should “{filename}” go to?",
                    "title": "Which team should this playbook go to?",
                    "text": f"You're in several teams I work in. Pick the team for “{filename}”.",
                    "actions": buttons,
                }
            ]
        },
    }
