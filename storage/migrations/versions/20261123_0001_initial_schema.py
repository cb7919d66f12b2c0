"""Initial schema.

Playbooks, runs with their checklists and timeline, and the service's own state.

Revision ID: 0001
Revises:
Create Date: 2026-11-23

Migrations use plain SQLAlchemy types rather than ``storage.types`` so that they keep meaning the
same schema whatever later happens to the application's Python types.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(length=26)
TIMESTAMP = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
LIVE = sa.text("deleted_at IS NULL")


def upgrade() -> None:
    """Create every table."""
    op.create_table(
        "playbooks",
        sa.Column("id", ID, nullable=False),
        sa.Column("team_id", ID, nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("title_normalised", sa.Text(), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("document", JSON, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.Column("deleted_at", TIMESTAMP, nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_playbooks")),
    )
    op.create_index(op.f("ix_playbooks_team_id"), "playbooks", ["team_id"])
    op.create_index(
        "uq_playbooks_team_id_title_normalised",
        "playbooks",
        ["team_id", "title_normalised"],
        unique=True,
        sqlite_where=LIVE,
        postgresql_where=LIVE,
    )

    op.create_table(
        "playbook_members",
        sa.Column("playbook_id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.CheckConstraint("role IN ('admin', 'member')", name=op.f("ck_playbook_members_role")),
        sa.ForeignKeyConstraint(
            ["playbook_id"],
            ["playbooks.id"],
            name=op.f("fk_playbook_members_playbook_id_playbooks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("playbook_id", "user_id", name=op.f("pk_playbook_members")),
    )
    op.create_index(op.f("ix_playbook_members_user_id"), "playbook_members", ["user_id"])

    op.create_table(
        "run_number_counters",
        sa.Column("playbook_id", ID, nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["playbook_id"],
            ["playbooks.id"],
            name=op.f("fk_run_number_counters_playbook_id_playbooks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("playbook_id", name=op.f("pk_run_number_counters")),
    )

    op.create_table(
        "runs",
        sa.Column("id", ID, nullable=False),
        sa.Column("playbook_id", ID, nullable=True),
        sa.Column("team_id", ID, nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("owner_id", ID, nullable=False),
        sa.Column("reporter_id", ID, nullable=False),
        sa.Column("channel_id", ID, nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("finished_at", TIMESTAMP, nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("document", JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["playbook_id"], ["playbooks.id"], name=op.f("fk_runs_playbook_id_playbooks"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runs")),
        sa.UniqueConstraint("channel_id", name=op.f("uq_runs_channel_id")),
        sa.UniqueConstraint("playbook_id", "number", name=op.f("uq_runs_playbook_id_number")),
    )
    op.create_index(op.f("ix_runs_owner_id"), "runs", ["owner_id"])
    op.create_index("ix_runs_team_id_status_created_at", "runs", ["team_id", "status", "created_at"])

    for people in ("run_participants", "run_followers"):
        op.create_table(
            people,
            sa.Column("run_id", ID, nullable=False),
            sa.Column("user_id", ID, nullable=False),
            sa.Column("position", sa.Integer(), nullable=False),
            sa.ForeignKeyConstraint(
                ["run_id"], ["runs.id"], name=op.f(f"fk_{people}_run_id_runs"), ondelete="CASCADE"
            ),
            sa.PrimaryKeyConstraint("run_id", "user_id", name=op.f(f"pk_{people}")),
        )
        op.create_index(op.f(f"ix_{people}_user_id"), people, ["user_id"])

    op.create_table(
        "run_checklists",
        sa.Column("run_id", ID, nullable=False),
        sa.Column("id", ID, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("document", JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_run_checklists_run_id_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("run_id", "id", name=op.f("pk_run_checklists")),
    )

    op.create_table(
        "run_items",
        sa.Column("run_id", ID, nullable=False),
        sa.Column("id", ID, nullable=False),
        sa.Column("checklist_id", ID, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("command", sa.Text(), nullable=False),
        sa.Column("assignee_id", ID, nullable=True),
        sa.Column("due_at", TIMESTAMP, nullable=True),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("state_modified_at", TIMESTAMP, nullable=True),
        sa.Column("state_modified_by", ID, nullable=True),
        sa.Column("command_last_run_at", TIMESTAMP, nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("document", JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id", "checklist_id"],
            ["run_checklists.run_id", "run_checklists.id"],
            name=op.f("fk_run_items_run_id_checklist_id_run_checklists"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("run_id", "id", name=op.f("pk_run_items")),
    )
    op.create_index(op.f("ix_run_items_assignee_id"), "run_items", ["assignee_id"])
    op.create_index(op.f("ix_run_items_due_at"), "run_items", ["due_at"])

    op.create_table(
        "timeline_events",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("run_id", ID, nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("actor_id", ID, nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("details", JSON, nullable=False),
        sa.Column("dedup_key", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_timeline_events_run_id_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_timeline_events")),
        sa.UniqueConstraint("dedup_key", name=op.f("uq_timeline_events_dedup_key")),
    )
    op.create_index("ix_timeline_events_run_id_at", "timeline_events", ["run_id", "at"])

    op.create_table(
        "run_posts",
        sa.Column("run_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("post_id", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_run_posts_run_id_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("run_id", "kind", name=op.f("pk_run_posts")),
    )

    op.create_table(
        "slash_commands",
        sa.Column("team_id", ID, nullable=False),
        sa.Column("command_id", ID, nullable=False),
        sa.Column("token", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("team_id", name=op.f("pk_slash_commands")),
    )
    op.create_table(
        "bot_settings",
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_bot_settings")),
    )
    op.create_table(
        "handled_events",
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_handled_events")),
    )
    op.create_index(op.f("ix_handled_events_created_at"), "handled_events", ["created_at"])


def downgrade() -> None:
    """Drop every table, children first (indexes go with their tables)."""
    for table in (
        "handled_events",
        "bot_settings",
        "slash_commands",
        "run_posts",
        "timeline_events",
        "run_items",
        "run_checklists",
        "run_followers",
        "run_participants",
        "runs",
        "run_number_counters",
        "playbook_members",
        "playbooks",
    ):
        op.drop_table(table)
