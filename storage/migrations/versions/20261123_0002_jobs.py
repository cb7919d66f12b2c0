"""Scheduled jobs: reminders, digests, schedules and deliveries that fall due, claimed once.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401 - used as tables are added
from alembic import op  # noqa: F401

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create this area's tables (none yet)."""


def downgrade() -> None:
    """Drop this area's tables (none yet)."""
