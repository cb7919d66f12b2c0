"""Tables: status updates, their deliveries, reminder state per run, personal digest settings.

A run's next due time is kept here (``run_reminders.next_due_at``) and not only in the scheduled
job: the job is deleted once its reminder is sent, yet the run stays overdue until someone posts
an update or snoozes, and the overview, ``/playbook todo`` and digests ask "which runs are
overdue" with one indexed query. Both are written in the same transaction, so they agree.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import ID, Base


class StatusUpdateRow(Base):
    """One posted status update of a run."""

    __tablename__ = "status_updates"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    run_id: Mapped[str] = mapped_column(ID, ForeignKey("runs.id", ondelete="CASCADE"))
    author_id: Mapped[str] = mapped_column(ID)
    message: Mapped[str] = mapped_column(Text)
    posted_at: Mapped[datetime]
    next_reminder_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_status_updates_run_id_posted_at", "run_id", "posted_at"),)


class StatusUpdateDeliveryRow(Base):
    """Where an update was delivered (``channel``, ``broadcast:<id>``, ``dm:<user>``) and its post,
    so delivering again after a failure or a restart skips what is done."""

    __tablename__ = "status_update_deliveries"

    update_id: Mapped[str] = mapped_column(
        ID, ForeignKey("status_updates.id", ondelete="CASCADE"), primary_key=True
    )
    target: Mapped[str] = mapped_column(String(64), primary_key=True)
    post_id: Mapped[str] = mapped_column(ID)


class RunReminderRow(Base):
    """A run's status-update reminders: on or off, the interval (0: none) and the next due time."""

    __tablename__ = "run_reminders"

    run_id: Mapped[str] = mapped_column(ID, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean)
    interval_seconds: Mapped[int] = mapped_column(Integer)
    next_due_at: Mapped[datetime | None]
    last_update_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_run_reminders_next_due_at", "next_due_at"),)


class DigestSettingRow(Base):
    """A person's daily digest switch; the time zone is read from their Mattermost profile."""

    __tablename__ = "digest_settings"

    user_id: Mapped[str] = mapped_column(ID, primary_key=True)
    daily: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime]
