"""Tables: webhook deliveries."""

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
