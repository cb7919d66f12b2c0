"""Tables: the history of edits made to playbooks from chat."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import ID, Base


class PlaybookChangeRow(Base):
    """One saved edit of a playbook: who, when, the form's section and the settings it changed."""

    __tablename__ = "playbook_changes"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    playbook_id: Mapped[str] = mapped_column(ID, ForeignKey("playbooks.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(ID)
    section: Mapped[str] = mapped_column(String(32))
    fields: Mapped[str] = mapped_column(Text)
    """The changed settings' names, separated by commas."""
    created_at: Mapped[datetime]

    __table_args__ = (Index("ix_playbook_changes_playbook_id_created_at", "playbook_id", "created_at"),)
