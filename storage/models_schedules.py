"""Tables: recurring run schedules (see :mod:`storage.repositories.schedules`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import ID, Base


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
