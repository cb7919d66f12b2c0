"""Tables: the history of edits made to playbooks from chat."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import ID, Base


class PlaybookChangeRow(Base):
    """One saved edit of a playbook: who, when, the form's section and the settings it changed."""

    __tablename__ = "playbook_changes"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    playbook_id: Mapped[str] = mapped_column(ID, ForeignKey("playbooks.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    """The edit's place in the playbook's history, from 1: the order even within one instant."""
    user_id: Mapped[str] = mapped_column(ID)
    section: Mapped[str] = mapped_column(String(32))
    fields: Mapped[str] = mapped_column(Text)
    """The changed settings' names, separated by commas."""
    created_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("playbook_id", "number"),)
