"""Status updates, reminder settings per run, personal digest settings.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401 - used as tables are added
from alembic import op  # noqa: F401

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create this area's tables (none yet)."""


def downgrade() -> None:
    """Drop this area's tables (none yet)."""
