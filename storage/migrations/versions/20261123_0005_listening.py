"""Keyword prompts, ignored threads, per-channel settings, the catch-up high-water mark.

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(length=26)


def upgrade() -> None:
    """Create ``keyword_prompts``, ``ignored_threads``, ``channel_settings`` and ``catch_up_marks``."""
    op.create_table(
        "keyword_prompts",
        sa.Column("channel_id", ID, nullable=False),
        sa.Column("root_id", ID, nullable=False),
        sa.Column("post_id", ID, nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("prompt_post_id", ID, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("channel_id", "root_id", name=op.f("pk_keyword_prompts")),
    )
    op.create_table(
        "ignored_threads",
        sa.Column("channel_id", ID, nullable=False),
        sa.Column("root_id", ID, nullable=False),
        sa.Column("ignored_by", ID, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("channel_id", "root_id", name=op.f("pk_ignored_threads")),
    )
    op.create_table(
        "channel_settings",
        sa.Column("channel_id", ID, nullable=False),
        sa.Column("keyword_prompts", sa.Boolean(), nullable=False),
        sa.Column("welcome_message", sa.Boolean(), nullable=False),
        sa.Column("updated_by", ID, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("channel_id", name=op.f("pk_channel_settings")),
    )
    op.create_table(
        "catch_up_marks",
        sa.Column("scope", sa.String(length=64), nullable=False),
        sa.Column("last_seen_post_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("scope", name=op.f("pk_catch_up_marks")),
    )


def downgrade() -> None:
    """Drop this area's tables."""
    for table in ("catch_up_marks", "channel_settings", "ignored_threads", "keyword_prompts"):
        op.drop_table(table)
