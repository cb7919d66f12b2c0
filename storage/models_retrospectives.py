"""Tables: retrospectives and their metric values, and the run indexes insights read through.

A retrospective row exists once someone publishes; its metric values are rows of their own,
copied with the run's playbook and publish time so that "the last values of this metric" and
"its average" are range scans of one index, however many runs there are.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import ID, Base
from storage.models import RunRow


class RetrospectiveRow(Base):
    """A run's published retrospective, and the posts that show it (edited when republished)."""

    __tablename__ = "retrospectives"

    run_id: Mapped[str] = mapped_column(ID, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime | None]
    published_by: Mapped[str | None] = mapped_column(ID)
    revision: Mapped[int] = mapped_column(Integer)
    post_id: Mapped[str | None] = mapped_column(ID)
    broadcast_posts: Mapped[dict[str, Any]]
    """Broadcast channel id → the retrospective's post there."""
    updated_at: Mapped[datetime]


class RetrospectiveMetricValueRow(Base):
    """One metric's value in a published retrospective, in the playbook's metric order."""

    __tablename__ = "retrospective_metric_values"

    run_id: Mapped[str] = mapped_column(
        ID, ForeignKey("retrospectives.run_id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    playbook_id: Mapped[str | None] = mapped_column(ID)
    title: Mapped[str] = mapped_column(Text)
    type: Mapped[str] = mapped_column(String(32))
    value: Mapped[int | None] = mapped_column(BigInteger)
    published_at: Mapped[datetime]

    __table_args__ = (
        # Covering: a metric's values by publish time, and their average, without touching rows.
        Index(
            "ix_retrospective_metric_values_playbook_id_title_published_at",
            "playbook_id",
            "title",
            "published_at",
            "value",
        ),
    )


# Insights count runs per week and measure time to finish over a window of weeks; these indexes
# turn each question into a range scan of one index (the finished ones cover the duration).
RUN_INSIGHT_INDEXES = (
    Index("ix_runs_team_id_created_at", RunRow.team_id, RunRow.created_at),
    Index("ix_runs_playbook_id_created_at", RunRow.playbook_id, RunRow.created_at),
    Index(
        "ix_runs_team_id_status_finished_at",
        RunRow.team_id,
        RunRow.status,
        RunRow.finished_at,
        RunRow.created_at,
    ),
    Index(
        "ix_runs_playbook_id_status_finished_at",
        RunRow.playbook_id,
        RunRow.status,
        RunRow.finished_at,
        RunRow.created_at,
    ),
)
