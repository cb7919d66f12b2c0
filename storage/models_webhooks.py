"""Tables: webhook deliveries and recurring run schedules."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import ID, Base


class WebhookDeliveryRow(Base):
    """One event sent to one URL: its body, and how each attempt went.

    ``payload`` is the body sent on every attempt (completed with the channel's address and
    people's names before the first one), so retries are byte-for-byte the same request.
    """

    __tablename__ = "webhook_deliveries"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    run_id: Mapped[str] = mapped_column(ID, ForeignKey("runs.id", ondelete="CASCADE"))
    playbook_id: Mapped[str] = mapped_column(ID)
    event: Mapped[str] = mapped_column(String(32))
    url: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]]
    complete: Mapped[bool] = mapped_column(Boolean)
    """Whether ``payload`` has its links and names (filled in before the first attempt)."""
    attempts: Mapped[int] = mapped_column(Integer)
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_attempt_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]
    """When we gave up: refused address, or too many failed attempts."""
    created_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_webhook_deliveries_run_id_created_at", "run_id", "created_at"),
        Index("ix_webhook_deliveries_playbook_id_created_at", "playbook_id", "created_at"),
    )


class RunScheduleRow(Base):
    """A recurring run: ``spec`` (``every 1w``, ``cron "0 9 * * mon"``) read in ``timezone``;
    runs start as ``owner_id``, the person who set it. ``source`` says how it was set: ``command``
    (``/playbook schedule``) or ``file`` (the playbook file's ``schedules``, replaced on re-import)."""

    __tablename__ = "run_schedules"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    playbook_id: Mapped[str] = mapped_column(ID, index=True)
    team_id: Mapped[str] = mapped_column(ID, index=True)
    owner_id: Mapped[str] = mapped_column(ID)
    spec: Mapped[str] = mapped_column(Text)
    timezone: Mapped[str] = mapped_column(String(64))
    next_run_at: Mapped[datetime]
    enabled: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime]
    last_run_id: Mapped[str | None] = mapped_column(ID)
    last_error: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16), server_default="command")
