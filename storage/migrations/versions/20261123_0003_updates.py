"""Status updates and their deliveries, reminder state per run, personal digest settings.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(length=26)
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create ``status_updates``, ``status_update_deliveries``, ``run_reminders``, ``digest_settings``."""
    op.create_table(
        "status_updates",
        sa.Column("id", ID, nullable=False),
        sa.Column("run_id", ID, nullable=False),
        sa.Column("author_id", ID, nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("posted_at", TIMESTAMP, nullable=False),
        sa.Column("next_reminder_at", TIMESTAMP, nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_status_updates_run_id_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_updates")),
    )
    op.create_index("ix_status_updates_run_id_posted_at", "status_updates", ["run_id", "posted_at"])
    op.create_table(
        "status_update_deliveries",
        sa.Column("update_id", ID, nullable=False),
        sa.Column("target", sa.String(length=64), nullable=False),
        sa.Column("post_id", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["update_id"],
            ["status_updates.id"],
            name=op.f("fk_status_update_deliveries_update_id_status_updates"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("update_id", "target", name=op.f("pk_status_update_deliveries")),
    )
    op.create_table(
        "run_reminders",
        sa.Column("run_id", ID, nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("interval_seconds", sa.Integer(), nullable=False),
        sa.Column("next_due_at", TIMESTAMP, nullable=True),
        sa.Column("last_update_at", TIMESTAMP, nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_run_reminders_run_id_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_run_reminders")),
    )
    op.create_index("ix_run_reminders_next_due_at", "run_reminders", ["next_due_at"])
    op.create_table(
        "digest_settings",
        sa.Column("user_id", ID, nullable=False),
        sa.Column("daily", sa.Boolean(), nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_digest_settings")),
    )


def downgrade() -> None:
    """Drop them again."""
    op.drop_table("digest_settings")
    op.drop_index("ix_run_reminders_next_due_at", table_name="run_reminders")
    op.drop_table("run_reminders")
    op.drop_table("status_update_deliveries")
    op.drop_index("ix_status_updates_run_id_posted_at", table_name="status_updates")
    op.drop_table("status_updates")
