"""Several runs may share a channel: ``runs.channel_id`` is indexed, no longer unique.

A playbook linked to an existing channel starts each of its runs there, so the channel may hold
a run in progress while another starts.

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Replace the unique constraint on ``runs.channel_id`` by an index."""
    with op.batch_alter_table("runs") as batch:
        batch.drop_constraint(op.f("uq_runs_channel_id"), type_="unique")
        batch.create_index(op.f("ix_runs_channel_id"), ["channel_id"], unique=False)


def downgrade() -> None:
    """Make ``runs.channel_id`` unique again (fails while a channel holds several runs)."""
    with op.batch_alter_table("runs") as batch:
        batch.drop_index(op.f("ix_runs_channel_id"))
        batch.create_unique_constraint(op.f("uq_runs_channel_id"), ["channel_id"])
