"""Managing playbooks from chat: ``/playbook list|show|export``, and importing files sent by DM.

A person imports a playbook by sending its file (``.json`` or ``.yaml``) to the bot in a direct
message. The bot replies in the file's thread: with the import summary, with every problem of
the file, or, when the person shares several of the bot's teams, with one button per team.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from bot.domain.errors import DomainError
from bot.mattermost.errors import MattermostError
from bot.mattermost.types import MMPost
from bot.render.playbooks import (
    TeamChoice,
    fit_message,
    import_problems,
    import_summary,
    playbook_details,
    playbook_list,
    team_prompt,
)
from bot.render.schedules import imported_schedules, playbook_schedules
from bot.services.context import Services
from bot.services.playbooks import (
    AlreadyImportedError,
    ImportOutcome,
    check_document,
    export,
    find_playbook,
    import_document,
    read_uploaded_document,
    visible_playbooks,
)
from bot.services.schedule_store import schedules_of_playbook
from storage.repositories.settings import SettingsRepository

from .callbacks import ActionRequest, ActionResult
from .events import event_data, event_post
from .registry import Routers
from .replies import SILENT, Reply
from .slash import CommandCall

log = logging.getLogger(__name__)

IMPORT_TEAM_ACTION = "playbook-import-team"
GROUP = "Playbooks"
NOT_YOUR_FILE = "Only the person who sent the file can choose its team."
TEAM_GONE = "I no longer work in that team, so I can't import into it. Send the file again."
COULD_NOT_READ = (
    "I couldn't fetch “{name}” from Mattermost just now; nothing was imported. Please send it again."
)


def register(routers: Routers) -> None:
    """Add ``list``, ``show``, ``export``, the DM import and its team buttons."""
    commands = routers.commands
    commands.command("list", "", "the playbooks of this team you can use", group=GROUP)(list_playbooks)
    commands.command("show", "NAME", "a playbook's checklists, settings and schedules", group=GROUP)(
        show_playbook
    )
    commands.command("export", "NAME", "sends you a playbook as a JSON file", group=GROUP)(export_playbook)
    routers.events.on("posted")(import_from_direct_message)
    routers.actions.action(IMPORT_TEAM_ACTION)(choose_import_team)


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
    people = {playbook.default_owner.user_id} | {schedule.owner_id for schedule in schedules}
    usernames = await services.people.usernames(person for person in people if person)
    trigger = services.command_trigger
    details = playbook_details(playbook, usernames=usernames, trigger=trigger)
    return Reply(fit_message(f"{details}\n\n{playbook_schedules(schedules, usernames, trigger)}"))


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
        gateway = services.gateway
        try:
            channel = await gateway.direct_channel(call.user_id)
            file_id = await gateway.upload_file(channel.id, filename, text.encode("utf-8"))
            message = f"Here is **{playbook.title}**, exported as a Mattermost playbook file."
            await gateway.create_post(channel.id, message, file_ids=[file_id])
        except MattermostError:
            log.exception("could not send the export of playbook %s", playbook.id)
            return Reply(f"Sorry, I couldn't send `{filename}` to you. Please try again.")
        return SILENT

    call.later(deliver)
    return Reply(
        f"I'm sending **{playbook.title}** to you as `{filename}` "
        f"in our direct messages (@{services.bot.username})."
    )


# Importing files sent by direct message -------------------------------------------------------


async def import_from_direct_message(event: Mapping[str, Any], services: Services) -> None:
    """A person sent the bot a direct message with files: import each playbook file."""
    data = event_data(event)
    if data.get("channel_type") != "D":
        return
    post = event_post(event)
    if post is None or not post.file_ids or post.type:
        return
    members = str(data.get("channel_name", "")).split("__")  # a DM's name is "<user id>__<user id>"
    if post.user_id == services.bot.id or services.bot.id not in members:
        return
    if (await services.people.user(post.user_id)).is_bot:
        return
    for file_id in post.file_ids:
        async with services.transaction() as session:
            first_time = await SettingsRepository(session).mark_handled(f"import:{post.id}:{file_id}")
        if first_time:
            await _import_file(services, post, file_id)


async def _import_file(services: Services, post: MMPost, file_id: str) -> None:
    """Import one file of the post and reply in its thread."""
    reply: dict[str, Any]
    filename = file_id
    try:
        filename, text = await read_uploaded_document(services, file_id)
        teams = await _teams_of(services, post.user_id)
        if len(teams) == 1:
            outcome = await import_document(
                services, team_id=teams[0].team_id, user_id=post.user_id, filename=filename, text=text
            )
            reply = {"message": _summary(services, outcome, teams[0])}
        elif teams:
            # Check the file first: no point asking for a team if it can't be imported anywhere.
            check_document(filename=filename, text=text, team_id=teams[0].team_id, user_id=post.user_id)
            payload = {"f": file_id, "p": post.id, "u": post.user_id}
            reply = team_prompt(
                filename=filename,
                teams=teams,
                action=IMPORT_TEAM_ACTION,
                payload=payload,
                signer=services.signer,
                url=services.action_url,
            )
        else:
            reply = {"message": "You are not on any team I work in, so I can't import playbooks for you."}
    except DomainError as error:
        reply = {"message": fit_message(import_problems(filename, error.message))}
    except MattermostError:
        log.exception("could not read file %s of post %s", file_id, post.id)
        reply = {"message": COULD_NOT_READ.format(name=filename)}
    await services.gateway.create_post(
        post.channel_id, reply["message"], root_id=post.root_id or post.id, props=reply.get("props")
    )


async def choose_import_team(
    click: ActionRequest, payload: Mapping[str, Any], services: Services
) -> ActionResult:
    """A team button of the import prompt: import the file there and turn the prompt into the summary."""
    if click.user_id != payload.get("u"):
        return ActionResult(ephemeral_text=NOT_YOUR_FILE)
    file_id, team_id, post_id = str(payload.get("f")), str(payload.get("t")), str(payload.get("p"))
    if team_id not in services.team_ids:
        return ActionResult(ephemeral_text=TEAM_GONE)
    filename = file_id
    try:
        team = await services.gateway.team(team_id)
        filename, text = await read_uploaded_document(services, file_id)
        outcome = await import_document(
            services,
            team_id=team_id,
            user_id=click.user_id,
            filename=filename,
            text=text,
            handled_key=f"import:{post_id}:{file_id}:{team_id}",
        )
    except AlreadyImportedError as error:
        return ActionResult(ephemeral_text=error.message)
    except DomainError as error:
        return ActionResult(ephemeral_text=fit_message(import_problems(filename, error.message)))
    except MattermostError:
        log.exception("could not import file %s into team %s", file_id, team_id)
        return ActionResult(ephemeral_text=COULD_NOT_READ.format(name=filename))
    choice = TeamChoice(team.id, team.display_name or team.name)
    return ActionResult(update={"message": _summary(services, outcome, choice), "props": {}})


async def _teams_of(services: Services, user_id: str) -> list[TeamChoice]:
    """The bot's teams the person is on, with their display names."""
    teams = []
    for team_id in services.team_ids:
        if await services.people.is_team_member(team_id, user_id):
            team = await services.gateway.team(team_id)
            teams.append(TeamChoice(team.id, team.display_name or team.name))
    return teams


def _summary(services: Services, outcome: ImportOutcome, team: TeamChoice) -> str:
    summary = import_summary(
        outcome.playbook,
        warnings=outcome.warnings,
        replaced=outcome.replaced,
        team_name=team.display_name,
        trigger=services.command_trigger,
    )
    scheduled = imported_schedules(outcome.schedules)
    return fit_message(f"{summary}\n\n{scheduled}" if scheduled else summary)
