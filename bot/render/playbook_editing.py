"""``/playbook edit``: the playbook's sections with a button each, and the history of its edits."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.callback_data import EditChecklist, EditPlaybookSection
from bot.domain.playbook import Playbook
from bot.domain.playbook_changes import PlaybookChange, Section
from bot.domain.playbook_settings import ChannelMode
from bot.domain.schedules import RunSchedule
from bot.security import ContextSigner

from .buttons import button
from .playbook_forms import SECTION_TITLES
from .playbooks import fit_message, playbook_details, plural
from .runs import truncate
from .schedules import playbook_schedules

MAX_SHOWN_FIELDS = 6
# Changes made to the playbook as a whole rather than through one section's form.
WHOLE_PLAYBOOK_CHANGES = {
    Section.CREATED: "created it",
    Section.IMPORTED: "imported it from a file",
    Section.ARCHIVED: "archived it",
    Section.RESTORED: "restored it",
}


def _on(enabled: bool) -> str:
    return "on" if enabled else "off"


def section_summaries(playbook: Playbook) -> dict[Section, str]:
    """One line per section: what is set now."""
    channel = playbook.channel
    if channel.mode is ChannelMode.LINK_EXISTING_CHANNEL:
        where = "one linked channel"
    else:
        where = f"a new {'public' if channel.create_public_channel else 'private'} channel per run"
    updates = playbook.status_updates
    hooks = updates.webhooks
    return {
        Section.GENERAL: f"{'public' if playbook.public else 'private'}, "
        f"{plural(len(playbook.admin_ids), 'admin')}, {plural(len(playbook.member_ids), 'member')}",
        Section.CHANNEL: where,
        Section.MESSAGES: f"welcome message {_on(playbook.welcome_message.enabled)}, "
        f"summary template {_on(playbook.run_summary.enabled)}",
        Section.PEOPLE: f"invitations {_on(playbook.invites.enabled)} "
        f"({plural(len(playbook.invites.user_ids), 'person', 'people')}), "
        f"default owner {_on(playbook.default_owner.enabled)}",
        Section.UPDATES: f"{_on(updates.enabled)}, broadcast {_on(updates.broadcast_enabled)} "
        f"to {plural(len(updates.broadcast_channel_ids), 'channel')}",
        Section.WEBHOOKS: f"run start {_on(playbook.creation_webhooks.enabled)} "
        f"({plural(len(playbook.creation_webhooks.urls), 'URL')}), "
        f"status update {_on(hooks.enabled)} ({plural(len(hooks.urls), 'URL')})",
        Section.RETROSPECTIVE: f"{_on(playbook.retrospective.enabled)}, "
        f"{plural(len(playbook.metrics), 'metric')}",
        Section.KEYWORDS: f"{_on(playbook.keywords.enabled)}, "
        f"{plural(len(playbook.keywords.keywords), 'keyword')}",
        Section.CHECKLISTS: f"{plural(len(playbook.checklists), 'checklist')}, "
        f"{plural(playbook.item_count, 'task')}",
    }


def edit_overview(
    playbook: Playbook, *, checklists_fit: bool, signer: ContextSigner, url: str, trigger: str = "playbook"
) -> dict[str, Any]:
    """The sections of ``playbook`` as a ``message`` with a button per section (``props``).

    When the checklists are too long for one form, each checklist gets its own button too."""
    summaries = section_summaries(playbook)
    lines = [f"#### Edit {truncate(' '.join(playbook.title.split()), 200)}"]
    lines += [f"- **{SECTION_TITLES[section]}**: {summary}" for section, summary in summaries.items()]
    lines += [
        "",
        f"Each button opens a form with the current values. `/{trigger} show` lists the recent changes.",
    ]
    actions = [
        button(
            section.value,
            f"Edit {SECTION_TITLES[section].lower()}",
            EditPlaybookSection(playbook.id, section),
            signer=signer,
            url=url,
        )
        for section in summaries
    ]
    if not checklists_fit:
        lines.append(
            "The checklists are too long for one form: the *Checklists* form orders and names them, "
            "and each has its own form for its tasks."
        )
        actions += [
            button(
                f"checklist{index}",
                f"Tasks of {truncate(checklist.title, 40)}",
                EditChecklist(playbook.id, index),
                signer=signer,
                url=url,
            )
            for index, checklist in enumerate(playbook.checklists)
        ]
    return {
        "message": "\n".join(lines),
        "props": {"attachments": [{"fallback": "Edit playbook", "actions": actions}]},
    }


def playbook_created(playbook: Playbook, overview: str, *, trigger: str = "playbook") -> str:
    """The direct message about a playbook just created: how to change it and start a run, then
    its sections (``overview``, the message of :func:`edit_overview`)."""
    return (
        f"I created **{playbook.title}**, with you as its admin. Change it with the buttons below "
        f'or `/{trigger} edit "{playbook.title}"`, and start a run with `/{trigger} run "{playbook.title}"`.'
        f"\n\n{overview}"
    )


def change_history(changes: Sequence[PlaybookChange], usernames: Mapping[str, str]) -> str:
    """Recent edits, newest first: ``- 2026-12-06 02:14 UTC @alice: status updates (template)``."""
    if not changes:
        return ""
    lines = ["**Recent changes**"]
    for change in changes:
        who = f"@{usernames[change.user_id]}" if change.user_id in usernames else "someone"
        when = change.at.strftime("%Y-%m-%d %H:%M UTC")
        whole = WHOLE_PLAYBOOK_CHANGES.get(change.section)
        if whole is not None and not change.fields:
            lines.append(f"- {when} {who}: {whole}")
            continue
        shown = ", ".join(change.fields[:MAX_SHOWN_FIELDS]) + (
            " …" if len(change.fields) > MAX_SHOWN_FIELDS else ""
        )
        what = whole if whole is not None else SECTION_TITLES[change.section].lower()
        lines.append(f"- {when} {who}: {what} ({shown})")
    return "\n".join(lines)


def playbook_page(
    playbook: Playbook,
    schedules: Sequence[RunSchedule],
    changes: Sequence[PlaybookChange],
    usernames: Mapping[str, str],
    *,
    trigger: str = "playbook",
) -> str:
    """``/playbook show NAME``: the playbook's settings and checklists, its run schedules and its
    recent changes (when it has any), within one post."""
    details = playbook_details(playbook, usernames=usernames, trigger=trigger)
    history = change_history(changes, usernames)
    text = f"{details}\n\n{playbook_schedules(schedules, usernames, trigger)}"
    return fit_message(f"{text}\n\n{history}" if history else text)
