"""Starting runs and looking at them: ``/playbook run``, ``info``, ``timeline`` and the start dialog.

(The welcome for people who join a run's channel later is in :mod:`handlers.listening`.)"""

from __future__ import annotations

from bot.callback_data import StartRunForm
from bot.domain.errors import DomainError
from bot.domain.playbook import Playbook
from bot.domain.run import Run
from bot.domain.run_requests import match_playbook
from bot.render import run_replies
from bot.render.buttons import dialog_state
from bot.render.dialogs import NAME_FIELD, PLAYBOOK_FIELD, SUMMARY_FIELD, start_run_dialog
from bot.render.runs import info_text, timeline_text
from bot.services.context import Services
from bot.services.run_access import RunAction
from bot.services.run_posts import complete_posts, missing_posts, people_of
from bot.services.run_requests import read_start_form, start_and_describe, start_and_tell
from bot.services.run_start import (
    archived_message,
    default_run_name,
    default_summary,
    run_name_for,
    runnable_playbooks,
)
from bot.services.timelines import run_timeline

from .callbacks import DialogRequest, DialogResult
from .forms import open_dialog
from .registry import Routers
from .replies import SILENT, Reply
from .slash import CommandCall


def register(routers: Routers) -> None:
    """Add ``run``, ``info``, ``timeline`` and the start dialog."""
    commands = routers.commands
    commands.command(
        "run",
        "[playbook] [run name]",
        "start a run: without arguments a form opens; otherwise the named playbook starts at once",
    )(run_command)
    commands.command("info", "", "the run of this channel at a glance", needs=RunAction.VIEW)(info_command)
    commands.command("timeline", "", "what has happened in the run of this channel", needs=RunAction.VIEW)(
        timeline_command
    )
    routers.dialogs.dialog(StartRunForm)(submit_start_dialog)


# /playbook run ------------------------------------------------------------------------------------


async def run_command(call: CommandCall) -> Reply:
    """``/playbook run``: open the start form, or with arguments start the named playbook."""
    services: Services = call.services
    every = await runnable_playbooks(services, call.user_id, call.team_id, include_archived=True)
    playbooks = [playbook for playbook in every if not playbook.archived]
    if not playbooks and not (call.args and every):
        return Reply(run_replies.no_playbooks(services.command_trigger))
    if not call.args:
        return await _open_start_dialog(call, services, playbooks)
    matched = match_playbook(playbooks, call.args) or match_playbook(every, call.args)
    if matched is not None and matched[0].archived:
        return Reply(archived_message(matched[0], services.command_trigger))
    if matched is None and not playbooks:
        return Reply(run_replies.no_playbooks(services.command_trigger))
    if matched is None:
        return Reply(run_replies.unknown_playbook(call.rest, playbooks, services.command_trigger))
    playbook, name = matched
    try:
        run_name_for(playbook, name)
    except DomainError as error:
        return Reply(run_replies.run_name_example(error.message, call.args[0], services.command_trigger))
    user_id, team_id, channel_id = call.user_id, call.team_id, call.channel_id

    async def start() -> Reply:
        return Reply(
            await start_and_describe(
                services,
                playbook,
                user_id=user_id,
                team_id=team_id,
                name=name,
                summary=None,
                trigger_channel_id=channel_id,
                on_team=True,  # Mattermost runs a team's command only for its members (or admins)
            )
        )

    call.later(start)
    return Reply(run_replies.starting_run(playbook.title))


async def _open_start_dialog(call: CommandCall, services: Services, playbooks: list[Playbook]) -> Reply:
    default = playbooks[0]
    state = start_dialog_state(services, default.id, call.team_id)
    dialog = start_run_dialog(
        playbooks, default.id, default_run_name(default), default_summary(default), state
    )
    if not await open_dialog(services, call.request.trigger_id, dialog, what="start"):
        return Reply(run_replies.start_form_failed(default.title, services.command_trigger))
    return SILENT


def start_dialog_state(services: Services, playbook_id: str, team_id: str) -> str:
    """The signed state of a start form prefilled with ``playbook_id``, for runs in ``team_id``.

    The team is signed in because a submission's ``team_id`` is not the form's: Mattermost passes
    on the team the person's client has selected when they submit (checking only that they are on
    it: api4/integration_action.go ``submitDialog``), which may be another of their teams, for
    instance after switching teams or from a direct message."""
    return dialog_state(StartRunForm(playbook_id=playbook_id, team_id=team_id), services.signer)


async def submit_start_dialog(sub: DialogRequest, form: StartRunForm, services: Services) -> DialogResult:
    """The start form was submitted: check it, answer at once, and start the run in the background;
    the person gets a direct message with the result. The run starts in the team the form was
    opened for (signed into its state), not the submission's."""
    # A form opened before the team was signed in carries none: the submission's is all there is.
    team_id = form.team_id or sub.team_id
    request = await read_start_form(
        services,
        sub.user_id,
        team_id,
        form,
        playbook_id=sub.text(PLAYBOOK_FIELD),
        name=sub.text(NAME_FIELD),
        summary=sub.text(SUMMARY_FIELD),
    )
    work = start_and_tell(
        services, request, user_id=sub.user_id, team_id=team_id, trigger_channel_id=sub.channel_id
    )
    if services.background is not None:
        services.background.spawn(work, name="start-run")
    else:
        await work
    return DialogResult()


# /playbook info and timeline ----------------------------------------------------------------------


async def info_command(call: CommandCall) -> Reply:
    """``/playbook info``: the run at a glance; completes the run's posts if some are missing."""
    services: Services = call.services
    run = call.run
    if await missing_posts(services, run):
        call.later(lambda: _complete_posts(services, run))
    names = await services.people.usernames(people_of(run))
    return Reply(info_text(run, names, services.clock()))


async def _complete_posts(services: Services, run: Run) -> Reply:
    try:
        await complete_posts(services, run)
    except DomainError as error:
        return Reply(error.message)
    return Reply(run_replies.POSTS_COMPLETED)


async def timeline_command(call: CommandCall) -> Reply:
    """``/playbook timeline``: the run's events, oldest first."""
    events, names = await run_timeline(call.services, call.run)
    return Reply(timeline_text(call.run, events, names))
