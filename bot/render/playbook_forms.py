"""The forms that create and edit playbooks, within Mattermost's dialog limits (mattermost-wire.md §3.2).

Each section of a playbook has one form, filled with the current values. People and channels in
lists are written as names in a text box (``@alice @bob``, ``~town-square``): a dialog's picker
holds one value on the servers we support (multiselect needs Mattermost 11.0), so pickers
(``data_source: users|channels``) are used where one person or one channel is asked for. A value
longer than its element can hold is left out of the form and kept unless something is typed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from bot.callback_data import ChecklistForm, CreatePlaybookForm, PlaybookSectionForm
from bot.domain.playbook import MetricType, Playbook
from bot.domain.playbook_changes import Section
from bot.domain.playbook_rules import MAX_METRICS
from bot.domain.playbook_settings import ChannelMode
from bot.domain.retrospective import format_duration
from bot.domain.task_lines import checklist_texts, format_checklists, format_tasks

from .dialogs import TEXT_DEFAULT_MAX, TEXTAREA_MAX
from .form_elements import Element, choice, dialog, names_text, picker, span_text, switch, text, textarea
from .runs import truncate

START_BLANK = "blank"
START_STARTER = "starter:"
START_COPY = "copy:"
CHANNEL_NEW_PRIVATE = "new_private"
CHANNEL_NEW_PUBLIC = "new_public"
CHANNEL_LINK = "link"
TASKS_HELP = "One task a line: - Title  /command  @person  +15m (two spaces apart); indent a description."
CHECKLISTS_HELP = "## Checklist title, then its tasks: - Title  /command  @person  +15m (two spaces apart)."
PEOPLE_HELP = "Usernames, e.g. @alice @bob"
CHANNELS_HELP = "Channel names, e.g. ~town-square ~incidents"
SPAN_HELP = "e.g. 15m, 1h, 1d or 1d12h"
TASK_GRAMMAR = (
    "One task a line; after the title, two spaces apart and each optional: a `/command`, the "
    "assignee (`@alice`, `@owner` or `@creator`) and the due time after the run starts (`+15m`, "
    "`+2h`, `+1d`). An indented line below a task is its description.\n"
    "Example: `- Page the DBA  /page dba  @oncall  +15m`"
)
OUTLINE_INTRO = (
    "The checklists are too long for one form: here are their titles, one a line. Keep a line's "
    "number to keep its tasks; rename, reorder or delete lines, or add a title for a new checklist. "
    "Each checklist's tasks have their own form (the *Tasks of …* buttons)."
)
CHECKLISTS_INTRO = "`## Title` starts a checklist: add, rename, delete or move the blocks. " + TASK_GRAMMAR

SECTION_TITLES: dict[Section, str] = {
    Section.GENERAL: "General",
    Section.CHANNEL: "Run channel",
    Section.MESSAGES: "Welcome and summary",
    Section.PEOPLE: "Invitations and owner",
    Section.UPDATES: "Status updates",
    Section.WEBHOOKS: "Webhooks",
    Section.RETROSPECTIVE: "Retrospective",
    Section.KEYWORDS: "Keywords",
    Section.CHECKLISTS: "Checklists",
}
METRIC_TYPE_NAMES = {
    MetricType.DURATION: "Duration",
    MetricType.CURRENCY: "Currency",
    MetricType.INTEGER: "Number",
}


# Create ----------------------------------------------------------------------------------------


def create_playbook_dialog(
    starters: Sequence[tuple[str, str]], copies: Sequence[Playbook], state: str
) -> dict[str, Any]:
    """*Create a playbook*: title, description, what to start from, and who sees it.

    ``starters`` are ``(key, title)`` of the bundled starter playbooks; ``copies`` the playbooks
    the person may see."""
    options = [(START_BLANK, "A blank playbook")]
    options += [(f"{START_STARTER}{key}", f"Starter: {title}") for key, title in starters]
    options += [(f"{START_COPY}{p.id}", f"Copy of {' '.join(p.title.split())}") for p in copies]
    elements = [
        text("title", "Title", "", optional=False, max_length=TEXT_DEFAULT_MAX),
        textarea("description", "Description", ""),
        choice("start", "Start from", options, START_BLANK),
        switch("public", "Visibility", True, "Everyone on the team can see and run it"),
    ]
    return dialog(
        "Create a playbook",
        "A new playbook of this team, with you as its admin. Edit it next with `/playbook edit`.",
        state,
        CreatePlaybookForm.name,
        elements,
        submit="Create",
    )


# Sections --------------------------------------------------------------------------------------


def section_dialog(
    section: Section,
    playbook: Playbook,
    usernames: Mapping[str, str],
    channels: Mapping[str, str],
    state: str,
) -> dict[str, Any]:
    """The form of one section of ``playbook``, filled with its current values."""
    build = _BUILDERS[section]
    intro = f"**{truncate(' '.join(playbook.title.split()), 200)}** — {SECTION_TITLES[section].lower()}."
    if section is Section.CHECKLISTS:
        intro += "\n\n" + (CHECKLISTS_INTRO if checklists_fit(playbook, usernames) else OUTLINE_INTRO)
    return dialog(
        SECTION_TITLES[section], intro, state, PlaybookSectionForm.name, build(playbook, usernames, channels)
    )


def checklists_fit(playbook: Playbook, usernames: Mapping[str, str]) -> bool:
    """Whether all checklists fit in one text box (otherwise each is edited on its own)."""
    return len(checklists_text(playbook, usernames)) <= TEXTAREA_MAX


def checklists_text(playbook: Playbook, usernames: Mapping[str, str]) -> str:
    """All checklists as the checklists form writes them."""
    return format_checklists(checklist_texts(playbook.checklists, usernames))


def checklist_dialog(
    playbook: Playbook, index: int, usernames: Mapping[str, str], state: str
) -> dict[str, Any]:
    """The form of one checklist: its title and its tasks."""
    checklist = checklist_texts(playbook.checklists[index : index + 1], usernames)[0]
    elements = [
        text("title", "Title", checklist.title, optional=False, max_length=1024),
        textarea("tasks", "Tasks", format_tasks(checklist.tasks), help_text=TASKS_HELP),
    ]
    intro = f"**{truncate(checklist.title, 200)}**\n\n{TASK_GRAMMAR}"
    return dialog(f"Checklist {index + 1}", intro, state, ChecklistForm.name, elements)


def _general(playbook: Playbook, usernames: Mapping[str, str], channels: Mapping[str, str]) -> list[Element]:
    members = [m for m in playbook.member_ids if m not in playbook.admin_ids]
    return [
        text("title", "Title", playbook.title, optional=False, max_length=1024),
        textarea("description", "Description", playbook.description),
        switch("public", "Visibility", playbook.public, "Everyone on the team can see and run it"),
        textarea(
            "admins",
            "Admins",
            names_text(playbook.admin_ids, usernames, "@"),
            optional=False,
            help_text=PEOPLE_HELP + "; admins may edit it",
        ),
        textarea(
            "members",
            "Members",
            names_text(members, usernames, "@"),
            help_text=PEOPLE_HELP + "; members see a private playbook",
        ),
    ]


def _channel(playbook: Playbook, usernames: Mapping[str, str], channels: Mapping[str, str]) -> list[Element]:
    settings = playbook.channel
    if settings.mode is ChannelMode.LINK_EXISTING_CHANNEL:
        mode = CHANNEL_LINK
    else:
        mode = CHANNEL_NEW_PUBLIC if settings.create_public_channel else CHANNEL_NEW_PRIVATE
    options = [
        (CHANNEL_NEW_PRIVATE, "A new private channel for each run"),
        (CHANNEL_NEW_PUBLIC, "A new public channel for each run"),
        (CHANNEL_LINK, "The channel chosen below, for every run"),
    ]
    return [
        choice("mode", "Run channel", options, mode, radio=True),
        text(
            "name_template",
            "Channel name",
            settings.channel_name_template,
            max_length=1024,
            help_text="e.g. Incident: <name>; empty uses the run's name",
        ),
        text(
            "prefix",
            "Run number prefix",
            settings.run_number_prefix,
            max_length=32,
            help_text="e.g. INC: channels are named inc-00042-…",
        ),
        picker(
            "channel",
            "Linked channel",
            "channels",
            settings.channel_id,
            help_text="Used when runs use one channel",
        ),
        switch(
            "sync_add",
            "Participants",
            playbook.create_channel_member_on_new_participant,
            "Add new participants of the run to its channel",
        ),
        switch(
            "sync_remove",
            "Leavers",
            playbook.remove_channel_member_on_removed_participant,
            "Remove people who leave the run from its channel",
        ),
        text(
            "category",
            "Sidebar category",
            playbook.category.name if playbook.category.enabled else "",
            max_length=22,
            help_text="Put the run channel in this sidebar category; empty for none",
        ),
    ]


def _messages(playbook: Playbook, usernames: Mapping[str, str], channels: Mapping[str, str]) -> list[Element]:
    return [
        switch(
            "welcome_on",
            "Welcome message",
            playbook.welcome_message.enabled,
            "Welcome people who join the run",
        ),
        textarea("welcome", "Welcome text", playbook.welcome_message.message),
        switch("summary_on", "Run summary", playbook.run_summary.enabled, "Start each run with this summary"),
        textarea("summary", "Summary template", playbook.run_summary.template),
    ]


def _people(playbook: Playbook, usernames: Mapping[str, str], channels: Mapping[str, str]) -> list[Element]:
    return [
        switch("invite_on", "Invitations", playbook.invites.enabled, "Add these people to each run"),
        textarea(
            "invited",
            "Invited people",
            names_text(playbook.invites.user_ids, usernames, "@"),
            help_text=PEOPLE_HELP,
        ),
        switch(
            "owner_on",
            "Default owner",
            playbook.default_owner.enabled,
            "Make this person the owner of each run",
        ),
        picker("owner", "Owner", "users", playbook.default_owner.user_id),
    ]


def _updates(playbook: Playbook, usernames: Mapping[str, str], channels: Mapping[str, str]) -> list[Element]:
    updates = playbook.status_updates
    return [
        switch("updates_on", "Status updates", updates.enabled, "Remind the owner to post updates"),
        text(
            "interval", "Update every", span_text(updates.reminder_timer_default_seconds), help_text=SPAN_HELP
        ),
        textarea("template", "Update template", updates.reminder_message_template),
        switch("broadcast_on", "Broadcast", updates.broadcast_enabled, "Also post updates in these channels"),
        textarea(
            "broadcast",
            "Broadcast channels",
            names_text(updates.broadcast_channel_ids, channels, "~"),
            help_text=CHANNELS_HELP,
        ),
    ]


def _webhooks(playbook: Playbook, usernames: Mapping[str, str], channels: Mapping[str, str]) -> list[Element]:
    updates = playbook.status_updates.webhooks
    return [
        switch(
            "creation_on",
            "On run start",
            playbook.creation_webhooks.enabled,
            "Send each new run to these URLs",
        ),
        textarea(
            "creation",
            "Run start URLs",
            "\n".join(playbook.creation_webhooks.urls),
            help_text="One http(s) URL a line",
        ),
        switch("update_on", "On status update", updates.enabled, "Send each status update to these URLs"),
        textarea("update", "Update URLs", "\n".join(updates.urls), help_text="One http(s) URL a line"),
    ]


def _retrospective(
    playbook: Playbook, usernames: Mapping[str, str], channels: Mapping[str, str]
) -> list[Element]:
    retro = playbook.retrospective
    elements = [
        switch("retro_on", "Retrospective", retro.enabled, "Ask for a retrospective when a run finishes"),
        text(
            "interval",
            "Remind every",
            span_text(retro.reminder_interval_seconds),
            help_text=SPAN_HELP + "; empty reminds once",
        ),
        textarea("template", "Template", retro.template),
    ]
    types = [(kind.value, shown) for kind, shown in METRIC_TYPE_NAMES.items()]
    for index in range(MAX_METRICS):
        metric = playbook.metrics[index] if index < len(playbook.metrics) else None
        number = index + 1
        target = (
            "" if metric is None or metric.target is None else metric_target_text(metric.type, metric.target)
        )
        elements += [
            text(
                f"metric{number}",
                f"Metric {number}",
                metric.title if metric else "",
                max_length=512,
                help_text="Empty removes it" if metric else "",
            ),
            choice(
                f"metric{number}_type",
                f"Metric {number} type",
                types,
                (metric.type if metric else MetricType.DURATION).value,
            ),
            text(
                f"metric{number}_target",
                f"Metric {number} target",
                target,
                help_text="Optional; durations like 1h30m",
            ),
        ]
    return elements


def metric_target_text(kind: MetricType, target: int) -> str:
    """A metric's target as its form shows it: durations (stored in ms) as ``1h30m``."""
    if kind is MetricType.DURATION:
        return format_duration(target)
    return str(target)


def _keywords(playbook: Playbook, usernames: Mapping[str, str], channels: Mapping[str, str]) -> list[Element]:
    return [
        switch("keywords_on", "Keywords", playbook.keywords.enabled, "Suggest a run when a message has one"),
        textarea(
            "keywords",
            "Keywords",
            "\n".join(playbook.keywords.keywords),
            help_text="One keyword or phrase a line",
        ),
    ]


def _checklists(
    playbook: Playbook, usernames: Mapping[str, str], channels: Mapping[str, str]
) -> list[Element]:
    if checklists_fit(playbook, usernames):
        return [
            textarea(
                "checklists", "Checklists", checklists_text(playbook, usernames), help_text=CHECKLISTS_HELP
            )
        ]
    # Too long for one box: the order and titles here, each checklist's tasks in its own form.
    lines = "\n".join(
        f"{index}. {' '.join(c.title.split())}" for index, c in enumerate(playbook.checklists, 1)
    )
    return [
        textarea(
            "outline",
            "Checklists",
            lines,
            help_text="One title a line: keep a number to keep its tasks; reorder, delete or add lines",
        )
    ]


_BUILDERS: dict[Section, Callable[[Playbook, Mapping[str, str], Mapping[str, str]], list[Element]]] = {
    Section.GENERAL: _general,
    Section.CHANNEL: _channel,
    Section.MESSAGES: _messages,
    Section.PEOPLE: _people,
    Section.UPDATES: _updates,
    Section.WEBHOOKS: _webhooks,
    Section.RETROSPECTIVE: _retrospective,
    Section.KEYWORDS: _keywords,
    Section.CHECKLISTS: _checklists,
}
