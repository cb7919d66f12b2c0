"""Recurring run schedules: stored per team, each with its next time, last run and source."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.schedules import RunSchedule
from storage.models import HandledEventRow
from storage.models_schedules import RunScheduleRow

MAX_ERROR_LENGTH = 500


class ScheduleRepository:
    """Reads and writes ``run_schedules`` in the caller's transaction (it never commits)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, schedule: RunSchedule) -> None:
        """Store a new schedule (its job is scheduled by the caller in the same transaction)."""
        self._session.add(
            RunScheduleRow(
                id=schedule.id,
                playbook_id=schedule.playbook_id,
                team_id=schedule.team_id,
                owner_id=schedule.owner_id,
                spec=schedule.spec,
                timezone=schedule.timezone,
                next_run_at=schedule.next_run_at,
                enabled=schedule.enabled,
                created_at=schedule.created_at,
                last_run_id=schedule.last_run_id,
                last_error=schedule.last_error,
                source=schedule.source,
            )
        )
        await self._session.flush()

    async def get(self, schedule_id: str) -> RunSchedule | None:
        """The schedule with this id, or ``None``."""
        row = await self._session.get(RunScheduleRow, schedule_id)
        return None if row is None else _schedule(row)

    async def list_for_team(self, team_id: str) -> list[RunSchedule]:
        """The team's schedules, soonest first."""
        statement = (
            select(RunScheduleRow)
            .where(RunScheduleRow.team_id == team_id)
            .order_by(RunScheduleRow.next_run_at, RunScheduleRow.id)
        )
        return [_schedule(row) for row in (await self._session.execute(statement)).scalars()]

    async def list_for_playbook(self, playbook_id: str) -> list[RunSchedule]:
        """The playbook's schedules, soonest first."""
        statement = (
            select(RunScheduleRow)
            .where(RunScheduleRow.playbook_id == playbook_id)
            .order_by(RunScheduleRow.next_run_at, RunScheduleRow.id)
        )
        return [_schedule(row) for row in (await self._session.execute(statement)).scalars()]

    async def delete(self, schedule_id: str) -> bool:
        """Remove the schedule; whether there was one."""
        result = await self._session.execute(
            delete(RunScheduleRow).where(RunScheduleRow.id == schedule_id).returning(RunScheduleRow.id)
        )
        return result.first() is not None

    async def started(self, schedule_id: str, run_id: str) -> None:
        """The current occurrence started ``run_id``."""
        await self._session.execute(
            update(RunScheduleRow)
            .where(RunScheduleRow.id == schedule_id)
            .values(last_run_id=run_id, last_error=None)
        )

    async def advanced(self, schedule_id: str, next_run_at: datetime, *, error: str | None = None) -> None:
        """The next occurrence is due at ``next_run_at``; ``error`` says why the last one started
        no run (kept until a run starts)."""
        values: dict[str, object] = {"next_run_at": next_run_at}
        if error is not None:
            values["last_error"] = error[:MAX_ERROR_LENGTH]
        await self._session.execute(
            update(RunScheduleRow).where(RunScheduleRow.id == schedule_id).values(values)
        )

    async def disable(self, schedule_id: str, error: str) -> None:
        """Stop the schedule for good (its playbook is gone), saying why."""
        await self._session.execute(
            update(RunScheduleRow)
            .where(RunScheduleRow.id == schedule_id)
            .values(enabled=False, last_error=error[:MAX_ERROR_LENGTH])
        )

    async def occurrence_handled(self, key: str) -> bool:
        """Whether the occurrence ``key`` was marked handled (its run was stored)."""
        statement = select(HandledEventRow.key).where(HandledEventRow.key == key)
        return (await self._session.execute(statement)).first() is not None


def _schedule(row: RunScheduleRow) -> RunSchedule:
    return RunSchedule(
        id=row.id,
        playbook_id=row.playbook_id,
        team_id=row.team_id,
        owner_id=row.owner_id,
        spec=row.spec,
        timezone=row.timezone,
        next_run_at=row.next_run_at,
        enabled=row.enabled,
        created_at=row.created_at,
        last_run_id=row.last_run_id,
        last_error=row.last_error,
        source=row.source,
    )
