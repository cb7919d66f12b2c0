"""Starting runs and looking at them: ``/playbook run``, ``info``, ``timeline``, the start dialog,
and the welcome for people who join a run's channel later."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from bot.domain.errors import DomainError
from bot.domain.naming import RunNameRequiredError, run_display_name
from bot.domain.playbook import Playbook, can_run
from bot.domain.run import Run
from bot.domain.timeline import TimelineEvent, TimelineEventType, event
from bot.mattermost.errors import MattermostError
from bot.render.buttons import dialog_state
from bot.render.dialogs import NAME_FIELD, PLAYBOOK_FIELD, START_RUN_CALLBACK, SUMMARY_FIELD, start_run_dialog
from bot.render.run_replies import NOT_IN_RUN_CHANNEL
from bot.render.runs import info_text, timeline_text, truncate, welcome_message
from bot.services.channel_settings import welcome_enabled
from bot.services.context import Services
from bot.services.posting import KeyedPost, post_once
from bot.services.run_posts import people_of, posts_missing, publish_run_posts
from bot.services.run_start import (
    default_summary,
    run_name_for,
    start_run,
    started_message,
    welcome_key,
)
from storage.repositories.playbooks import PlaybookRepository
from storage.repositories.runs import RunRepository
from storage.repositories.settings import SettingsRepository

from .callbacks import DialogRequest, DialogResult
from .events import event_data
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
    """Add ``run``, ``info``, ``timeline``, the start dialog and the join welcome."""
    commands = routers.commands
    commands.command(
        "run",
        "[playbook] [run name]",
        "start a run: without arguments a form opens; otherwise the named playbook starts at once",
    )(run_command)
    commands.command("info", "", "the run of this channel at a glance")(info_command)
    commands.command("timeline", "", "what has happened in the run of this channel")(timeline_command)
    routers.dialogs.dialog(START_RUN_CALLBACK)(submit_start_dialog)
    routers.events.on("user_added")(welcome_joiner)


# /playbook run ------------------------------------------------------------------------------------


async def runnable_playbooks(services: Services, user_id: str, team_id: str) -> list[Playbook]:
    """The team's playbooks the user may run, by title."""
    async with services.transaction() as session:
        every = await PlaybookRepository(session).list_for_team([team_id])
    if all(p.public for p in every):
        # Every team member may run a public playbook, so the person's roles change nothing here
        # and asking Mattermost for them would only lengthen the way to a run's first post.
        return every
    is_admin = await services.people.is_system_admin(user_id)
    if is_admin:
        return every
    async with services.transaction() as session:
        visible = await PlaybookRepository(session).list_visible(user_id, [team_id])
    return [p for p in visible if can_run(p, user_id, is_team_member=True, is_system_admin=False)]


def default_run_name(playbook: Playbook) -> str:
    """The name a run gets when none is given, or ``""`` when the playbook needs one."""
    try:
        return run_display_name(playbook.channel.channel_name_template, "")
    except RunNameRequiredError:
        return ""


async def run_command(call: CommandCall) -> Reply:
    """``/playbook run``: open the start form, or with arguments start the named playbook."""
    services: Services = call.services
    playbooks = await runnable_playbooks(services, call.user_id, call.team_id)
    if not playbooks:
        return Reply(NO_PLAYBOOKS.format(trigger=services.command_trigger))
    if not call.args:
        return await _open_start_dialog(call, services, playbooks)
    matched = match_playbook(playbooks, call.args)
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
    return Reply(f"Starting a run of **{truncate(playbook.title, 200)}**…")


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
    return dialog_state(START_RUN_CALLBACK, {"p": playbook_id, "t": team_id}, services.signer)


async def submit_start_dialog(
    sub: DialogRequest, state: Mapping[str, Any], services: Services
) -> DialogResult:
    """The start form was submitted: check it, answer at once, and start the run in the background;
    the person gets a direct message with the result. The run starts in the team the form was
    opened for (signed into its state), not the submission's."""
    # A form opened before the team was signed in carries none: the submission's is all there is.
    team_id = str(state.get("t") or sub.team_id)
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
    default_id = str(state.get("p", ""))
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
    direct = await services.gateway.direct_channel(user_id)
    await services.gateway.create_post(direct.id, text)


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
        run = await start_run(
            services,
            playbook=playbook,
            user_id=user_id,
            team_id=team_id,
            name=name,
            summary=summary,
            trigger_channel_id=trigger_channel_id,
            on_team=on_team,
        )
        channel = await services.gateway.channel(run.channel_id)
    except DomainError as error:
        return error.message
    except MattermostError as error:
        log.warning("starting a run of %s failed: %s", playbook.id, error)
        return "Mattermost didn't answer while I was starting the run; nothing was started. Please try again."
    return started_message(run, channel.name)


# /playbook info and timeline ----------------------------------------------------------------------


async def _channel_run(call: CommandCall, *, check_posts: bool = False) -> tuple[Run, bool] | Reply:
    """The run of the command's channel, if the person may see it, and (with ``check_posts``)
    whether some of its posts are missing; else the reply to give."""
    services: Services = call.services
    async with services.transaction() as session:
        run = await RunRepository(session).get_by_channel(call.channel_id)
        incomplete = check_posts and run is not None and await posts_missing(session, run)
    if run is None:
        return Reply(NOT_IN_RUN_CHANNEL)
    if call.user_id not in run.participant_ids and not await services.people.is_system_admin(call.user_id):
        channel = await services.gateway.channel(run.channel_id)
        if channel.type == "P":
            return Reply("Only the participants of this run can see it.")
    return run, incomplete


async def info_command(call: CommandCall) -> Reply:
    """``/playbook info``: the run at a glance; completes the run's posts if some are missing."""
    services: Services = call.services
    found = await _channel_run(call, check_posts=True)
    if isinstance(found, Reply):
        return found
    run, incomplete = found
    if incomplete:
        call.later(lambda: _complete_posts(services, run))
    names = await services.people.usernames(people_of(run))
    return Reply(info_text(run, names, services.clock()))


async def _complete_posts(services: Services, run: Run) -> Reply:
    async with services.transaction() as session:
        record = await PlaybookRepository(session).get_record(run.playbook_id, include_deleted=True)
    if record is None:
        return Reply("This run's playbook is gone, so I can't complete its posts.")
    try:
        await publish_run_posts(services, run, record.playbook)
    except MattermostError as error:
        log.warning("completing the posts of run %s failed: %s", run.id, error)
        return Reply("Some of this run's posts are still missing; Mattermost refused them. Try again later.")
    return Reply("I posted this run's missing overview and checklists.")


async def timeline_command(call: CommandCall) -> Reply:
    """``/playbook timeline``: the run's events, oldest first."""
    services: Services = call.services
    found = await _channel_run(call)
    if isinstance(found, Reply):
        return found
    async with services.transaction() as session:
        events = await RunRepository(session).timeline(found[0].id)
    names = await services.people.usernames(_people_in(events))
    return Reply(timeline_text(events, names))


def _people_in(events: Iterable[TimelineEvent]) -> set[str]:
    ids: set[str] = set()
    for recorded in events:
        ids.add(recorded.actor_id)
        for key, value in recorded.details.items():
            if key.endswith("_id") and isinstance(value, str):
                ids.add(value)
            elif key.endswith("_ids") and isinstance(value, tuple):
                ids.update(str(v) for v in value)
    ids.discard("")
    return ids


# Welcome for later joiners ----------------------------------------------------------------------


async def welcome_joiner(event_: Mapping[str, Any], services: Services) -> None:
    """Someone joined a run's channel: note it on the timeline and DM them the welcome, once."""
    user_id = event_data(event_).get("user_id")
    broadcast = event_.get("broadcast")
    channel_id = broadcast.get("channel_id") if isinstance(broadcast, Mapping) else None
    if not isinstance(user_id, str) or not isinstance(channel_id, str) or not user_id or not channel_id:
        return
    if user_id == services.bot.id:
        return
    async with services.transaction() as session:
        run = await RunRepository(session).get_by_channel(channel_id)
        if run is None or not await SettingsRepository(session).mark_handled(welcome_key(run.id, user_id)):
            return
        joined = event(
            TimelineEventType.USER_JOINED_LEFT,
            services.clock(),
            user_id,
            "{actor} joined the channel",
            action="joined",
        )
        await RunRepository(session).add_timeline(run.id, joined)
        record = await PlaybookRepository(session).get_record(run.playbook_id, include_deleted=True)
    if record is None or not await welcome_enabled(services, channel_id):
        return
    channel = await services.gateway.channel(channel_id)
    text = welcome_message(run, record.playbook, channel_name=channel.name)
    if not text:
        return
    direct = await services.gateway.direct_channel(user_id)
    # Claimed above, so this is the only attempt; the key guards the gateway's own retries.
    await post_once(services, KeyedPost(welcome_key(run.id, user_id), direct.id, text), maybe_posted=False)
