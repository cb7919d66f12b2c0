"""Storing run schedules with their jobs, and keeping a playbook's file schedules in step with it.

A schedule is a ``run_schedules`` row plus a job (``schedule:<id>``) due at its next occurrence;
the two are written and removed together, in the caller's transaction. The schedules a playbook's
file defines (its ``schedules`` list) are stored as ``file`` schedules owned by the person who
imported it: importing the file again replaces them, and leaves those set with
``/playbook schedule`` alone. This module sits below :mod:`bot.services.playbooks` (which imports
files) and :mod:`bot.services.schedules` (the commands and the job), so both can use it.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.playbook import Playbook
from bot.domain.schedules import FILE, RunSchedule, ScheduleError, time_zone
from bot.services.jobs import cancel_job, schedule_job
from storage.repositories.playbooks import new_id
from storage.repositories.schedules import ScheduleRepository

if TYPE_CHECKING:
    from bot.services.context import Services

log = logging.getLogger(__name__)

JOB_KIND = "schedule"


def job_key(schedule_id: str) -> str:
    """The scheduler key of a schedule's job."""
    return f"{JOB_KIND}:{schedule_id}"


async def plan_occurrence(session: AsyncSession, schedule_id: str, due_at: datetime) -> None:
    """(Re)schedule the schedule's job for its occurrence at ``due_at``."""
    await schedule_job(
        session, kind=JOB_KIND, key=job_key(schedule_id), due_at=due_at, payload={"schedule_id": schedule_id}
    )


async def add_schedule(session: AsyncSession, schedule: RunSchedule) -> None:
    """Store a new schedule and its job, due at its first occurrence."""
    await ScheduleRepository(session).add(schedule)
    await plan_occurrence(session, schedule.id, schedule.next_run_at)


async def delete_schedule(session: AsyncSession, schedule_id: str) -> bool:
    """Remove a schedule and its pending job; whether there was one."""
    removed = await ScheduleRepository(session).delete(schedule_id)
    await cancel_job(session, job_key(schedule_id))
    return removed


def zone_or_utc(name: str) -> tuple[str, ZoneInfo]:
    """The zone ``name`` and its name, or UTC when the name is empty or unknown."""
    try:
        return (name or "UTC"), time_zone(name)
    except ScheduleError:
        return "UTC", ZoneInfo("UTC")


async def replace_file_schedules(
    session: AsyncSession, playbook: Playbook, *, owner_id: str, owner_timezone: str, now: datetime
) -> tuple[RunSchedule, ...]:
    """Make the playbook's ``file`` schedules those its ``schedules`` list now gives, owned by
    ``owner_id`` (the importer) and read, when a schedule names no time zone, in ``owner_timezone``.

    A stored file schedule that is unchanged (same recurrence, zone and owner) is kept as it is,
    so importing an unchanged file does not move the next runs; the others are removed and the new
    ones added. Schedules set with ``/playbook schedule`` are not touched. Returns the playbook's
    file schedules in the order the file lists them.

    Raises:
        ScheduleError: a schedule cannot be read (a playbook that passed validation never has one).
    """
    stale = [
        schedule
        for schedule in await ScheduleRepository(session).list_for_playbook(playbook.id)
        if schedule.from_file
    ]
    in_force: list[RunSchedule] = []
    for written in playbook.schedules:
        zone_name, zone = (
            (written.timezone, time_zone(written.timezone))
            if written.timezone
            else zone_or_utc(owner_timezone)
        )
        recurrence = written.recurrence(zone, now)
        spec = recurrence.spec
        kept = next(
            (
                schedule
                for schedule in stale
                if (schedule.spec, schedule.timezone, schedule.owner_id) == (spec, zone_name, owner_id)
                and schedule.enabled
            ),
            None,
        )
        if kept is not None:
            stale.remove(kept)
            in_force.append(kept)
            continue
        schedule = RunSchedule(
            id=new_id(),
            playbook_id=playbook.id,
            team_id=playbook.team_id,
            owner_id=owner_id,
            spec=spec,
            timezone=zone_name,
            next_run_at=recurrence.next_after(now, zone),
            enabled=True,
            created_at=now,
            source=FILE,
        )
        await add_schedule(session, schedule)
        in_force.append(schedule)
    for schedule in stale:
        await delete_schedule(session, schedule.id)
    if stale or in_force:
        log.info("playbook %s: %d file schedules, %d removed", playbook.id, len(in_force), len(stale))
    return tuple(in_force)


async def schedules_of_playbook(services: Services, playbook_id: str) -> list[RunSchedule]:
    """The playbook's schedules, from its file and set with the command, soonest first."""
    async with services.transaction() as session:
        return await ScheduleRepository(session).list_for_playbook(playbook_id)
