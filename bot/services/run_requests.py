"""Runs asked for from chat: the start form checked field by field, and a run started with its
outcome in words for the person who asked (as the command's late answer or by direct message).

The start itself is :func:`bot.services.run_start.start_run`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.callback_data import StartRunForm
from bot.domain.errors import DomainError, FormFieldsError
from bot.domain.playbook import Playbook
from bot.domain.run_requests import form_summary
from bot.mattermost.errors import MattermostError
from bot.render.dialogs import NAME_FIELD, PLAYBOOK_FIELD, SUMMARY_FIELD
from bot.services.context import Services
from bot.services.posting import send_direct
from bot.services.run_start import default_summary, run_name_for, runnable_playbooks, start_run

log = logging.getLogger(__name__)

MAX_RUN_NAME = 1024
MAX_DIALOG_SUMMARY = 3000
START_FAILED = "Mattermost didn't answer while I was starting the run; nothing was started. Please try again."


@dataclass(frozen=True)
class StartRequest:
    """A checked start form: the playbook, the run's name and its summary (``None``: the playbook's)."""

    playbook: Playbook
    name: str
    summary: str | None


async def read_start_form(
    services: Services,
    user_id: str,
    team_id: str,
    form: StartRunForm,
    *,
    playbook_id: str,
    name: str,
    summary: str,
) -> StartRequest:
    """The start form as submitted, checked: a playbook the person may run in ``team_id``, a name
    the playbook accepts, a summary that fits. Raises :class:`FormFieldsError` naming each problem."""
    playbooks = {p.id: p for p in await runnable_playbooks(services, user_id, team_id)}
    playbook = playbooks.get(playbook_id)
    if playbook is None:
        raise FormFieldsError({PLAYBOOK_FIELD: "Choose a playbook you can run in this team."})
    errors: dict[str, str] = {}
    if len(name) > MAX_RUN_NAME:
        errors[NAME_FIELD] = f"Use at most {MAX_RUN_NAME} characters."
    else:
        try:
            run_name_for(playbook, name)
        except DomainError as error:
            errors[NAME_FIELD] = error.message
    if len(summary) > MAX_DIALOG_SUMMARY:
        errors[SUMMARY_FIELD] = f"Use at most {MAX_DIALOG_SUMMARY} characters."
    if errors:
        raise FormFieldsError(errors)
    shown = playbooks.get(form.playbook_id)
    shown_summary = default_summary(shown) if shown is not None else None
    return StartRequest(playbook, name, form_summary(summary, playbook.id, form.playbook_id, shown_summary))


async def start_and_tell(
    services: Services, request: StartRequest, *, user_id: str, team_id: str, trigger_channel_id: str
) -> None:
    """Start the run a form asked for and tell the person how it went by direct message."""
    text = await start_and_describe(
        services,
        request.playbook,
        user_id=user_id,
        team_id=team_id,
        name=request.name,
        summary=request.summary,
        trigger_channel_id=trigger_channel_id,
    )
    await send_direct(services, user_id, text)


async def start_and_describe(
    services: Services,
    playbook: Playbook,
    *,
    user_id: str,
    team_id: str,
    name: str,
    summary: str | None,
    trigger_channel_id: str,
    on_team: bool = False,
) -> str:
    """Start a run and say how it went, in words for the person who started it (``on_team``: see
    :func:`~bot.services.run_start.start_run`)."""
    try:
        started = await start_run(
            services,
            playbook=playbook,
            user_id=user_id,
            team_id=team_id,
            name=name,
            summary=summary,
            trigger_channel_id=trigger_channel_id,
            on_team=on_team,
        )
    except DomainError as error:
        return error.message
    except MattermostError as error:
        log.warning("starting a run of %s failed: %s", playbook.id, error)
        return START_FAILED
    return started.message
