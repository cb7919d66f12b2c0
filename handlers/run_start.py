"""Starting runs and looking at them: ``/playbook run``, ``info``, ``timeline`` and the start dialog.

(The welcome for people who join a run's channel later is in :mod:`handlers.listening`.)"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from bot.callback_data import StartRunForm
from bot.domain.errors import DomainError
from bot.domain.playbook import Playbook
from bot.domain.run import Run
from bot.mattermost.errors import MattermostError
from bot.render import run_replies
from bot.render.buttons import dialog_state
from bot.render.dialogs import NAME_FIELD, PLAYBOOK_FIELD, SUMMARY_FIELD, start_run_dialog
from bot.render.runs import info_text, timeline_text, truncate
from bot.services.context import Services
from bot.services.posting import send_direct
from bot.services.run_access import RunAction
from bot.services.run_posts import complete_posts, missing_posts, people_of
from bot.services.run_start import (
    archived_message,
    default_run_name,
    default_summary,
    run_name_for,
    runnable_playbooks,
    start_run,
)
from bot.services.timelines import run_timeline

from .callbacks import DialogRequest, DialogResult
from .registry import Routers
from .replies import SILENT, Reply
from .slash import CommandCall

log = logging.getLogger(__name__)

NO_PLAYBOOKS = (
    "There is no playbook you can run in this team yet. A playbook admin can import one, for instance "
    "a starter playbook or an export from Mattermost Playbooks; see `/{trigger} help`."
)
MAX_RUN_NAME = 1024
MAX_DIALOG_SUMMARY = 3000
MAX_LISTED_PLAYBOOKS = 10


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
        return Reply(NO_PLAYBOOKS.format(trigger=services.command_trigger))
    if not call.args:
        return await _open_start_dialog(call, services, playbooks)
    matched = match_playbook(playbooks, call.args) or match_playbook(every, call.args)
    if matched is not None and matched[0].archived:
        return Reply(archived_message(matched[0], services.command_trigger))
    if matched is None and not playbooks:
        return Reply(NO_PLAYBOOKS.format(trigger=services.command_trigger))
    if matched is None:
        titles = ", ".join(f"“{truncate(p.title, 80)}”" for p in playbooks[:MAX_LISTED_PLAYBOOKS])
        more = " …" if len(playbooks) > MAX_LISTED_PLAYBOOKS else ""
        return Reply(
            f"I don't know a playbook called “{truncate(call.rest, 100)}” that you can run. "
            f"You can run: {titles}{more}. Quote a title with spaces when a run name follows, "
            f'e.g. `/{services.command_trigger} run "{truncate(playbooks[0].title, 60)}" Database down`.'
        )
    playbook, name = matched
    try:
        run_name_for(playbook, name)
    except DomainError as error:
        return Reply(
            f"{error.message} For example: `/{services.command_trigger} run {call.args[0]} Database down`"
        )
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


def match_playbook(playbooks: Iterable[Playbook], args: list[str]) -> tuple[Playbook, str] | None:
    """The playbook named by the first argument(s) (by title, ignoring case and spacing, or by id)
    and the run name in the rest; the longest matching title wins."""
    by_title: dict[str, Playbook] = {}
    by_id: dict[str, Playbook] = {}
    for playbook in playbooks:
        by_title.setdefault(_normal(playbook.title), playbook)
        by_id[playbook.id] = playbook
    for count in range(len(args), 0, -1):
        found = by_title.get(_normal(" ".join(args[:count])))
        if found is not None:
            return found, " ".join(args[count:])
    if args and args[0] in by_id:
        return by_id[args[0]], " ".join(args[1:])
    return None


def _normal(title: str) -> str:
    return " ".join(title.split()).casefold()


async def _open_start_dialog(call: CommandCall, services: Services, playbooks: list[Playbook]) -> Reply:
    default = playbooks[0]
    state = start_dialog_state(services, default.id, call.team_id)
    dialog = start_run_dialog(
        playbooks, default.id, default_run_name(default), default_summary(default), state
    )
    try:
        await services.gateway.open_dialog(call.request.trigger_id, services.dialog_url, dialog)
    except MattermostError as error:
        log.warning("could not open the start dialog: %s", error)
        return Reply(
            "I couldn't open the form to start a run. Try again, or start one directly: "
            f'`/{services.command_trigger} run "{truncate(default.title, 60)}" Run name`.'
        )
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
    playbooks = {p.id: p for p in await runnable_playbooks(services, sub.user_id, team_id)}
    playbook = playbooks.get(sub.text(PLAYBOOK_FIELD))
    if playbook is None:
        return DialogResult(errors={PLAYBOOK_FIELD: "Choose a playbook you can run in this team."})
    name = sub.text(NAME_FIELD)
    errors: dict[str, str] = {}
    if len(name) > MAX_RUN_NAME:
        errors[NAME_FIELD] = f"Use at most {MAX_RUN_NAME} characters."
    else:
        try:
            run_name_for(playbook, name)
        except DomainError as error:
            errors[NAME_FIELD] = error.message
    summary: str | None = sub.text(SUMMARY_FIELD)
    if len(sub.text(SUMMARY_FIELD)) > MAX_DIALOG_SUMMARY:
        errors[SUMMARY_FIELD] = f"Use at most {MAX_DIALOG_SUMMARY} characters."
    if errors:
        return DialogResult(errors=errors)
    default_id = form.playbook_id
    # The form was prefilled with the first playbook's summary; another playbook brings its own.
    prefilled = default_id in playbooks and summary == default_summary(playbooks[default_id]).strip()
    if playbook.id != default_id and prefilled:
        summary = None
    work = _start_and_tell(services, playbook, sub.user_id, team_id, name, summary, sub.channel_id)
    if services.background is not None:
        services.background.spawn(work, name="start-run")
    else:
        await work
    return DialogResult()


async def _start_and_tell(
    services: Services,
    playbook: Playbook,
    user_id: str,
    team_id: str,
    name: str,
    summary: str | None,
    trigger_channel_id: str,
) -> None:
    text = await start_and_describe(
        services,
        playbook,
        user_id=user_id,
        team_id=team_id,
        name=name,
        summary=summary,
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
        return "Mattermost didn't answer while I was starting the run; nothing was started. Please try again."
    return started.message


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
