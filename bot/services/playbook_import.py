"""Playbook files sent to the bot by direct message: each file imported once, the answer in its thread.

The answer is the import summary, every problem of the file, or, when the sender shares several
of the bot's teams, one button per team (the click imports it there, see
:func:`~bot.services.playbooks.import_document`).
"""

from __future__ import annotations

import logging
from typing import Any

from bot.domain.errors import DomainError
from bot.mattermost.errors import MattermostError
from bot.mattermost.types import MMPost
from bot.render.playbooks import TeamChoice, fit_message, import_problems, import_summary, team_prompt
from bot.render.schedules import imported_schedules
from storage.repositories.settings import SettingsRepository

from .context import Services
from .playbooks import (
    AlreadyImportedError,
    ImportOutcome,
    check_document,
    import_document,
    read_uploaded_document,
)

log = logging.getLogger(__name__)

COULD_NOT_READ = (
    "I couldn't fetch “{name}” from Mattermost just now; nothing was imported. Please send it again."
)
NO_TEAM = "You are not on any team I work in, so I can't import playbooks for you."
NOT_YOUR_FILE = "Only the person who sent the file can choose its team."
TEAM_GONE = "I no longer work in that team, so I can't import into it. Send the file again."


class TeamChoiceRefusedError(DomainError):
    """A team button of the import prompt that cannot import (any more); ``message`` says why."""


def sent_file_key(post_id: str, file_id: str) -> str:
    """The key that claims one file of one post for import (so a replayed post imports once)."""
    return f"import:{post_id}:{file_id}"


async def import_sent_files(services: Services, post: MMPost, *, channel_name: str) -> None:
    """``post`` came in the direct channel ``channel_name`` (``<user id>__<user id>``): import
    each of its files not imported before, unless the bot is not in that channel or the sender is
    a bot."""
    if post.user_id == services.bot.id or services.bot.id not in channel_name.split("__"):
        return
    if not post.file_ids or (await services.people.user(post.user_id)).is_bot:
        return
    for file_id in post.file_ids:
        async with services.transaction() as session:
            first_time = await SettingsRepository(session).mark_handled(sent_file_key(post.id, file_id))
        if first_time:
            await import_sent_file(services, post, file_id)


async def import_sent_file(services: Services, post: MMPost, file_id: str) -> None:
    """Import one file of the post and reply in its thread."""
    reply: dict[str, Any]
    filename = file_id
    try:
        filename, text = await read_uploaded_document(services, file_id)
        teams = await teams_of(services, post.user_id)
        if len(teams) == 1:
            outcome = await import_document(
                services, team_id=teams[0].team_id, user_id=post.user_id, filename=filename, text=text
            )
            reply = {"message": imported_message(services, outcome, teams[0])}
        elif teams:
            # Check the file first: no point asking for a team if it can't be imported anywhere.
            check_document(filename=filename, text=text, team_id=teams[0].team_id, user_id=post.user_id)
            reply = team_prompt(
                filename=filename,
                teams=teams,
                file_id=file_id,
                post_id=post.id,
                sender_id=post.user_id,
                signer=services.signer,
                url=services.action_url,
            )
        else:
            reply = {"message": NO_TEAM}
    except DomainError as error:
        reply = {"message": fit_message(import_problems(filename, error.message))}
    except MattermostError:
        log.exception("could not read file %s of post %s", file_id, post.id)
        reply = {"message": COULD_NOT_READ.format(name=filename)}
    await services.gateway.create_post(
        post.channel_id, reply["message"], root_id=post.root_id or post.id, props=reply.get("props")
    )


async def teams_of(services: Services, user_id: str) -> list[TeamChoice]:
    """The bot's teams the person is on, with their display names."""
    teams = []
    for team_id in services.team_ids:
        if await services.people.is_team_member(team_id, user_id):
            team = await services.gateway.team(team_id)
            teams.append(TeamChoice(team.id, team.display_name or team.name))
    return teams


def imported_message(services: Services, outcome: ImportOutcome, team: TeamChoice) -> str:
    """What the sender is told once a playbook is imported into ``team``."""
    summary = import_summary(
        outcome.playbook,
        warnings=outcome.warnings,
        replaced=outcome.replaced,
        team_name=team.display_name,
        trigger=services.command_trigger,
    )
    scheduled = imported_schedules(outcome.schedules)
    return fit_message(f"{summary}\n\n{scheduled}" if scheduled else summary)


async def import_into_chosen_team(
    services: Services, *, file_id: str, post_id: str, sender_id: str, team_id: str, user_id: str
) -> str:
    """A team button of the import prompt, clicked by ``user_id``: import the file sent by
    ``sender_id`` into ``team_id`` once; the summary that replaces the prompt.

    Raises :class:`TeamChoiceRefusedError` with what to tell the clicker: not their file, a team
    the bot left, a file imported already, a file with problems, or Mattermost unreachable.
    """
    if user_id != sender_id:
        raise TeamChoiceRefusedError(NOT_YOUR_FILE)
    if team_id not in services.team_ids:
        raise TeamChoiceRefusedError(TEAM_GONE)
    filename = file_id
    try:
        team = await services.gateway.team(team_id)
        filename, text = await read_uploaded_document(services, file_id)
        outcome = await import_document(
            services,
            team_id=team_id,
            user_id=user_id,
            filename=filename,
            text=text,
            handled_key=f"import:{post_id}:{file_id}:{team_id}",
        )
    except AlreadyImportedError as error:
        raise TeamChoiceRefusedError(error.message) from error
    except DomainError as error:
        raise TeamChoiceRefusedError(fit_message(import_problems(filename, error.message))) from error
    except MattermostError as error:
        log.exception("could not import file %s into team %s", file_id, team_id)
        raise TeamChoiceRefusedError(COULD_NOT_READ.format(name=filename)) from error
    return imported_message(services, outcome, TeamChoice(team.id, team.display_name or team.name))
