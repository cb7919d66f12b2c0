"""Scheduled jobs: schedule by key, claim what is due exactly once, finish, retry or park."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models_jobs import ScheduledJobRow
from storage.repositories._sql import insert


@dataclass(frozen=True, slots=True)
class Job:
    """A claimed job: what to do (``kind``, ``payload``) and for which schedule (``key``, ``due_at``)."""

    id: int
    kind: str
    key: str
    due_at: datetime
    payload: Mapping[str, Any] = field(default_factory=dict)
    attempts: int = 0
    version: int = 1

    @property
    def idempotency_key(self) -> str:
        """Stable for one due occurrence of this job: use it as ``pending_post_id`` and the like,
        so a job run again after a crash never repeats its effect."""
        return f"{self.key}@{int(self.due_at.timestamp() * 1000)}"


class JobRepository:
    """Reads and writes ``scheduled_jobs`` in the caller's transaction (it never commits)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def schedule(
        self, *, kind: str, key: str, due_at: datetime, payload: Mapping[str, Any], now: datetime
    ) -> None:
        """Make ``key`` due at ``due_at``: create it, or replace its time and payload (a new version)."""
        values = {
            "kind": kind,
            "key": key,
            "due_at": due_at,
            "payload": dict(payload),
            "version": 1,
            "attempts": 0,
            "created_at": now,
        }
        statement = insert(self._session, ScheduledJobRow).values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=["key"],
            set_={
                "kind": kind,
                "due_at": due_at,
                "payload": dict(payload),
                "version": ScheduledJobRow.version + 1,
                "attempts": 0,
                "last_error": None,
                "parked_at": None,
            },
        )
        await self._session.execute(statement)

    async def cancel(self, key: str) -> bool:
        """Remove the job of ``key``; whether there was one."""
        result = await self._session.execute(delete(ScheduledJobRow).where(ScheduledJobRow.key == key))
        return bool(getattr(result, "rowcount", 0))

    async def get(self, key: str) -> Job | None:
        """The pending (or parked) job of ``key``."""
        row = (
            await self._session.execute(select(ScheduledJobRow).where(ScheduledJobRow.key == key))
        ).scalar_one_or_none()
        return None if row is None else _job(row)

    async def claim_due(self, *, now: datetime, worker: str, lease: timedelta, limit: int) -> list[Job]:
        """Claim up to ``limit`` jobs due at ``now`` for ``worker``, oldest first.

        On PostgreSQL the rows are locked with ``FOR UPDATE SKIP LOCKED``, so replicas claiming
        at the same moment take different jobs; a claimed job is invisible to others until its
        lease ends. SQLite serialises writers, which gives the same guarantee for one replica.
        """
        candidates = (
            select(ScheduledJobRow)
            .where(
                ScheduledJobRow.parked_at.is_(None),
                ScheduledJobRow.due_at <= now,
                _unclaimed(now),
            )
            .order_by(ScheduledJobRow.due_at, ScheduledJobRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        rows = list((await self._session.execute(candidates)).scalars())
        # Read before the UPDATE: the session synchronises loaded rows with it.
        jobs = [_job(row, attempts=row.attempts + 1) for row in rows]
        if not jobs:
            return []
        # The claim itself is conditional, so a job another claimer took between our read and
        # this write (possible where SKIP LOCKED does not exist, as on SQLite) is not taken twice.
        claimed = await self._session.execute(
            update(ScheduledJobRow)
            .where(ScheduledJobRow.id.in_([job.id for job in jobs]), _unclaimed(now))
            .values(claimed_by=worker, claimed_until=now + lease, attempts=ScheduledJobRow.attempts + 1)
            .returning(ScheduledJobRow.id)
            .execution_options(synchronize_session=False)
        )
        ids = set(claimed.scalars())
        return [job for job in jobs if job.id in ids]

    async def finish(self, job: Job) -> None:
        """Done: remove the job, unless it was rescheduled meanwhile (then only release it)."""
        await self._session.execute(
            delete(ScheduledJobRow).where(
                ScheduledJobRow.id == job.id, ScheduledJobRow.version == job.version
            )
        )
        await self._release(job)

    async def again_at(self, job: Job, due_at: datetime) -> None:
        """Recurring work: the same job due again at ``due_at`` (unless rescheduled meanwhile)."""
        await self._session.execute(
            update(ScheduledJobRow)
            .where(ScheduledJobRow.id == job.id, ScheduledJobRow.version == job.version)
            .values(
                due_at=due_at,
                version=ScheduledJobRow.version + 1,
                attempts=0,
                last_error=None,
                claimed_by=None,
                claimed_until=None,
            )
        )

    async def retry_at(self, job: Job, due_at: datetime, error: str) -> None:
        """A failed attempt: try again at ``due_at``, keeping the error for operators."""
        await self._session.execute(
            update(ScheduledJobRow)
            .where(ScheduledJobRow.id == job.id, ScheduledJobRow.version == job.version)
            .values(due_at=due_at, last_error=error[:2000], claimed_by=None, claimed_until=None)
        )
        await self._release(job)

    async def park(self, job: Job, error: str, now: datetime) -> None:
        """Give up on a job after too many failures; it stays visible with its error."""
        await self._session.execute(
            update(ScheduledJobRow)
            .where(ScheduledJobRow.id == job.id, ScheduledJobRow.version == job.version)
            .values(parked_at=now, last_error=error[:2000], claimed_by=None, claimed_until=None)
        )

    async def next_due_at(self) -> datetime | None:
        """When the earliest unparked job falls due (claimed or not), if any."""
        result = await self._session.execute(
            select(func.min(ScheduledJobRow.due_at)).where(ScheduledJobRow.parked_at.is_(None))
        )
        value: datetime | None = result.scalar_one_or_none()
        return value

    async def _release(self, job: Job) -> None:
        """Drop the claim on whatever version of the job remains (a newer one is due on its own)."""
        await self._session.execute(
            update(ScheduledJobRow)
            .where(ScheduledJobRow.id == job.id, ScheduledJobRow.version != job.version)
            .values(claimed_by=None, claimed_until=None)
        )


def _unclaimed(now: datetime) -> ColumnElement[bool]:
    return or_(ScheduledJobRow.claimed_until.is_(None), ScheduledJobRow.claimed_until < now)


def _job(row: ScheduledJobRow, *, attempts: int | None = None) -> Job:
    return Job(
        id=row.id,
        kind=row.kind,
        key=row.key,
        due_at=row.due_at,
        payload=dict(row.payload or {}),
        attempts=row.attempts if attempts is None else attempts,
        version=row.version,
    )
