"""Recurring runs: set, list and remove schedules; start a run when one falls due.

Each schedule is a row and a job (``schedule:<id>``) that the scheduler runs at the next
occurrence and reschedules with the following one, so schedules survive restarts like any
scheduled work. An occurrence starts at most one run, even when its job runs twice (after a crash,
or a retry): the occurrence's key (``schedule:<id>@<due ms>``) is marked handled in the very
transaction that stores the run, through a run-start lifecycle hook, and a job that finds the key
marked starts nothing. A failure before the run is stored (Mattermost unreachable) raises, and the
scheduler retries the occurrence with backoff.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.errors import DomainError
from bot.domain.naming import RunNameRequiredError, run_display_name
from bot.domain.playbook import Playbook
from bot.domain.playbook_access import can_edit, can_run
from bot.domain.run import Run
from bot.domain.schedules import (
    COMMAND,
    EXAMPLES,
    Recurrence,
    RunSchedule,
    ScheduleError,
    parse_recurrence,
    parse_spec,
    time_zone,
)
from bot.services.jobs import Job
from bot.services.playbooks import find_playbook
from bot.services.run_start import RunSetupIncompleteError, start_run
from bot.services.schedule_store import JOB_KIND as JOB_KIND  # the job's kind and keys, re-exported
from bot.services.schedule_store import add_schedule, delete_schedule, zone_or_utc
from bot.services.schedule_store import job_key as job_key
from storage.repositories.playbooks import PlaybookRepository, new_id
from storage.repositories.schedules import ScheduleRepository
from storage.repositories.settings import SettingsRepository

from .context import Services

log = logging.getLogger(__name__)

_KEYWORDS = ("every", "cron")


@dataclass(frozen=True, slots=True)
class TitledSchedule:
    """A stored schedule (:class:`~storage.repositories.schedules.RunSchedule`) and the title of
    its playbook (``""`` when the playbook is gone): what ``/playbook schedule``, ``schedules``
    and ``unschedule`` answer with, so the reply can name the playbook."""

    schedule: RunSchedule
    title: str


class ScheduleNotFoundError(DomainError):
    """No schedule with that id in this team (or none the person may see)."""

    def __init__(self, schedule_id: str) -> None:
        super().__init__(
            f"There is no schedule `{schedule_id[:40]}` in this team. See `/playbook schedules`."
        )


# Setting, listing, removing ----------------------------------------------------------------------


def split_command(words: list[str]) -> tuple[str, list[str]]:
    """``["Weekly", "release", "every", "1w"]`` → ``("Weekly release", ["every", "1w"])``: the
    playbook's name before the last ``every``/``cron`` word, the recurrence from it on."""
    for index in range(len(words) - 1, 0, -1):
        if words[index].lower() in _KEYWORDS:
            return " ".join(words[:index]), words[index:]
    raise ScheduleError(
        f'Name the playbook, then how often: e.g. `/playbook schedule "Weekly release" every 1w`, '
        f"or {EXAMPLES}."
    )


async def create_schedule(
    services: Services, *, user_id: str, team_id: str, words: list[str]
) -> TitledSchedule:
    """``/playbook schedule NAME every …|cron "…"``: a schedule of a playbook the person may run,
    owned by them and read in their time zone. Raises a ``DomainError`` saying what is wrong."""
    name, recurrence_words = split_command(words)
    playbook = await find_playbook(services, user_id, team_id, name)
    people = services.people
    allowed = can_run(
        playbook,
        user_id,
        is_team_member=await people.is_team_member(team_id, user_id),
        is_system_admin=await people.is_system_admin(user_id),
    )
    if not allowed:
        raise ScheduleError(
            f"You may not run the playbook “{playbook.title[:100]}”, so you can't schedule it."
        )
    zone_name, zone = zone_or_utc((await people.user(user_id)).timezone)
    now = services.clock()
    recurrence = parse_recurrence(recurrence_words, zone, now)
    schedule = RunSchedule(
        id=new_id(),
        playbook_id=playbook.id,
        team_id=playbook.team_id,
        owner_id=user_id,
        spec=recurrence.spec,
        timezone=zone_name,
        next_run_at=recurrence.next_after(now, zone),
        enabled=True,
        created_at=now,
        source=COMMAND,
    )
    async with services.transaction() as session:
        await add_schedule(session, schedule)
    log.info("schedule %s of playbook %s set: %s", schedule.id, playbook.id, schedule.spec)
    return TitledSchedule(schedule, playbook.title)


async def list_schedules(services: Services, user_id: str, team_id: str) -> list[TitledSchedule]:
    """The team's schedules of playbooks the person may see, soonest first."""
    people = services.people
    is_admin = await people.is_system_admin(user_id)
    is_member = is_admin or await people.is_team_member(team_id, user_id)
    found: list[TitledSchedule] = []
    async with services.transaction() as session:
        playbooks = PlaybookRepository(session)
        for schedule in await ScheduleRepository(session).list_for_team(team_id):
            playbook = await playbooks.get(schedule.playbook_id)
            if playbook is None:
                if is_admin or schedule.owner_id == user_id:
                    found.append(TitledSchedule(schedule, ""))
            elif can_run(playbook, user_id, is_team_member=is_member, is_system_admin=is_admin):
                found.append(TitledSchedule(schedule, playbook.title))
    return found


async def remove_schedule(services: Services, user_id: str, team_id: str, schedule_id: str) -> TitledSchedule:
    """``/playbook unschedule ID``: by the person who set it, the playbook's admins or a system admin."""
    people = services.people
    async with services.transaction() as session:
        schedule = await ScheduleRepository(session).get(schedule_id.strip())
        record = None if schedule is None else await PlaybookRepository(session).get(schedule.playbook_id)
    if schedule is None or schedule.team_id != team_id:
        raise ScheduleNotFoundError(schedule_id)
    if schedule.owner_id != user_id:
        is_admin = await people.is_system_admin(user_id)
        is_member = await people.is_team_member(team_id, user_id)
        if record is not None and not can_run(
            record, user_id, is_team_member=is_member, is_system_admin=is_admin
        ):
            raise ScheduleNotFoundError(schedule_id)
        playbook_admin = record is not None and can_edit(
            record, user_id, is_team_member=is_member, is_system_admin=is_admin
        )
        if not playbook_admin:
            raise ScheduleError(
                "Only the person who set this schedule or the playbook's admins can remove it."
            )
    async with services.transaction() as session:
        await delete_schedule(session, schedule.id)
    log.info("schedule %s removed by %s", schedule.id, user_id)
    return TitledSchedule(schedule, "" if record is None else record.title)


# Starting the runs -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Occurrence:
    schedule_id: str
    key: str


_STARTING: ContextVar[_Occurrence | None] = ContextVar("scheduled_occurrence", default=None)
"""The occurrence whose run :func:`run_due` is starting, read by :func:`note_scheduled_run`."""


class OccurrenceAlreadyStartedError(Exception):
    """This occurrence's run was stored already; the new one is rolled back."""


async def note_scheduled_run(services: Services, session: AsyncSession, run: Run) -> None:
    """Lifecycle hook, in the transaction storing a new run: when a schedule is starting it,
    mark the occurrence handled, or refuse (rolling the run back) if it already was."""
    occurrence = _STARTING.get()
    if occurrence is None:
        return
    if not await SettingsRepository(session).mark_handled(occurrence.key):
        raise OccurrenceAlreadyStartedError(occurrence.key)
    await ScheduleRepository(session).started(occurrence.schedule_id, run.id)


def scheduled_run_name(playbook: Playbook, due: datetime, zone: ZoneInfo) -> str:
    """The name a scheduled run is given: the playbook's run name (or title) and the local date,
    e.g. ``Weekly release 2026-11-30``; a template with a placeholder gets the date there."""
    date = due.astimezone(zone).date().isoformat()
    template = playbook.channel.channel_name_template
    if not template.strip():
        return f"{playbook.title} {date}"
    try:
        default = run_display_name(template, "", values={"SEQ": "…"})
    except RunNameRequiredError:
        return date  # the template's placeholder takes the date: "Release <name>" → "Release 2026-11-30"
    return f"{default} {date}"


async def run_due(job: Job, services: Services) -> datetime | None:
    """Job handler: start the occurrence's run (once) and return when the next one is due."""
    schedule_id = str(job.payload.get("schedule_id", ""))
    async with services.transaction() as session:
        schedules = ScheduleRepository(session)
        schedule = await schedules.get(schedule_id)
        if schedule is None or not schedule.enabled:
            return None
        playbook = await PlaybookRepository(session).get(schedule.playbook_id)
        already = await schedules.occurrence_handled(job.idempotency_key)
    zone = _zone(schedule)
    now = services.clock()
    if playbook is None:
        async with services.transaction() as session:
            await ScheduleRepository(session).disable(schedule.id, "The playbook was deleted.")
        log.info("schedule %s stopped: its playbook %s is gone", schedule.id, schedule.playbook_id)
        return None
    following = _recurrence(schedule, zone, now).first_at_or_after(now, job.due_at, zone)
    error = None if already else await _start(services, schedule, playbook, job, zone)
    async with services.transaction() as session:
        await ScheduleRepository(session).advanced(schedule.id, following, error=error)
    return following


async def _start(
    services: Services, schedule: RunSchedule, playbook: Playbook, job: Job, zone: ZoneInfo
) -> str | None:
    """Start the occurrence's run; what went wrong for good (``None`` when it started). A failure
    that may pass (Mattermost unreachable before the run was stored) is raised, to be retried."""
    token = _STARTING.set(_Occurrence(schedule.id, job.idempotency_key))
    try:
        started = await start_run(
            services,
            playbook=playbook,
            user_id=schedule.owner_id,
            team_id=schedule.team_id,
            name=scheduled_run_name(playbook, job.due_at, zone),
            summary=None,
            trigger_channel_id="",
        )
    except OccurrenceAlreadyStartedError:
        log.info("schedule %s: the run of %s was already started", schedule.id, job.idempotency_key)
        return None
    except RunSetupIncompleteError as error:
        log.warning("schedule %s started run %s, but its set-up is incomplete", schedule.id, error.run.id)
        return None
    except DomainError as error:
        log.warning("schedule %s could not start a run: %s", schedule.id, error.message)
        return error.message
    finally:
        _STARTING.reset(token)
    log.info("schedule %s started run %s", schedule.id, started.run.id)
    return None


def _zone(schedule: RunSchedule) -> ZoneInfo:
    try:
        return time_zone(schedule.timezone)
    except ScheduleError:
        return ZoneInfo("UTC")


def _recurrence(schedule: RunSchedule, zone: ZoneInfo, now: datetime) -> Recurrence:
    return parse_spec(schedule.spec, zone, now)
