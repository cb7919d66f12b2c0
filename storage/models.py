"""The schema: declarative tables for playbooks, runs and the service's own bookkeeping.

Columns hold what queries filter, sort or join on; the rest of an aggregate travels in a JSON
``document`` written by :mod:`storage.codec`, so a new domain field needs no migration.
Idempotency is structural: unique keys (``handled_events.key``, ``timeline_events.dedup_key``,
``(playbook_id, number)``) make a replayed write fail or do nothing rather
than apply twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import ID, NAMING_CONVENTION, Base

__all__ = ["ID", "NAMING_CONVENTION", "Base"]


# Playbooks ---------------------------------------------------------------------------------------


class PlaybookRow(Base):
    """A playbook; ``document`` is the whole playbook, the other columns index it."""

    __tablename__ = "playbooks"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    team_id: Mapped[str] = mapped_column(ID, index=True)
    title: Mapped[str] = mapped_column(Text)
    title_normalised: Mapped[str] = mapped_column(Text)
    public: Mapped[bool] = mapped_column(Boolean)
    document: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    deleted_at: Mapped[datetime | None]
    revision: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        # Titles are unique per team among live playbooks; a deleted title may be reused.
        Index(
            "uq_playbooks_team_id_title_normalised",
            "team_id",
            "title_normalised",
            unique=True,
            sqlite_where=text("deleted_at IS NULL"),
            postgresql_where=text("deleted_at IS NULL"),
        ),
    )


class PlaybookMemberRow(Base):
    """Who may see and run a private playbook (``member``) and who may edit it (``admin``)."""

    __tablename__ = "playbook_members"

    playbook_id: Mapped[str] = mapped_column(
        ID, ForeignKey("playbooks.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(ID, primary_key=True, index=True)
    role: Mapped[str] = mapped_column(String(16))

    __table_args__ = (CheckConstraint("role IN ('admin', 'member')", name="role"),)


class RunNumberCounterRow(Base):
    """The last run number handed out per playbook, bumped atomically by an upsert."""

    __tablename__ = "run_number_counters"

    playbook_id: Mapped[str] = mapped_column(
        ID, ForeignKey("playbooks.id", ondelete="CASCADE"), primary_key=True
    )
    last_number: Mapped[int] = mapped_column(Integer)


# Runs --------------------------------------------------------------------------------------------


class RunRow(Base):
    """A run's scalar fields; ``document`` holds the run's fields that have no column."""

    __tablename__ = "runs"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    # Null once the playbook is gone for good; the run keeps its copy of everything it needs.
    playbook_id: Mapped[str | None] = mapped_column(ID, ForeignKey("playbooks.id", ondelete="SET NULL"))
    team_id: Mapped[str] = mapped_column(ID)
    number: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text)
    owner_id: Mapped[str] = mapped_column(ID, index=True)
    reporter_id: Mapped[str] = mapped_column(ID)
    # Not unique: a playbook linked to an existing channel runs there again and again.
    channel_id: Mapped[str] = mapped_column(ID, index=True)
    status: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    revision: Mapped[int] = mapped_column(Integer)
    document: Mapped[dict[str, Any]]

    __table_args__ = (
        UniqueConstraint("playbook_id", "number"),
        # "The team's runs in progress, newest first" is the commonest listing.
        Index("ix_runs_team_id_status_created_at", "team_id", "status", "created_at"),
    )


class RunParticipantRow(Base):
    """A participant of a run."""

    __tablename__ = "run_participants"

    run_id: Mapped[str] = mapped_column(ID, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[str] = mapped_column(ID, primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer)


class RunFollowerRow(Base):
    """A follower of a run."""

    __tablename__ = "run_followers"

    run_id: Mapped[str] = mapped_column(ID, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[str] = mapped_column(ID, primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer)


class RunChecklistRow(Base):
    """A checklist of a run, in ``position`` order; ``document`` holds fields without a column."""

    __tablename__ = "run_checklists"

    run_id: Mapped[str] = mapped_column(ID, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    document: Mapped[dict[str, Any]]


class RunItemRow(Base):
    """A task of a run's checklist, in ``position`` order; ``revision`` guards each change and
    ``document`` holds the item's fields without a column."""

    __tablename__ = "run_items"

    run_id: Mapped[str] = mapped_column(ID, primary_key=True)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    checklist_id: Mapped[str] = mapped_column(ID)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text)
    command: Mapped[str] = mapped_column(Text)
    assignee_id: Mapped[str | None] = mapped_column(ID, index=True)
    due_at: Mapped[datetime | None] = mapped_column(index=True)
    state: Mapped[str] = mapped_column(String(32))
    state_modified_at: Mapped[datetime | None]
    state_modified_by: Mapped[str | None] = mapped_column(ID)
    command_last_run_at: Mapped[datetime | None]
    revision: Mapped[int] = mapped_column(Integer)
    document: Mapped[dict[str, Any]]

    __table_args__ = (
        ForeignKeyConstraint(
            ["run_id", "checklist_id"], ["run_checklists.run_id", "run_checklists.id"], ondelete="CASCADE"
        ),
    )


class TimelineEventRow(Base):
    """One timeline event. A non-null ``dedup_key`` records the event at most once."""

    __tablename__ = "timeline_events"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    run_id: Mapped[str] = mapped_column(ID, ForeignKey("runs.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]
    actor_id: Mapped[str] = mapped_column(ID)
    summary: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]]
    dedup_key: Mapped[str | None] = mapped_column(Text, unique=True)

    __table_args__ = (Index("ix_timeline_events_run_id_at", "run_id", "at"),)


class RunPostRow(Base):
    """The bot's posts for a run by kind (``overview``, ``checklist:<id>``…), edited in place."""

    __tablename__ = "run_posts"

    run_id: Mapped[str] = mapped_column(ID, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(64), primary_key=True)
    post_id: Mapped[str] = mapped_column(ID)


# The service's own state ---------------------------------------------------------------------------


class SlashCommandRow(Base):
    """The ``/playbook`` command registered in a team, with the token Mattermost signs it with."""

    __tablename__ = "slash_commands"

    team_id: Mapped[str] = mapped_column(ID, primary_key=True)
    command_id: Mapped[str] = mapped_column(ID)
    token: Mapped[str] = mapped_column(Text)


class BotSettingRow(Base):
    """A named value the service keeps for itself, such as a generated signing secret."""

    __tablename__ = "bot_settings"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class HandledEventRow(Base):
    """A websocket event or callback already handled; its key's presence stops a replay."""

    __tablename__ = "handled_events"

    key: Mapped[str] = mapped_column(Text, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(index=True)
