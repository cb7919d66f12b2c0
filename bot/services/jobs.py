"""Scheduling work for later, inside the caller's transaction (see :mod:`bot.scheduler`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.repositories.jobs import Job, JobRepository

__all__ = ["Job", "cancel_job", "schedule_job"]


async def schedule_job(
    session: AsyncSession,
    *,
    kind: str,
    key: str,
    due_at: datetime,
    payload: Mapping[str, Any] | None = None,
) -> None:
    """Make the job ``key`` due at ``due_at``; scheduling a key again replaces its time and payload.

    It commits with the caller's transaction, so work is scheduled exactly when the change
    that calls for it is stored.
    """
    if due_at.tzinfo is None:
        raise ValueError("due_at must be timezone-aware")
    await JobRepository(session).schedule(
        kind=kind, key=key, due_at=due_at, payload=payload or {}, now=datetime.now(UTC)
    )


async def cancel_job(session: AsyncSession, key: str) -> bool:
    """Remove the pending job ``key``; whether there was one."""
    return await JobRepository(session).cancel(key)
