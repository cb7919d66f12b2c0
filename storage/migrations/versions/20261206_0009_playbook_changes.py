"""The history of playbook edits made from chat: ``playbook_changes``.

Revision ID: 0009
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``playbook_changes``: who changed which settings of a playbook, and when."""
    op.create_table(
        "playbook_changes",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("playbook_id", sa.String(length=26), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=26), nullable=False),
        sa.Column("section", sa.String(length=32), nullable=False),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["playbook_id"],
            ["playbooks.id"],
            name=op.f("fk_playbook_changes_playbook_id_playbooks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_playbook_changes")),
        sa.UniqueConstraint("playbook_id", "number", name=op.f("uq_playbook_changes_playbook_id_number")),
    )


def downgrade() -> None:
    """Drop ``playbook_changes``."""
    op.drop_table("playbook_changes")
