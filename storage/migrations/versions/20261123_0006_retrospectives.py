"""Retrospectives and metric values, and the run indexes insights read through.

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(length=26)
TIMESTAMP = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

RUN_INDEXES = {
    "ix_runs_team_id_created_at": ["team_id", "created_at"],
    "ix_runs_playbook_id_created_at": ["playbook_id", "created_at"],
    "ix_runs_team_id_status_finished_at": ["team_id", "status", "finished_at", "created_at"],
    "ix_runs_playbook_id_status_finished_at": ["playbook_id", "status", "finished_at", "created_at"],
}
VALUES_INDEX = "ix_retrospective_metric_values_playbook_id_title_published_at"


def upgrade() -> None:
    """Create ``retrospectives`` and ``retrospective_metric_values``; index runs for insights."""
    op.create_table(
        "retrospectives",
        sa.Column("run_id", ID, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("published_at", TIMESTAMP, nullable=True),
        sa.Column("published_by", ID, nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("post_id", ID, nullable=True),
        sa.Column("broadcast_posts", JSON, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_retrospectives_run_id_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_retrospectives")),
    )
    op.create_table(
        "retrospective_metric_values",
        sa.Column("run_id", ID, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("playbook_id", ID, nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=True),
        sa.Column("published_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["retrospectives.run_id"],
            name=op.f("fk_retrospective_metric_values_run_id_retrospectives"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("run_id", "position", name=op.f("pk_retrospective_metric_values")),
    )
    op.create_index(
        VALUES_INDEX, "retrospective_metric_values", ["playbook_id", "title", "published_at", "value"]
    )
    for name, columns in RUN_INDEXES.items():
        op.create_index(name, "runs", columns)


def downgrade() -> None:
    """Drop them again."""
    for name in RUN_INDEXES:
        op.drop_index(name, table_name="runs")
    op.drop_index(VALUES_INDEX, table_name="retrospective_metric_values")
    op.drop_table("retrospective_metric_values")
    op.drop_table("retrospectives")
