"""Creating and editing playbooks from chat: ``/playbook create``, ``/playbook edit NAME`` and their forms.

``/playbook edit`` answers with the playbook's sections, each with a button that opens its form
filled with the current values; a submission is checked field by field and saved with a record of
who changed what (``/playbook show`` lists the recent changes).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.callback_data import (
    ChecklistForm,
    CreatePlaybookForm,
    EditChecklist,
    EditPlaybookSection,
    PlaybookSectionForm,
)
from bot.domain.errors import DomainError
from bot.domain.playbook_changes import Section
from bot.render.buttons import dialog_state
from bot.render.playbook_forms import checklist_dialog, create_playbook_dialog, section_dialog
from bot.render.playbooks import which_playbook
from bot.services import playbook_editing as editing
from bot.services.context import Services
from bot.services.playbook_forms import read_checklist, read_section
from bot.services.playbooks import find_playbook, visible_playbooks
from bot.services.run_refresh import spawn

from .callbacks import ActionRequest, ActionResult, DialogRequest, DialogResult
from .forms import open_dialog
from .registry import Routers
from .replies import SILENT, Reply
from .slash import CommandCall

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
    dialog = create_playbook_dialog(starters, copies, state)
    opened = await open_dialog(services, call.request.trigger_id, dialog, what="create playbook")
    return SILENT if opened else Reply(NO_DIALOG)


async def submit_create(sub: DialogRequest, form: CreatePlaybookForm, services: Services) -> DialogResult:
    """The create form: store the playbook, then tell the person how to edit it."""
    created = await editing.create_from_form(
        services,
        sub.user_id,
        form.team_id,
        start=sub.text("start"),
        title=sub.text("title"),
        description=sub.text("description"),
        public=sub.submission.get("public") in (True, "true"),
    )
    spawn(services, editing.tell_created(services, sub.user_id, created), "playbook-created")
    return DialogResult()


# /playbook edit -----------------------------------------------------------------------------------


async def edit_command(call: CommandCall) -> Reply:
    """``/playbook edit NAME``: the sections, each with a button to its form."""
    services: Services = call.services
    if not call.args:
        return Reply(which_playbook(services.command_trigger, "edit"))
    try:
        playbook = await find_playbook(services, call.user_id, call.team_id, call.rest)
        await editing.require_editor(services, playbook, call.user_id)
    except DomainError as error:
        return Reply(error.message)
    post = editing.edit_overview_post(services, playbook, await editing.usernames_of(services, playbook))
    return Reply(post["message"], attachments=post["props"]["attachments"])


async def open_section(click: ActionRequest, data: EditPlaybookSection, services: Services) -> ActionResult:
    """A section's button: open its form, filled with the current values."""
    playbook = await editing.editable_playbook(services, click.user_id, data.playbook_id)
    usernames = await editing.usernames_of(services, playbook)
    channels = await editing.channel_names(services, playbook.status_updates.broadcast_channel_ids)
    state = dialog_state(PlaybookSectionForm(playbook.id, data.section), services.signer)
    return await _open(
        services, click.trigger_id, section_dialog(data.section, playbook, usernames, channels, state)
    )


async def open_checklist(click: ActionRequest, data: EditChecklist, services: Services) -> ActionResult:
    """*Tasks of …*: open one checklist's form."""
    playbook = await editing.editable_checklist(services, click.user_id, data.playbook_id, data.index)
    usernames = await editing.usernames_of(services, playbook)
    state = dialog_state(ChecklistForm(playbook.id, data.index), services.signer)
    return await _open(services, click.trigger_id, checklist_dialog(playbook, data.index, usernames, state))


async def _open(services: Services, trigger_id: str, dialog: Mapping[str, Any]) -> ActionResult:
    opened = await open_dialog(services, trigger_id, dialog, what="playbook")
    return ActionResult() if opened else ActionResult(ephemeral_text=NO_DIALOG)


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
