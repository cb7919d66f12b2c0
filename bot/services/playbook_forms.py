"""Reading the edit forms of a playbook: a submission becomes the edited playbook, or field errors.

Each section has a reader; :class:`~bot.services.form_values.Form` reads the typed values, looks
names up and collects every problem, raised at once as a
:class:`~bot.domain.errors.FormFieldsError` naming its field.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from bot.domain.errors import DomainError, FormFieldsError
from bot.domain.playbook import ChecklistTemplate, Metric, MetricType, Playbook
from bot.domain.playbook_changes import Section
from bot.domain.playbook_rules import MAX_METRICS
from bot.domain.playbook_settings import ChannelMode
from bot.domain.retrospective import MetricValueError, parse_duration
from bot.domain.task_lines import (
    ChecklistText,
    TaskLineError,
    assignees,
    checklist_templates,
    checklist_texts,
    format_tasks,
    parse_checklists,
    parse_tasks,
)
from bot.render.dialogs import TEXT_DEFAULT_MAX, TEXTAREA_MAX
from bot.render.playbook_forms import CHANNEL_LINK, CHANNEL_NEW_PUBLIC
from bot.services.form_values import Form

if TYPE_CHECKING:
    from bot.services.context import Services

_OUTLINE = re.compile(r"^(\d+)[.)]\s*(.*)$")


async def _general(form: Form, playbook: Playbook) -> Playbook:
    admins = await form.people("admins", playbook.admin_ids)
    members = await form.people("members", playbook.member_ids)
    if not admins and "admins" not in form.errors:
        form.errors["admins"] = "A playbook needs at least one admin."
    edited = replace(
        playbook,
        title=form.text("title", playbook.title, TEXT_DEFAULT_MAX),
        description=form.text("description", playbook.description, TEXTAREA_MAX),
        public=form.flag("public"),
        admin_ids=admins,
        member_ids=tuple(dict.fromkeys(admins + members)),
    )
    return form.done(edited, {"title": "title", "description": "description", "admin": "admins"})


async def _channel(form: Form, playbook: Playbook) -> Playbook:
    mode = form.text("mode")
    channel_id = await form.channel("channel")
    if mode == CHANNEL_LINK and not channel_id and "channel" not in form.errors:
        form.errors["channel"] = "Choose the channel every run uses."
    settings = replace(
        playbook.channel,
        mode=ChannelMode.LINK_EXISTING_CHANNEL if mode == CHANNEL_LINK else ChannelMode.CREATE_NEW_CHANNEL,
        create_public_channel=mode == CHANNEL_NEW_PUBLIC,
        channel_id=channel_id,
        channel_name_template=form.text(
            "name_template", playbook.channel.channel_name_template, TEXT_DEFAULT_MAX
        ),
        run_number_prefix=form.text("prefix"),
        new_channel_only=playbook.channel.new_channel_only and mode != CHANNEL_LINK,
    )
    fields = {
        "channel_name_template": "name_template",
        "run_number_prefix": "prefix",
        "channel_id": "channel",
        "category_name": "category",
    }
    category = form.text("category")
    edited = replace(
        playbook,
        channel=settings,
        create_channel_member_on_new_participant=form.flag("sync_add"),
        remove_channel_member_on_removed_participant=form.flag("sync_remove"),
        category=replace(playbook.category, enabled=bool(category), name=category or playbook.category.name),
    )
    return form.done(edited, fields)


async def _messages(form: Form, playbook: Playbook) -> Playbook:
    welcome = replace(
        playbook.welcome_message,
        enabled=form.flag("welcome_on"),
        message=form.text("welcome", playbook.welcome_message.message, TEXTAREA_MAX),
    )
    summary = replace(
        playbook.run_summary,
        enabled=form.flag("summary_on"),
        template=form.text("summary", playbook.run_summary.template, TEXTAREA_MAX),
    )
    edited = replace(playbook, welcome_message=welcome, run_summary=summary)
    return form.done(edited, {"message_on_join": "welcome", "run_summary": "summary"})


async def _people(form: Form, playbook: Playbook) -> Playbook:
    invited = await form.people("invited", playbook.invites.user_ids)
    owner = await form.user("owner")
    owner_on = form.flag("owner_on")
    if owner_on and not owner and "owner" not in form.errors:
        form.errors["owner"] = "Choose the owner, or untick the default owner."
    edited = replace(
        playbook,
        invites=replace(playbook.invites, enabled=form.flag("invite_on"), user_ids=invited),
        default_owner=replace(playbook.default_owner, enabled=owner_on, user_id=owner),
    )
    return form.done(edited, {"invited": "invited", "default_owner": "owner"})


async def _updates(form: Form, playbook: Playbook) -> Playbook:
    channels = await form.channels("broadcast", playbook.status_updates.broadcast_channel_ids)
    broadcast_on = form.flag("broadcast_on")
    if broadcast_on and not channels and "broadcast" not in form.errors:
        form.errors["broadcast"] = "Name at least one channel, or untick the broadcast."
    updates = replace(
        playbook.status_updates,
        enabled=form.flag("updates_on"),
        reminder_timer_default_seconds=form.span("interval"),
        reminder_message_template=form.text(
            "template", playbook.status_updates.reminder_message_template, 3000
        ),
        broadcast_enabled=broadcast_on,
        broadcast_channel_ids=channels,
    )
    fields = {"reminder_timer": "interval", "reminder_message": "template", "broadcast": "broadcast"}
    return form.done(replace(playbook, status_updates=updates), fields)


async def _webhooks(form: Form, playbook: Playbook) -> Playbook:
    creation = replace(
        playbook.creation_webhooks, enabled=form.flag("creation_on"), urls=await form.urls("creation")
    )
    update_hooks = replace(
        playbook.status_updates.webhooks, enabled=form.flag("update_on"), urls=await form.urls("update")
    )
    for switch, box, hooks in (("creation_on", "creation", creation), ("update_on", "update", update_hooks)):
        if form.flag(switch) and not hooks.urls and box not in form.errors:
            form.errors[box] = "Add a URL, or untick the switch."
    edited = replace(
        playbook,
        creation_webhooks=creation,
        status_updates=replace(playbook.status_updates, webhooks=update_hooks),
    )
    return form.done(edited, {"webhook_on_creation": "creation", "webhook_on_status": "update"})


async def _retrospective(form: Form, playbook: Playbook) -> Playbook:
    retro = replace(
        playbook.retrospective,
        enabled=form.flag("retro_on"),
        reminder_interval_seconds=form.span("interval"),
        template=form.text("template", playbook.retrospective.template, TEXTAREA_MAX),
    )
    old = {metric.title: metric for metric in playbook.metrics}
    metrics: list[Metric] = []
    for number in range(1, MAX_METRICS + 1):
        title = form.text(f"metric{number}")
        if not title:
            continue
        try:
            kind = MetricType(form.text(f"metric{number}_type") or MetricType.DURATION.value)
        except ValueError:
            kind = MetricType.DURATION
        target = _target(form, f"metric{number}_target", kind)
        description = old[title].description if title in old else ""
        metrics.append(Metric(title, description, kind, target))
    edited = replace(playbook, retrospective=retro, metrics=tuple(metrics))
    fields = {f"metrics[{index}]": f"metric{index + 1}" for index in range(MAX_METRICS)}
    return form.done(
        edited, {"retrospective_reminder": "interval", "retrospective_template": "template", **fields}
    )


def _target(form: Form, name: str, kind: MetricType) -> int | None:
    typed = form.text(name)
    if not typed:
        return None
    if kind is MetricType.DURATION:
        try:
            return parse_duration(typed)
        except MetricValueError as error:
            form.errors[name] = error.message
            return None
    try:
        target = int(typed.replace(",", ""))
    except ValueError:
        target = -1
    if target < 0:
        form.errors[name] = "Write a whole number, zero or more."
        return None
    return target


async def _keywords(form: Form, playbook: Playbook) -> Playbook:
    words = tuple(dict.fromkeys(line.strip() for line in form.text("keywords").splitlines() if line.strip()))
    if form.flag("keywords_on") and not words:
        form.errors["keywords"] = "Add a keyword, or untick the switch."
    edited = replace(
        playbook, keywords=replace(playbook.keywords, enabled=form.flag("keywords_on"), keywords=words)
    )
    return form.done(edited, {"signal_any_keywords": "keywords"})


async def _checklists(form: Form, playbook: Playbook) -> Playbook:
    if "outline" in form.values:
        return form.done(replace(playbook, checklists=_outline(form, playbook)), {"checklists": "outline"})
    try:
        texts = parse_checklists(form.text("checklists"))
    except TaskLineError as error:
        raise FormFieldsError({"checklists": error.message}) from error
    checklists = await checklists_of(form, "checklists", texts)
    return form.done(replace(playbook, checklists=checklists), {"checklists": "checklists"})


def _outline(form: Form, playbook: Playbook) -> tuple[ChecklistTemplate, ...]:
    result: list[ChecklistTemplate] = []
    for line in form.text("outline").splitlines():
        if not line.strip():
            continue
        numbered = _OUTLINE.match(line.strip())
        if numbered and 1 <= int(numbered[1]) <= len(playbook.checklists):
            existing = playbook.checklists[int(numbered[1]) - 1]
            result.append(replace(existing, title=numbered[2].strip() or existing.title))
        else:
            result.append(ChecklistTemplate(line.strip().lstrip("#").strip()))
    return tuple(result)


async def checklists_of(
    form: Form, name: str, texts: tuple[ChecklistText, ...]
) -> tuple[ChecklistTemplate, ...]:
    """Checklists from text, their assignees looked up by username (each must be on the team)."""
    user_ids: dict[str, str] = {}
    for username in sorted(assignees(texts)):
        user = await form.services.people.by_username(username)
        if user is None or not await form.services.people.is_team_member(form.playbook.team_id, user.id):
            form.errors[name] = f"I don't know @{username} on this team."
        else:
            user_ids[username] = user.id
    return checklist_templates(texts, user_ids)


async def read_checklist(
    services: Services, playbook: Playbook, index: int, values: Mapping[str, Any], user_id: str
) -> Playbook:
    """The one-checklist form: its title and tasks replace checklist ``index``."""
    form = Form(services, playbook, values, user_id)
    if index >= len(playbook.checklists):
        raise FormFieldsError({"title": "This checklist no longer exists; open the edit overview again."})
    current = playbook.checklists[index]
    shown = format_tasks(checklist_texts((current,), await _usernames(services, current))[0].tasks)
    typed = form.text("tasks", shown, TEXTAREA_MAX)
    title = form.text("title", current.title, TEXT_DEFAULT_MAX)
    if typed == shown and len(shown) > TEXTAREA_MAX:  # too long to show: kept as it is
        checklist = replace(current, title=title)
    else:
        try:
            tasks = parse_tasks(typed)
        except TaskLineError as error:
            raise FormFieldsError({"tasks": error.message}) from error
        (checklist,) = await checklists_of(form, "tasks", (ChecklistText(title, tasks),))
    checklists = (*playbook.checklists[:index], checklist, *playbook.checklists[index + 1 :])
    return form.done(
        replace(playbook, checklists=checklists),
        {f"checklists[{index}].title": "title", "checklists": "tasks"},
    )


async def _usernames(services: Services, checklist: ChecklistTemplate) -> dict[str, str]:
    return await services.people.usernames(item.assignee_id for item in checklist.items if item.assignee_id)


READERS: dict[Section, Callable[[Form, Playbook], Awaitable[Playbook]]] = {
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


async def read_section(
    services: Services, section: Section, playbook: Playbook, values: Mapping[str, Any], user_id: str
) -> Playbook:
    """The playbook as the section's submitted form leaves it; :class:`FormFieldsError` otherwise."""
    reader = READERS.get(section)
    if reader is None:
        raise DomainError("This form is out of date; open `/playbook edit` again.")
    return await reader(Form(services, playbook, values, user_id), playbook)
