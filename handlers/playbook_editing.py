"""Creating and editing playbooks from chat: ``/playbook create``, ``/playbook edit NAME`` and their forms.

``/playbook edit`` answers with the playbook's sections, each with a button that opens its form
filled with the current values; a submission is checked field by field and saved with a record of
who changed what (``/playbook show`` lists the recent changes).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from bot.callback_data import (
    ChecklistForm,
    CreatePlaybookForm,
    EditChecklist,
    EditPlaybookSection,
    PlaybookSectionForm,
)
from bot.domain.errors import DomainError, FormFieldsError
from bot.domain.playbook import Playbook
from bot.domain.playbook_changes import Section
from bot.mattermost.errors import MattermostError
from bot.render.buttons import dialog_state
from bot.render.playbook_editing import edit_overview
from bot.render.playbook_forms import (
    checklist_dialog,
    checklists_fit,
    create_playbook_dialog,
    section_dialog,
)
from bot.services import playbook_editing as editing
from bot.services.context import Services
from bot.services.playbook_forms import read_checklist, read_section
from bot.services.playbooks import find_playbook, visible_playbooks

from .callbacks import ActionRequest, ActionResult, DialogRequest, DialogResult
from .registry import Routers
from .replies import SILENT, Reply
from .slash import CommandCall

log = logging.getLogger(__name__)

GROUP = "Playbooks"
NO_DIALOG = "I couldn't open the form. Please try again."


def register(routers: Routers) -> None:
    """Add ``create``, ``edit``, their buttons and their forms."""
    commands = routers.commands
    commands.command(
        "create", "", "create a playbook: blank, from a starter, or a copy (a form opens)", group=GROUP
    )(create_command)
    commands.command(
        "edit", "NAME", "change a playbook's settings and checklists, section by section", group=GROUP
    )(edit_command)
    routers.actions.action(EditPlaybookSection)(open_section)
    routers.actions.action(EditChecklist)(open_checklist)
    routers.dialogs.dialog(CreatePlaybookForm)(submit_create)
    routers.dialogs.dialog(PlaybookSectionForm)(submit_section)
    routers.dialogs.dialog(ChecklistForm)(submit_checklist)


# /playbook create ---------------------------------------------------------------------------------


async def create_command(call: CommandCall) -> Reply:
    """``/playbook create``: open the form."""
    services: Services = call.services
    copies = await visible_playbooks(services, call.user_id, [call.team_id])
    starters = [(starter.key, starter.title) for starter in editing.starters()]
    state = dialog_state(CreatePlaybookForm(team_id=call.team_id), services.signer)
    try:
        await services.gateway.open_dialog(
            call.request.trigger_id, services.dialog_url, create_playbook_dialog(starters, copies, state)
        )
    except MattermostError as error:
        log.warning("could not open the create dialog: %s", error)
        return Reply(NO_DIALOG)
    return SILENT


async def submit_create(sub: DialogRequest, form: CreatePlaybookForm, services: Services) -> DialogResult:
    """The create form: build the draft from what it starts from, store it, and tell how to edit it."""
    title = sub.text("title")
    if not title:
        raise FormFieldsError({"title": "Give the playbook a title."})
    draft = await editing.draft_from(services, sub.user_id, form.team_id, sub.text("start"), title)
    description = sub.text("description") or draft.description
    public = sub.submission.get("public") in (True, "true")
    draft = replace(draft, title=title, description=description, public=public)
    created = await editing.create_playbook(services, sub.user_id, form.team_id, draft)
    work = _tell_created(services, sub.user_id, created)
    if services.background is not None:
        services.background.spawn(work, name="playbook-created")
    else:
        await work
    return DialogResult()


async def _tell_created(services: Services, user_id: str, playbook: Playbook) -> None:
    trigger = services.command_trigger
    post = _overview(services, playbook, {})
    message = (
        f"I created **{playbook.title}**, with you as its admin. Change it with the buttons below "
        f'or `/{trigger} edit "{playbook.title}"`, and start a run with `/{trigger} run "{playbook.title}"`.'
        f"\n\n{post['message']}"
    )
    try:
        direct = await services.gateway.direct_channel(user_id)
        await services.gateway.create_post(direct.id, message, props=post["props"])
    except MattermostError:
        log.exception("could not tell %s about the new playbook %s", user_id, playbook.id)


# /playbook edit -----------------------------------------------------------------------------------


async def edit_command(call: CommandCall) -> Reply:
    """``/playbook edit NAME``: the sections, each with a button to its form."""
    services: Services = call.services
    if not call.args:
        return Reply(f"Which playbook? Use `/{services.command_trigger} edit NAME`.")
    try:
        playbook = await find_playbook(services, call.user_id, call.team_id, call.rest)
        await editing.require_editor(services, playbook, call.user_id)
    except DomainError as error:
        return Reply(error.message)
    usernames = await services.people.usernames(_people(playbook))
    post = _overview(services, playbook, usernames)
    return Reply(post["message"], attachments=post["props"]["attachments"])


def _overview(services: Services, playbook: Playbook, usernames: Mapping[str, str]) -> dict[str, Any]:
    return edit_overview(
        playbook,
        checklists_fit=checklists_fit(playbook, usernames),
        signer=services.signer,
        url=services.action_url,
        trigger=services.command_trigger,
    )


def _people(playbook: Playbook) -> Iterable[str]:
    yield from playbook.member_ids
    yield from playbook.invites.user_ids
    if playbook.default_owner.user_id:
        yield playbook.default_owner.user_id
    for checklist in playbook.checklists:
        yield from (item.assignee_id for item in checklist.items if item.assignee_id)


async def _channel_names(services: Services, channel_ids: Iterable[str]) -> dict[str, str]:
    names: dict[str, str] = {}
    for channel_id in channel_ids:
        try:
            names[channel_id] = (await services.gateway.channel(channel_id)).name
        except MattermostError:
            continue  # shown as its id; the form asks for a name the person can fix
    return names


async def open_section(click: ActionRequest, data: EditPlaybookSection, services: Services) -> ActionResult:
    """A section's button: open its form, filled with the current values."""
    playbook = await editing.editable_playbook(services, click.user_id, data.playbook_id)
    usernames = await services.people.usernames(_people(playbook))
    channels = await _channel_names(services, playbook.status_updates.broadcast_channel_ids)
    state = dialog_state(PlaybookSectionForm(playbook.id, data.section), services.signer)
    return await _open(
        services, click.trigger_id, section_dialog(data.section, playbook, usernames, channels, state)
    )


async def open_checklist(click: ActionRequest, data: EditChecklist, services: Services) -> ActionResult:
    """*Tasks of …*: open one checklist's form."""
    playbook = await editing.editable_playbook(services, click.user_id, data.playbook_id)
    if data.index >= len(playbook.checklists):
        return ActionResult(ephemeral_text="This checklist no longer exists; use `/playbook edit` again.")
    usernames = await services.people.usernames(_people(playbook))
    state = dialog_state(ChecklistForm(playbook.id, data.index), services.signer)
    return await _open(services, click.trigger_id, checklist_dialog(playbook, data.index, usernames, state))


async def _open(services: Services, trigger_id: str, dialog: Mapping[str, Any]) -> ActionResult:
    try:
        await services.gateway.open_dialog(trigger_id, services.dialog_url, dialog)
    except MattermostError as error:
        log.warning("could not open a playbook form: %s", error)
        return ActionResult(ephemeral_text=NO_DIALOG)
    return ActionResult()


async def submit_section(sub: DialogRequest, form: PlaybookSectionForm, services: Services) -> DialogResult:
    """A section's form: check every field, then save what changed."""
    playbook = await editing.editable_playbook(services, sub.user_id, form.playbook_id)
    edited = await read_section(services, form.section, playbook, sub.submission, sub.user_id)
    await editing.save_edit(services, sub.user_id, playbook, edited, form.section)
    return DialogResult()


async def submit_checklist(sub: DialogRequest, form: ChecklistForm, services: Services) -> DialogResult:
    """One checklist's form: its title and tasks."""
    playbook = await editing.editable_playbook(services, sub.user_id, form.playbook_id)
    edited = await read_checklist(services, playbook, form.index, sub.submission, sub.user_id)
    await editing.save_edit(services, sub.user_id, playbook, edited, Section.CHECKLISTS)
    return DialogResult()
