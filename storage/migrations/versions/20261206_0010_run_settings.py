"""A run's own switches: ``run_settings`` (status updates, broadcasts, the retrospective).

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(length=26)
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create ``run_settings``; every existing run keeps following its playbook."""
    op.create_table(
        "run_settings",
        sa.Column("run_id", ID, nullable=False),
        sa.Column("status_updates", sa.Boolean(), nullable=True),
        sa.Column("broadcasts", sa.Boolean(), nullable=True),
        sa.Column("retrospective", sa.Boolean(), nullable=True),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.Column("updated_by", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_run_settings_run_id_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_run_settings")),
    )


def downgrade() -> None:
    """Drop ``run_settings``."""
    op.drop_table("run_settings")
