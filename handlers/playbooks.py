"""Managing playbooks from chat: ``/playbook list|show|export|archive|restore``, and importing
files sent by DM.

A person imports a playbook by sending its file (``.json`` or ``.yaml``) to the bot in a direct
message. The bot replies in the file's thread: with the import summary, with every problem of
the file, or, when the person shares several of the bot's teams, with one button per team.
"""

from __future__ import annotations

import logging

from bot.callback_data import ImportToTeam
from bot.domain.errors import DomainError
from bot.mattermost.errors import MattermostError
from bot.render.playbook_editing import playbook_page
from bot.render.playbooks import (
    archive_changed,
    export_failed,
    export_message,
    export_sending,
    fit_message,
    list_usage,
    playbook_list,
    which_playbook,
)
from bot.services.context import Services
from bot.services.playbook_archive import set_archived
from bot.services.playbook_editing import playbook_record
from bot.services.playbook_import import import_into_chosen_team
from bot.services.playbooks import export, find_playbook, visible_playbooks
from bot.services.posting import send_direct

from .callbacks import ActionRequest, ActionResult
from .registry import Routers
from .replies import SILENT, Reply
from .slash import CommandCall

log = logging.getLogger(__name__)

GROUP = "Playbooks"
# What ``/playbook list`` takes: live playbooks, archived ones, or both (visible_playbooks' filter).
LIST_FILTERS: dict[str, bool | None] = {"": False, "archived": True, "all": None}


def register(routers: Routers) -> None:
    """Add ``list``, ``show``, ``export``, ``archive``, ``restore`` and the team buttons of a DM import."""
    commands = routers.commands
    commands.command(
        "list", "[archived|all]", "the playbooks of this team you can use (or the archived ones)", group=GROUP
    )(list_playbooks)
    commands.command(
        "show", "NAME", "a playbook's checklists, settings, schedules and recent changes", group=GROUP
    )(show_playbook)
    commands.command("export", "NAME", "sends you a playbook as a JSON file", group=GROUP)(export_playbook)
    commands.command(
        "archive", "NAME", "stops a playbook from starting runs and hides it (admins)", group=GROUP
    )(archive_playbook)
    # ``restore NAME`` shares its name with the run command ``restore``: handlers/run_commands.py
    # routes it here when a NAME is given.
    routers.actions.action(ImportToTeam)(choose_import_team)


# Commands -------------------------------------------------------------------------------------


async def list_playbooks(call: CommandCall) -> Reply:
    """``/playbook list [archived|all]``: the team's playbooks the person may see, live ones unless asked."""
    services: Services = call.services
    trigger = services.command_trigger
    wanted = call.rest.strip().lower().removeprefix("--")
    if wanted not in LIST_FILTERS:
        return Reply(list_usage(trigger))
    archived = LIST_FILTERS[wanted]
    playbooks = await visible_playbooks(services, call.user_id, [call.team_id], archived=archived)
    return Reply(fit_message(playbook_list(playbooks, trigger=trigger, archived=archived is True)))


async def archive_playbook(call: CommandCall) -> Reply:
    """``/playbook archive NAME``: the playbook starts no new runs and leaves the lists."""
    return await _set_archived(call, archived=True)


async def restore_playbook(call: CommandCall) -> Reply:
    """``/playbook restore NAME``: an archived playbook may start runs again (the route is
    ``restore`` of handlers/run_commands.py, which sends calls with a NAME here)."""
    return await _set_archived(call, archived=False)


async def _set_archived(call: CommandCall, *, archived: bool) -> Reply:
    services: Services = call.services
    if not call.args:
        return Reply(which_playbook(services.command_trigger, "archive" if archived else "restore"))
    try:
        change = await set_archived(services, call.user_id, call.team_id, call.rest, archived=archived)
    except DomainError as error:
        return Reply(error.message)
    return Reply(archive_changed(change.playbook, already=change.already, trigger=services.command_trigger))


async def show_playbook(call: CommandCall) -> Reply:
    """``/playbook show NAME``: one playbook's settings, checklists and run schedules."""
    services: Services = call.services
    if not call.args:
        return Reply(which_playbook(services.command_trigger, "show"))
    try:
        playbook = await find_playbook(services, call.user_id, call.team_id, call.rest)
    except DomainError as error:
        return Reply(error.message)
    record = await playbook_record(services, playbook)
    page = playbook_page(
        playbook, record.schedules, record.changes, record.usernames, trigger=services.command_trigger
    )
    return Reply(page)


async def export_playbook(call: CommandCall) -> Reply:
    """``/playbook export NAME``: the playbook's JSON export, sent as a file in the person's DM."""
    services: Services = call.services
    if not call.args:
        return Reply(which_playbook(services.command_trigger, "export"))
    try:
        playbook = await find_playbook(services, call.user_id, call.team_id, call.rest)
        filename, text = await export(services, call.user_id, playbook)
    except DomainError as error:
        return Reply(error.message)

    async def deliver() -> Reply:
        message = export_message(playbook)
        try:
            await send_direct(services, call.user_id, message, file=(filename, text.encode("utf-8")))
        except MattermostError:
            log.exception("could not send the export of playbook %s", playbook.id)
            return Reply(export_failed(filename))
        return SILENT

    call.later(deliver)
    return Reply(export_sending(playbook, filename, services.bot.username))


# Team buttons of files sent by DM (their import: bot.services.playbook_import) ---------------


async def choose_import_team(click: ActionRequest, data: ImportToTeam, services: Services) -> ActionResult:
    """A team button of the import prompt: import the file there and turn the prompt into the summary."""
    message = await import_into_chosen_team(
        services,
        file_id=data.file_id,
        post_id=data.post_id,
        sender_id=data.sender_id,
        team_id=data.team_id,
        user_id=click.user_id,
    )
    return ActionResult(update={"message": message, "props": {}})
