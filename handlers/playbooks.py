"""Managing playbooks from chat: ``/playbook list|show|export``, and importing files sent by DM.

A person imports a playbook by sending its file (``.json`` or ``.yaml``) to the bot in a direct
message. The bot replies in the file's thread: with the import summary, with every problem of
the file, or, when the person shares several of the bot's teams, with one button per team.
"""

from __future__ import annotations

import logging

from bot.callback_data import ImportToTeam
from bot.domain.errors import DomainError
from bot.mattermost.errors import MattermostError
from bot.render.playbook_editing import change_history
from bot.render.playbooks import fit_message, playbook_details, playbook_list
from bot.render.schedules import playbook_schedules
from bot.services.context import Services
from bot.services.playbook_editing import recent_changes
from bot.services.playbook_import import import_into_chosen_team
from bot.services.playbooks import export, find_playbook, visible_playbooks
from bot.services.posting import send_direct
from bot.services.schedule_store import schedules_of_playbook

from .callbacks import ActionRequest, ActionResult
from .registry import Routers
from .replies import SILENT, Reply
from .slash import CommandCall

log = logging.getLogger(__name__)

GROUP = "Playbooks"


def register(routers: Routers) -> None:
    """Add ``list``, ``show``, ``export`` and the team buttons of a DM import."""
    commands = routers.commands
    commands.command("list", "", "the playbooks of this team you can use", group=GROUP)(list_playbooks)
    commands.command(
        "show", "NAME", "a playbook's checklists, settings, schedules and recent changes", group=GROUP
    )(show_playbook)
    commands.command("export", "NAME", "sends you a playbook as a JSON file", group=GROUP)(export_playbook)
    routers.actions.action(ImportToTeam)(choose_import_team)


# Commands -------------------------------------------------------------------------------------


async def list_playbooks(call: CommandCall) -> Reply:
    """``/playbook list``: the team's playbooks the person may see."""
    services: Services = call.services
    playbooks = await visible_playbooks(services, call.user_id, [call.team_id])
    return Reply(fit_message(playbook_list(playbooks, trigger=services.command_trigger)))


async def show_playbook(call: CommandCall) -> Reply:
    """``/playbook show NAME``: one playbook's settings, checklists and run schedules."""
    services: Services = call.services
    if not call.args:
        return Reply(f"Which playbook? Use `/{services.command_trigger} show NAME`.")
    try:
        playbook = await find_playbook(services, call.user_id, call.team_id, call.rest)
    except DomainError as error:
        return Reply(error.message)
    schedules = await schedules_of_playbook(services, playbook.id)
    changes = await recent_changes(services, playbook.id)
    people = {playbook.default_owner.user_id} | {schedule.owner_id for schedule in schedules}
    people |= {change.user_id for change in changes}
    usernames = await services.people.usernames(person for person in people if person)
    trigger = services.command_trigger
    details = playbook_details(playbook, usernames=usernames, trigger=trigger)
    history = change_history(changes, usernames)
    text = f"{details}\n\n{playbook_schedules(schedules, usernames, trigger)}"
    return Reply(fit_message(f"{text}\n\n{history}" if history else text))


async def export_playbook(call: CommandCall) -> Reply:
    """``/playbook export NAME``: the playbook's JSON export, sent as a file in the person's DM."""
    services: Services = call.services
    if not call.args:
        return Reply(f"Which playbook? Use `/{services.command_trigger} export NAME`.")
    try:
        playbook = await find_playbook(services, call.user_id, call.team_id, call.rest)
        filename, text = await export(services, call.user_id, playbook)
    except DomainError as error:
        return Reply(error.message)

    async def deliver() -> Reply:
        message = f"Here is **{playbook.title}**, exported as a Mattermost playbook file."
        try:
            await send_direct(services, call.user_id, message, file=(filename, text.encode("utf-8")))
        except MattermostError:
            log.exception("could not send the export of playbook %s", playbook.id)
            return Reply(f"Sorry, I couldn't send `{filename}` to you. Please try again.")
        return SILENT

    call.later(deliver)
    return Reply(
        f"I'm sending **{playbook.title}** to you as `{filename}` "
        f"in our direct messages (@{services.bot.username})."
    )


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
