"""How ``/playbook`` reaches the bot in each configured team, and what to tell an administrator.

With Mattermost's default roles only team admins and system admins may manage slash commands
(``manage_slash_commands`` is in ``team_admin``, not ``team_user``: model/role.go). So there are
two set-ups, and the bot supports both:

* **The bot registers the command itself** (it is a team admin of the team): on start it creates
  ``/playbook`` pointing at its public URL, or updates its own, and reads the token Mattermost
  signs each request with. A command an administrator made with the same trigger and URL is
  adopted, token included (a team admin sees every command of the team).
* **An administrator makes the command** (Integrations > Slash Commands) and gives the bot its
  token through ``command_tokens`` (``PLAYBOOKS_COMMAND_TOKENS=team=token,…``). A bot without the
  permission cannot read it: Mattermost lists it other commands only sanitized, without URL or
  token, and only those with autocomplete on (``listCommands`` in api4/command.go).

When neither works the bot still starts, serves everything else, logs exactly what the
administrator must do, and answers ``/playbook`` in that team with a short note saying so.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.mattermost.errors import Forbidden, MattermostError
from bot.mattermost.gateway import MattermostGateway
from bot.mattermost.types import MMTeam

log = logging.getLogger(__name__)

COMMAND_DESCRIPTION = "Run playbooks: checklists, owners, timeline"
COMMAND_HINT = "[run|list|show|check|finish|help]"
COMMAND_DISPLAY_NAME = "Playbooks"
_DUPLICATE_TRIGGER = "api.command.duplicate_trigger.app_error"

NOT_CONNECTED = (
    "Playbooks can't answer /{trigger} in this team yet: the bot doesn't have this command's token. "
    "An administrator must give it to the bot (PLAYBOOKS_COMMAND_TOKENS, or command_tokens in its "
    "configuration file) and restart it; the bot's log says how."
)


@dataclass(frozen=True, slots=True)
class CommandConnection:
    """The outcome for one team: the token to check its requests with, or ``None`` when the
    command is not connected (``instructions`` then says what an administrator must do)."""

    team_id: str
    token: str | None
    instructions: str = ""


def setup_instructions(
    team_name: str, trigger: str, command_url: str, *, reason: str, command_exists: bool = False
) -> str:
    """What an administrator must do so that ``/trigger`` in ``team_name`` reaches the bot."""
    steps = [
        f"/{trigger} is not connected in team {team_name!r}: {reason}",
        "Either make the bot account a team admin of that team (System Console > User Management > "
        "Teams > the team > Add Members / Manage Roles: Team Admin) and restart the bot, which then "
        "registers the command itself,",
    ]
    if command_exists:
        steps.append(
            f"or, since /{trigger} already exists in the team, copy its token (Integrations > Slash "
            f"Commands, in team {team_name!r}) and check that its Request URL is {command_url} with "
            "method POST;"
        )
    else:
        steps.append(
            f"or have a team admin create it: Integrations > Slash Commands > Add Slash Command, with "
            f"Title '{COMMAND_DISPLAY_NAME}', Command Trigger Word '{trigger}', Request URL "
            f"{command_url}, Request Method POST, Autocomplete on, Autocomplete Hint '{COMMAND_HINT}', "
            f"Autocomplete Description '{COMMAND_DESCRIPTION}'; save it and copy the token shown;"
        )
    steps.append(
        f"then give the bot that token with PLAYBOOKS_COMMAND_TOKENS={team_name}=<token> (several "
        f"teams: comma-separated), or command_tokens: {{{team_name}: <token>}} in its configuration "
        "file, and restart the bot."
    )
    return "\n  ".join(steps)


async def connect_command(
    gateway: MattermostGateway,
    team: MMTeam,
    *,
    trigger: str,
    command_url: str,
    configured_token: str | None,
) -> CommandConnection:
    """Connect ``/trigger`` in ``team`` to the bot: the configured token of a command an
    administrator made, else the bot's own registration; without either, the instructions.

    Raises :class:`MattermostError` for failures other than a missing permission or a trigger
    taken by another integration (Mattermost unreachable: starting without the command would hide
    the fault).
    """
    if configured_token:
        log.info(
            "/%s in team %s: using the command an administrator made (token from command_tokens)",
            trigger,
            team.name,
        )
        return CommandConnection(team.id, configured_token)
    try:
        token = await gateway.ensure_slash_command(
            team.id,
            trigger,
            command_url,
            COMMAND_DESCRIPTION,
            COMMAND_HINT,
            display_name=COMMAND_DISPLAY_NAME,
        )
    except Forbidden:
        exists = await _trigger_visible(gateway, team.id, trigger)
        reason = "the bot may not manage slash commands there (it is not a team admin)" + (
            f", and it cannot read the token of the /{trigger} command someone made there" if exists else ""
        )
        text = setup_instructions(team.name, trigger, command_url, reason=reason, command_exists=exists)
        return CommandConnection(team.id, None, text)
    except MattermostError as error:
        if error.status == 400 and error.error_id == _DUPLICATE_TRIGGER:
            reason = (
                f"another integration already uses /{trigger} with a different Request URL. Point that "
                f"command at {command_url}, or delete it,"
            )
            text = setup_instructions(team.name, trigger, command_url, reason=reason, command_exists=True)
            return CommandConnection(team.id, None, text)
        raise
    return CommandConnection(team.id, token)


async def _trigger_visible(gateway: MattermostGateway, team_id: str, trigger: str) -> bool:
    """Whether the team lists a ``/trigger`` command (with autocomplete on) to the bot."""
    try:
        return trigger in await gateway.visible_command_triggers(team_id)
    except MattermostError as error:
        log.info("could not list the commands of team %s: %s", team_id, error)
        return False
