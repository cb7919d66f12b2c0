"""Tables: keyword prompts, ignored threads, per-channel settings, the catch-up high-water mark.

Timeline pins need no table of their own: a pinned message is a timeline event whose
de-duplication key names the post.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import ID, Base


class KeywordPromptRow(Base):
    """The one keyword prompt of a thread, claimed before it is posted so a thread gets one at most.

    ``post_id`` is the message that triggered it and ``summary`` the run summary its *Run* buttons
    prefill; ``prompt_post_id`` is set once the prompt is posted.
    """

    __tablename__ = "keyword_prompts"

    channel_id: Mapped[str] = mapped_column(ID, primary_key=True)
    root_id: Mapped[str] = mapped_column(ID, primary_key=True)
    post_id: Mapped[str] = mapped_column(ID)
    summary: Mapped[str] = mapped_column(Text)
    prompt_post_id: Mapped[str | None] = mapped_column(ID)
    created_at: Mapped[datetime]


class IgnoredThreadRow(Base):
    """A thread where keyword prompts stay quiet: someone chose *Ignore this thread*."""

    __tablename__ = "ignored_threads"

    channel_id: Mapped[str] = mapped_column(ID, primary_key=True)
    root_id: Mapped[str] = mapped_column(ID, primary_key=True)
    ignored_by: Mapped[str] = mapped_column(ID)
    created_at: Mapped[datetime]


class ChannelSettingsRow(Base):
    """Per-channel switches; a channel without a row has everything on."""

    __tablename__ = "channel_settings"

    channel_id: Mapped[str] = mapped_column(ID, primary_key=True)
    keyword_prompts: Mapped[bool] = mapped_column(Boolean)
    welcome_message: Mapped[bool] = mapped_column(Boolean)
    updated_by: Mapped[str] = mapped_column(ID)
    updated_at: Mapped[datetime]


class CatchUpMarkRow(Base):
    """How far the bot has read: the ``create_at`` (ms, Mattermost's clock) of the newest post handled."""

    __tablename__ = "catch_up_marks"

    scope: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_seen_post_at: Mapped[int] = mapped_column(BigInteger)
