"""Where each run schedule comes from: ``run_schedules.source``, ``command`` or ``file``.

Schedules set with ``/playbook schedule`` are ``command`` ones (every schedule before this
revision); those a playbook file's ``schedules`` define are ``file`` ones, replaced when the file
is imported again.

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``run_schedules.source``; existing schedules were all set with the command."""
    with op.batch_alter_table("run_schedules") as batch:
        batch.add_column(sa.Column("source", sa.String(length=16), server_default="command", nullable=False))


def downgrade() -> None:
    """Drop ``run_schedules.source`` again."""
    with op.batch_alter_table("run_schedules") as batch:
        batch.drop_column("source")
