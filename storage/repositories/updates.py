"""Status updates, where each was delivered, reminder state per run, and digest settings."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.run import RunStatus
from bot.domain.status import ReminderState, StatusUpdate
from storage.models import RunRow
from storage.models_updates import DigestSettingRow, RunReminderRow, StatusUpdateDeliveryRow, StatusUpdateRow
from storage.repositories._sql import insert


class UpdateRepository:
    """Reads and writes this area's tables in the caller's transaction (it never commits)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    # Updates ------------------------------------------------------------------------------------

    async def add(self, update: StatusUpdate) -> None:
        """Store a new update."""
        self._session.add(
            StatusUpdateRow(
                id=update.id,
                run_id=update.run_id,
                author_id=update.author_id,
                message=update.message,
                posted_at=update.posted_at,
                next_reminder_at=update.next_reminder_at,
            )
        )
        await self._session.flush()

    async def get(self, update_id: str) -> StatusUpdate | None:
        """The update with this id."""
        row = await self._session.get(StatusUpdateRow, update_id)
        return None if row is None else _update(row)

    async def latest(self, run_id: str) -> StatusUpdate | None:
        """The run's newest update."""
        statement = (
            select(StatusUpdateRow)
            .where(StatusUpdateRow.run_id == run_id)
            .order_by(StatusUpdateRow.posted_at.desc(), StatusUpdateRow.id.desc())
            .limit(1)
        )
        row = (await self._session.execute(statement)).scalar_one_or_none()
        return None if row is None else _update(row)

    async def for_run(self, run_id: str) -> list[StatusUpdate]:
        """The run's updates, oldest first."""
        statement = (
            select(StatusUpdateRow)
            .where(StatusUpdateRow.run_id == run_id)
            .order_by(StatusUpdateRow.posted_at, StatusUpdateRow.id)
        )
        return [_update(row) for row in (await self._session.execute(statement)).scalars()]

    async def delivered(self, update_id: str) -> dict[str, str]:
        """Where the update was delivered already: target → post id."""
        statement = select(StatusUpdateDeliveryRow).where(StatusUpdateDeliveryRow.update_id == update_id)
        return {row.target: row.post_id for row in (await self._session.execute(statement)).scalars()}

    async def mark_delivered(self, update_id: str, target: str, post_id: str) -> None:
        """Record a delivery (a repeated one is ignored)."""
        statement = (
            insert(self._session, StatusUpdateDeliveryRow)
            .values(update_id=update_id, target=target, post_id=post_id)
            .on_conflict_do_nothing()
        )
        await self._session.execute(statement)

    # Reminders ----------------------------------------------------------------------------------

    async def reminder(self, run_id: str) -> ReminderState:
        """The run's reminder state (off, when never set)."""
        row = await self._session.get(RunReminderRow, run_id)
        if row is None:
            return ReminderState()
        return ReminderState(
            enabled=row.enabled,
            interval=timedelta(seconds=row.interval_seconds) if row.interval_seconds > 0 else None,
            next_due_at=row.next_due_at,
            last_update_at=row.last_update_at,
        )

    async def set_reminder(self, run_id: str, state: ReminderState) -> None:
        """Store the run's reminder state."""
        values = {
            "enabled": state.enabled,
            "interval_seconds": int(state.interval.total_seconds()) if state.interval else 0,
            "next_due_at": state.next_due_at,
            "last_update_at": state.last_update_at,
        }
        statement = insert(self._session, RunReminderRow).values(run_id=run_id, **values)
        await self._session.execute(statement.on_conflict_do_update(index_elements=["run_id"], set_=values))

    async def overdue_owned_by(self, owner_id: str, now: datetime) -> list[tuple[str, datetime]]:
        """(run id, due time) of the in-progress runs ``owner_id`` owns whose update is overdue."""
        statement = (
            select(RunReminderRow.run_id, RunReminderRow.next_due_at)
            .join(RunRow, RunRow.id == RunReminderRow.run_id)
            .where(RunRow.owner_id == owner_id, *_overdue(now))
            .order_by(RunReminderRow.next_due_at)
        )
        rows = (await self._session.execute(statement)).all()
        return [(run_id, due) for run_id, due in rows if due is not None]

    async def count_overdue(self, now: datetime) -> int:
        """How many in-progress runs, whoever owns them, have a status update overdue at ``now``."""
        statement = (
            select(func.count())
            .select_from(RunReminderRow)
            .join(RunRow, RunRow.id == RunReminderRow.run_id)
            .where(*_overdue(now))
        )
        return int((await self._session.execute(statement)).scalar_one())

    # Digests ------------------------------------------------------------------------------------

    async def digest_enabled(self, user_id: str) -> bool:
        """Whether the person asked for a daily digest."""
        row = await self._session.get(DigestSettingRow, user_id)
        return row is not None and row.daily

    async def set_digest(self, user_id: str, daily: bool, at: datetime) -> None:
        """Switch the person's daily digest on or off."""
        statement = insert(self._session, DigestSettingRow).values(
            user_id=user_id, daily=daily, updated_at=at
        )
        await self._session.execute(
            statement.on_conflict_do_update(
                index_elements=["user_id"], set_={"daily": daily, "updated_at": at}
            )
        )


def _overdue(now: datetime) -> tuple[ColumnElement[bool], ...]:
    """The overdue rule in SQL (reminders on, the run in progress, the due time passed), shared
    by ``/playbook todo`` and the metrics gauge so the two never disagree about which runs are
    overdue."""
    return (
        RunRow.status == RunStatus.IN_PROGRESS.value,
        RunReminderRow.enabled.is_(True),
        RunReminderRow.next_due_at <= now,
    )


def _update(row: StatusUpdateRow) -> StatusUpdate:
    return StatusUpdate(
        id=row.id,
        run_id=row.run_id,
        author_id=row.author_id,
        message=row.message,
        posted_at=row.posted_at,
        next_reminder_at=row.next_reminder_at,
    )
