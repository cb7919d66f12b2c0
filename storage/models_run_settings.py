"""Tables: a run's own switches (status updates, broadcasts, the retrospective).

A run without a row follows its playbook; a ``NULL`` switch does too (see
:mod:`bot.domain.run_settings`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import ID, Base


class RunSettingsRow(Base):
    """The switches one run set for itself with ``/playbook settings``."""

    __tablename__ = "run_settings"

    run_id: Mapped[str] = mapped_column(ID, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    status_updates: Mapped[bool | None] = mapped_column(Boolean)
    broadcasts: Mapped[bool | None] = mapped_column(Boolean)
    retrospective: Mapped[bool | None] = mapped_column(Boolean)
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(ID)
