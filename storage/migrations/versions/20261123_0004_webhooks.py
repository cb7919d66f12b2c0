"""Webhook deliveries and recurring run schedules.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(length=26)
TIMESTAMP = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    """Create ``webhook_deliveries`` and ``run_schedules``."""
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", ID, nullable=False),
        sa.Column("run_id", ID, nullable=False),
        sa.Column("playbook_id", ID, nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("complete", sa.Boolean(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_attempt_at", TIMESTAMP, nullable=True),
        sa.Column("delivered_at", TIMESTAMP, nullable=True),
        sa.Column("failed_at", TIMESTAMP, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_webhook_deliveries_run_id_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
    )
    op.create_index("ix_webhook_deliveries_run_id_created_at", "webhook_deliveries", ["run_id", "created_at"])
    op.create_index(
        "ix_webhook_deliveries_playbook_id_created_at", "webhook_deliveries", ["playbook_id", "created_at"]
    )
    op.create_table(
        "run_schedules",
        sa.Column("id", ID, nullable=False),
        sa.Column("playbook_id", ID, nullable=False),
        sa.Column("team_id", ID, nullable=False),
        sa.Column("owner_id", ID, nullable=False),
        sa.Column("spec", sa.Text(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("next_run_at", TIMESTAMP, nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("last_run_id", ID, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run_schedules")),
    )
    op.create_index(op.f("ix_run_schedules_playbook_id"), "run_schedules", ["playbook_id"])
    op.create_index(op.f("ix_run_schedules_team_id"), "run_schedules", ["team_id"])


def downgrade() -> None:
    """Drop them again."""
    op.drop_index(op.f("ix_run_schedules_team_id"), table_name="run_schedules")
    op.drop_index(op.f("ix_run_schedules_playbook_id"), table_name="run_schedules")
    op.drop_table("run_schedules")
    op.drop_index("ix_webhook_deliveries_playbook_id_created_at", table_name="webhook_deliveries")
    op.drop_index("ix_webhook_deliveries_run_id_created_at", table_name="webhook_deliveries")
    op.drop_table("webhook_deliveries")
