"""Starting a run: permission, name and number, its channel and people, then its posts.

The run is stored as soon as its channel exists and before anything is posted, so a failure
later on leaves a run that can be completed (:func:`~bot.services.run_posts.publish_run_posts` is
idempotent) rather than a half-built channel nobody knows about.

Every Mattermost round trip made one after another adds its latency to the start, so the work
that does not depend on an earlier answer goes out together: the permission look-ups, the
invited people's memberships, and, once the channel exists, its members and its posts.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, replace

from bot.domain.errors import DomainError
from bot.domain.naming import (
    RunNameRequiredError,
    channel_display_name,
    channel_slug,
    format_run_id,
    next_candidate,
    run_display_name,
)
from bot.domain.playbook import Playbook
from bot.domain.playbook_access import can_run
from bot.domain.playbook_settings import ChannelMode
from bot.domain.run import Run, new_run_checklists
from bot.domain.run import start_run as begin_run
from bot.mattermost.errors import Forbidden, MattermostError, Unavailable
from bot.mattermost.types import MMChannel
from bot.render.runs import channel_header, truncate
from storage.errors import DuplicateError
from storage.repositories.playbooks import PlaybookRepository, new_id
from storage.repositories.runs import RunRepository
from storage.repositories.settings import SettingsRepository

from .context import Services
from .posting import KeyedPost, post_once
from .run_posts import people_of, publish_run_posts

log = logging.getLogger(__name__)

MAX_CHANNEL_ATTEMPTS = 10
CHANNEL_CREATE_RETRIES = 3
CHANNEL_RETRY_DELAY = 0.5  # seconds, growing with each retry
MAX_SUMMARY_LENGTH = 4096
_CHANNEL_EXISTS = "exists"  # in Mattermost's error id store.sql_channel.save_channel.exists.app_error


class RunStartError(DomainError):
    """The run could not be started; ``message`` says why, for the person who asked."""


class RunSetupIncompleteError(RunStartError):
    """The run started but part of its set-up failed; ``run`` exists and can be completed."""

    def __init__(self, run: Run, channel_name: str) -> None:
        self.run = run
        self.channel_name = channel_name
        super().__init__(
            f"I started **{run.name}** in ~{channel_name}, but Mattermost refused part of its set-up, so "
            f"some of its posts may be missing. Run `/playbook info` in ~{channel_name} to complete it."
        )


@dataclass(frozen=True, slots=True)
class StartedRun:
    """A run just started, and the name of its channel for the reply."""

    run: Run
    channel_name: str

    @property
    def message(self) -> str:
        """What the person who started it is told."""
        return started_message(self.run, self.channel_name)


def archived_message(playbook: Playbook, trigger: str) -> str:
    """Why an archived playbook does not start a run, and how it comes back."""
    return (
        f"**{playbook.title}** is archived, so it can't start runs. Its admins can bring it back "
        f'with `/{trigger} restore "{playbook.title}"`.'
    )


def welcome_key(run_id: str, user_id: str) -> str:
    """The de-duplication key of the welcome a person gets for a run's channel."""
    return f"welcome:{run_id}:{user_id}"


def run_name_for(playbook: Playbook, given_name: str, *, sequential_id: str = "") -> str:
    """The run's name from the playbook's template and the given name; raises
    :class:`~bot.domain.naming.RunNameRequiredError` when a name is needed and missing."""
    return run_display_name(
        playbook.channel.channel_name_template, given_name, values={"SEQ": sequential_id or "…"}
    )


def default_summary(playbook: Playbook) -> str:
    """The summary a new run of the playbook starts with."""
    return playbook.run_summary.template if playbook.run_summary.enabled else ""


def default_run_name(playbook: Playbook) -> str:
    """The name a run gets when none is given, or ``""`` when the playbook needs one."""
    try:
        return run_display_name(playbook.channel.channel_name_template, "")
    except RunNameRequiredError:
        return ""


async def runnable_playbooks(
    services: Services, user_id: str, team_id: str, *, include_archived: bool = False
) -> list[Playbook]:
    """The team's playbooks ``user_id`` may run, by title; archived ones (which start no runs)
    only with ``include_archived``, to say why one can't run."""
    async with services.transaction() as session:
        every = await PlaybookRepository(session).list_for_team([team_id])
    if not include_archived:
        every = [playbook for playbook in every if not playbook.archived]
    if all(p.public for p in every):
        # Every team member may run a public playbook, so the person's roles change nothing here
        # and asking Mattermost for them would only lengthen the way to a run's first post.
        return every
    if await services.people.is_system_admin(user_id):
        return every
    async with services.transaction() as session:
        visible = await PlaybookRepository(session).list_visible(user_id, [team_id])
    return [p for p in visible if can_run(p, user_id, is_team_member=True, is_system_admin=False)]


async def start_run(
    services: Services,
    *,
    playbook: Playbook,
    user_id: str,
    team_id: str,
    name: str,
    summary: str | None,
    trigger_channel_id: str,
    on_team: bool = False,
) -> StartedRun:
    """Start a run of ``playbook`` for ``user_id``; ``summary`` ``None`` means the playbook's.

    ``on_team``: Mattermost vouched that the person is on the team (they ran a command there), so
    their membership needs no look-up, nor their roles when the playbook lets members run it.

    Raises :class:`RunStartError` (or another :class:`DomainError`) with a message for the person:
    :class:`RunSetupIncompleteError` when the run exists but some of its posts could not be made.
    """
    # The look-ups only read, so they go out together even though a refusal makes two of them moot.
    _, owner_id, invited = await asyncio.gather(
        _check_may_run(services, playbook, user_id, team_id, on_team=on_team),
        _owner_for(services, playbook, user_id, team_id),
        _invited(services, playbook, team_id),
    )
    run_name_for(playbook, name)  # a missing name is refused before a number is used up
    summary_text = (default_summary(playbook) if summary is None else summary).strip()
    if len(summary_text) > MAX_SUMMARY_LENGTH:
        raise RunStartError(f"The summary can be at most {MAX_SUMMARY_LENGTH} characters.")
    async with services.transaction() as session:
        number = await RunRepository(session).next_number(playbook.id)
    sequential_id = format_run_id(playbook.channel.run_number_prefix, number)
    run_name = run_name_for(playbook, name, sequential_id=sequential_id)
    now = services.clock()
    draft = Run(
        id=new_id(),
        number=number,
        playbook_id=playbook.id,
        team_id=team_id,
        name=run_name,
        owner_id=owner_id,
        reporter_id=user_id,
        channel_id="",
        created_at=now,
        summary=summary_text,
        sequential_id=sequential_id,
        participant_ids=invited,
        linked_channel=playbook.channel.mode is ChannelMode.LINK_EXISTING_CHANNEL,
        checklists=new_run_checklists(
            playbook.checklists, now, new_id, owner_id=owner_id, reporter_id=user_id
        ),
    )
    # The posts name the run's people: their look-up rides along with the channel's creation.
    channel, _ = await asyncio.gather(
        _run_channel(services, playbook, draft, team_id), _prefetch_people(services, draft)
    )
    # A linked channel's members are the run's participants from the start (see joiners).
    present = await _present_members(services, playbook, channel.id)
    change = begin_run(replace(draft, channel_id=channel.id), at=now)
    run = replace(change.run, participant_ids=tuple(dict.fromkeys((*change.run.participant_ids, *present))))
    members = [services.bot.id, *dict.fromkeys((owner_id, user_id, *invited))]
    async with services.transaction() as session:
        runs = RunRepository(session)
        try:
            await runs.add(run)
        except DuplicateError as error:
            raise RunStartError(f"I couldn't store the run: {error}") from error
        await runs.add_timeline_events(run.id, change.events)
        await services.lifecycle.run_started(services, session, run)
        # People in the channel at the start see the welcome post; only later joiners get a DM.
        handled = SettingsRepository(session)
        for member in dict.fromkeys((*members, *present)):
            await handled.mark_handled(welcome_key(run.id, member))
    log.info(
        "run %s (%s) of playbook %s started in %s from %s",
        run.id,
        run.sequential_id,
        playbook.id,
        channel.id,
        trigger_channel_id,
    )
    # Members and posts are independent: the channel's history is there for people added later.
    outcomes = await asyncio.gather(
        services.gateway.add_channel_members(channel.id, members),
        publish_run_posts(services, run, playbook, first_attempt=True),  # a new run: nothing to find
        return_exceptions=True,
    )
    for outcome in outcomes:
        if isinstance(outcome, MattermostError):
            log.warning("run %s started, but its set-up failed: %s", run.id, outcome)
            raise RunSetupIncompleteError(run, channel.name) from outcome
        if isinstance(outcome, BaseException):
            raise outcome
    if owner_id != user_id:
        await _tell_owner(services, run, channel.name)
    return StartedRun(run, channel.name)


def started_message(run: Run, channel_name: str) -> str:
    """What the person who started a run is told."""
    ident = f" ({run.sequential_id})" if run.sequential_id else ""
    return f"Started **{truncate(run.name, 200)}**{ident} in ~{channel_name}."


async def _check_may_run(
    services: Services, playbook: Playbook, user_id: str, team_id: str, *, on_team: bool
) -> None:
    if playbook.team_id != team_id:
        raise RunStartError("That playbook belongs to another team; run it from that team.")
    if playbook.archived:
        raise RunStartError(archived_message(playbook, services.command_trigger))
    if on_team and can_run(playbook, user_id, is_team_member=True, is_system_admin=False):
        return  # being a system admin could only allow more
    people = services.people
    is_team_member, is_system_admin = await asyncio.gather(
        people.is_team_member(team_id, user_id), people.is_system_admin(user_id)
    )
    allowed = can_run(playbook, user_id, is_team_member=is_team_member, is_system_admin=is_system_admin)
    if not allowed:
        raise RunStartError(f"You may not run the playbook “{truncate(playbook.title, 100)}”.")


async def _prefetch_people(services: Services, draft: Run) -> None:
    """Warm the cache of the people the run's posts name; a failure is left to the posts' own
    look-up, which reports it where the run's set-up is known to be incomplete."""
    try:
        await services.people.users(people_of(draft))
    except MattermostError as error:
        log.info("looking up the people of run %s ahead of its posts failed: %s", draft.id, error)


async def _owner_for(services: Services, playbook: Playbook, starter_id: str, team_id: str) -> str:
    default = playbook.default_owner
    if default.enabled and default.user_id and default.user_id != starter_id:
        if await services.people.is_team_member(team_id, default.user_id):
            return default.user_id
        log.info("default owner %s of playbook %s is not on the team", default.user_id, playbook.id)
    return starter_id


async def _invited(services: Services, playbook: Playbook, team_id: str) -> tuple[str, ...]:
    """The invited users still on the team (others are left out, as the plugin does)."""
    if not playbook.invites.enabled:
        return ()
    candidates = list(dict.fromkeys(playbook.invites.user_ids))
    on_team = await asyncio.gather(*(services.people.is_team_member(team_id, uid) for uid in candidates))
    return tuple(uid for uid, member in zip(candidates, on_team, strict=True) if member)


async def _run_channel(services: Services, playbook: Playbook, draft: Run, team_id: str) -> MMChannel:
    if playbook.channel.mode is ChannelMode.LINK_EXISTING_CHANNEL:
        return await _linked_channel(services, playbook, team_id)
    return await _create_channel(services, playbook, draft, team_id)


async def _present_members(services: Services, playbook: Playbook, channel_id: str) -> tuple[str, ...]:
    """The people already in a linked channel (nobody is in a channel made for the run)."""
    if playbook.channel.mode is not ChannelMode.LINK_EXISTING_CHANNEL:
        return ()
    # Only a member may list the members: the bot joins a public channel it is not in yet.
    await services.gateway.add_channel_members(channel_id, [services.bot.id])
    return tuple(m for m in await services.gateway.channel_member_ids(channel_id) if m != services.bot.id)


async def _linked_channel(services: Services, playbook: Playbook, team_id: str) -> MMChannel:
    try:
        channel = await services.gateway.channel(playbook.channel.channel_id)
    except MattermostError as error:
        raise RunStartError(
            "This playbook runs in an existing channel, and I can't reach it. Ask a playbook admin to "
            "check the playbook's channel, and that I am a member of it."
        ) from error
    if channel.is_archived or channel.team_id != team_id:
        raise RunStartError("This playbook's channel is archived or in another team; it can't run there.")
    return channel


async def _create_channel(services: Services, playbook: Playbook, draft: Run, team_id: str) -> MMChannel:
    """A new channel for the run, under a name nobody uses: a name Mattermost refuses as existing
    moves on to the next candidate (asking first would cost a round trip on every start)."""
    display_name = channel_display_name(draft.name)
    slug = channel_slug(display_name, draft.number, prefix=playbook.channel.run_number_prefix)
    private = not playbook.channel.create_public_channel
    for attempt in range(MAX_CHANNEL_ATTEMPTS):
        candidate = next_candidate(slug, attempt)
        try:
            channel = await _create_named_channel(
                services, team_id, candidate, display_name, private, header=channel_header(draft)
            )
        except Forbidden as error:
            kind = "private" if private else "public"
            raise RunStartError(
                f"Mattermost didn't let me create a {kind} channel for the run. Ask an admin to allow the "
                f"bot account to create {kind} channels in this team."
            ) from error
        except MattermostError as error:
            raise RunStartError(
                f"Mattermost refused to create the run's channel ({truncate(error.message, 200)})."
            ) from error
        if channel is not None:
            return channel
    raise RunStartError(f"Every channel name I tried for this run is taken (the last was `{candidate}`).")


async def _create_named_channel(
    services: Services, team_id: str, name: str, display_name: str, private: bool, *, header: str
) -> MMChannel | None:
    """Create the channel ``name``, or ``None`` when someone else holds that name.

    Creating a channel is not safe to repeat blindly: a request that failed without an answer
    (a timeout, a lost connection, a 5xx) may have created the channel all the same. So it is
    tried again under the same name, and if Mattermost then says the name exists, the channel
    is adopted when the bot created it and no run owns it: one channel, never a second one.
    """
    gateway = services.gateway
    ambiguous = False
    for attempt in range(CHANNEL_CREATE_RETRIES + 1):
        try:
            return await gateway.create_channel(team_id, name, display_name, private, header=header)
        except Unavailable as error:
            if attempt >= CHANNEL_CREATE_RETRIES:
                raise
            log.warning("creating channel %s failed (%s); trying again", name, error)
            ambiguous = True
            await asyncio.sleep(CHANNEL_RETRY_DELAY * (attempt + 1))
        except MattermostError as error:
            if error.status == 400 and _CHANNEL_EXISTS in error.error_id:
                return await _own_unclaimed_channel(services, team_id, name) if ambiguous else None
            raise
    return None  # pragma: no cover - the loop either returns or raises


async def _own_unclaimed_channel(services: Services, team_id: str, name: str) -> MMChannel | None:
    """The channel ``name`` if the bot created it and no run owns it (an earlier attempt's)."""
    channel = await services.gateway.channel_by_name(team_id, name)
    if channel is None or channel.creator_id != services.bot.id or channel.is_archived:
        return None
    async with services.transaction() as session:
        if await RunRepository(session).get_by_channel(channel.id) is not None:
            return None
    log.info("adopting channel %s, created by an attempt whose answer was lost", name)
    return channel


async def _tell_owner(services: Services, run: Run, channel_name: str) -> None:
    """DM the owner that someone else started a run and made them its owner."""
    try:
        names = await services.people.usernames((run.reporter_id,))
        starter = f"@{names[run.reporter_id]}" if run.reporter_id in names else "Someone"
        direct = await services.gateway.direct_channel(run.owner_id)
        text = f"{starter} started **{truncate(run.name, 200)}** and made you its owner: ~{channel_name}"
        # Told once, right after the start: only the gateway's own retries can repeat it.
        await post_once(services, KeyedPost(f"{run.id}:owner", direct.id, text), maybe_posted=False)
    except MattermostError as error:
        log.warning("could not tell the owner of run %s: %s", run.id, error)


__all__ = [
    "RunNameRequiredError",
    "RunSetupIncompleteError",
    "RunStartError",
    "default_summary",
    "run_name_for",
    "start_run",
    "started_message",
    "welcome_key",
]
