"""Tables: scheduled jobs — reminders, digests, schedules and deliveries that fall due, claimed once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base


class ScheduledJobRow(Base):
    """One pending piece of work, due at ``due_at``; at most one per ``key``.

    ``version`` changes whenever the job is rescheduled, so a replica finishing an older
    version never deletes the newer schedule. ``claimed_until`` is a lease: a replica that
    dies mid-job lets another take the job over once the lease has passed.
    """

    __tablename__ = "scheduled_jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(255), unique=True)
    due_at: Mapped[datetime]
    payload: Mapped[dict[str, Any]]
    version: Mapped[int] = mapped_column(Integer, default=1)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    parked_at: Mapped[datetime | None]
    created_at: Mapped[datetime]

    __table_args__ = (Index("ix_scheduled_jobs_parked_at_due_at", "parked_at", "due_at"),)
