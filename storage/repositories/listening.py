"""What listening to channels keeps: keyword prompts, ignored threads, channel settings, the
catch-up mark, and the cheap "have the playbooks changed?" signature the keyword index checks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, delete, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.channel_settings import ChannelSettings
from storage.models import PlaybookRow, RunRow, TimelineEventRow
from storage.models_listening import CatchUpMarkRow, ChannelSettingsRow, IgnoredThreadRow, KeywordPromptRow
from storage.repositories._sql import insert, utc_now

POSTS_SCOPE = "posts"


@dataclass(frozen=True, slots=True)
class ThreadPromptState:
    """What decides whether a thread may get a keyword prompt: the channel's switch, whether the
    thread is ignored, and the playbook of the channel's run (``""`` when it has none)."""

    keyword_prompts: bool
    ignored: bool
    run_playbook_id: str


@dataclass(frozen=True, slots=True)
class KeywordPrompt:
    """A thread's keyword prompt: the message that triggered it and the summary its buttons prefill."""

    channel_id: str
    root_id: str
    post_id: str
    summary: str
    prompt_post_id: str | None


class ListeningRepository:
    """Reads and writes this area's tables in the caller's transaction (nothing here commits)."""

    def __init__(self, session: AsyncSession, *, clock: Callable[[], datetime] = utc_now) -> None:
        self._session = session
        self._clock = clock

    # Keyword prompts ----------------------------------------------------------------------------

    async def claim_prompt(self, channel_id: str, root_id: str, post_id: str, summary: str) -> bool:
        """Claim the thread's prompt for ``post_id``.

        ``True`` the first time, and again for the same post while its prompt is not yet posted
        (a retry after a failure); ``False`` once another message claimed the thread or the
        prompt is out. The primary key decides, so two replicas never both claim a thread.
        """
        values = {
            "channel_id": channel_id,
            "root_id": root_id,
            "post_id": post_id,
            "summary": summary,
            "created_at": self._clock(),
        }
        statement = insert(self._session, KeywordPromptRow).values(values).on_conflict_do_nothing()
        if (await self._session.execute(statement.returning(KeywordPromptRow.root_id))).first():
            return True
        existing = await self.prompt(channel_id, root_id)
        return existing is not None and existing.post_id == post_id and existing.prompt_post_id is None

    async def set_prompt_post(self, channel_id: str, root_id: str, prompt_post_id: str) -> None:
        """Remember the posted prompt of a thread."""
        parameters = {"in_channel": channel_id, "in_thread": root_id, "prompt_post": prompt_post_id}
        await self._session.execute(_SET_PROMPT_POST, parameters)

    async def prompt(self, channel_id: str, root_id: str) -> KeywordPrompt | None:
        """The thread's prompt, or ``None``."""
        row = await self._session.get(KeywordPromptRow, (channel_id, root_id))
        if row is None:
            return None
        return KeywordPrompt(row.channel_id, row.root_id, row.post_id, row.summary, row.prompt_post_id)

    async def thread_prompt_state(self, channel_id: str, root_id: str) -> ThreadPromptState:
        """The channel's switch, the thread's ignored mark and the channel's run, in one query
        (a prompt is decided on each message with a keyword)."""
        parameters = {"channel_id": channel_id, "root_id": root_id}
        keyword_prompts, ignored, run_playbook_id = (
            await self._session.execute(_THREAD_PROMPT_STATE, parameters)
        ).one()
        return ThreadPromptState(
            keyword_prompts=True if keyword_prompts is None else bool(keyword_prompts),
            ignored=bool(ignored),
            run_playbook_id=run_playbook_id or "",
        )

    # Ignored threads -----------------------------------------------------------------------------

    async def ignore_thread(self, channel_id: str, root_id: str, user_id: str) -> bool:
        """Keep prompts out of the thread from now on; ``False`` if it was already ignored."""
        values = {
            "channel_id": channel_id,
            "root_id": root_id,
            "ignored_by": user_id,
            "created_at": self._clock(),
        }
        statement = insert(self._session, IgnoredThreadRow).values(values).on_conflict_do_nothing()
        return (
            await self._session.execute(statement.returning(IgnoredThreadRow.root_id))
        ).first() is not None

    # Channel settings ----------------------------------------------------------------------------

    async def channel_settings(self, channel_id: str) -> ChannelSettings:
        """The channel's switches (all on for a channel nobody configured)."""
        row = await self._session.get(ChannelSettingsRow, channel_id)
        if row is None:
            return ChannelSettings()
        return ChannelSettings(keyword_prompts=row.keyword_prompts, welcome_message=row.welcome_message)

    async def save_channel_settings(self, channel_id: str, settings: ChannelSettings, user_id: str) -> None:
        """Store the channel's switches, replacing what was there."""
        values = {
            "keyword_prompts": settings.keyword_prompts,
            "welcome_message": settings.welcome_message,
            "updated_by": user_id,
            "updated_at": self._clock(),
        }
        statement = insert(self._session, ChannelSettingsRow).values(channel_id=channel_id, **values)
        await self._session.execute(
            statement.on_conflict_do_update(index_elements=["channel_id"], set_=values)
        )

    # Catch-up mark --------------------------------------------------------------------------------

    async def last_seen_post_at(self, scope: str = POSTS_SCOPE) -> int | None:
        """The ``create_at`` of the newest post handled, or ``None`` before the first."""
        row = await self._session.get(CatchUpMarkRow, scope)
        return None if row is None else row.last_seen_post_at

    async def advance_last_seen_post_at(self, at_ms: int, scope: str = POSTS_SCOPE) -> None:
        """Move the mark forward to ``at_ms``; a smaller value leaves it where it is."""
        statement = insert(self._session, CatchUpMarkRow).values(scope=scope, last_seen_post_at=at_ms)
        statement = statement.on_conflict_do_update(
            index_elements=["scope"],
            set_={"last_seen_post_at": at_ms},
            where=CatchUpMarkRow.last_seen_post_at < at_ms,
        )
        await self._session.execute(statement)

    # Read elsewhere -------------------------------------------------------------------------------

    async def playbooks_signature(self) -> tuple[int, int]:
        """A value that changes whenever any playbook is added, edited or deleted.

        Every write to a playbook bumps its revision (a new one starts at 1), so the count and
        the sum of revisions together change on each; one aggregate query, no documents read.
        """
        statement = select(func.count(PlaybookRow.id), func.coalesce(func.sum(PlaybookRow.revision), 0))
        count, total = (await self._session.execute(statement)).one()
        return int(count), int(total)

    async def delete_timeline_event(self, dedup_key: str) -> bool:
        """Delete the timeline event recorded with ``dedup_key``; ``False`` if there was none."""
        statement = delete(TimelineEventRow).where(TimelineEventRow.dedup_key == dedup_key)
        return (await self._session.execute(statement.returning(TimelineEventRow.id))).first() is not None


# Built once: a prompt is decided on every message with a keyword, and a prebuilt statement keeps
# its compiled form cached.
_THREAD_PROMPT_STATE = select(
    select(ChannelSettingsRow.keyword_prompts)
    .where(ChannelSettingsRow.channel_id == bindparam("channel_id"))
    .scalar_subquery(),
    exists()
    .where(
        IgnoredThreadRow.channel_id == bindparam("channel_id"),
        IgnoredThreadRow.root_id == bindparam("root_id"),
    )
    .label("ignored"),
    select(RunRow.playbook_id).where(RunRow.channel_id == bindparam("channel_id")).scalar_subquery(),
)
_PROMPTS = cast(Table, KeywordPromptRow.__table__)
_SET_PROMPT_POST = (
    update(_PROMPTS)
    .where(_PROMPTS.c.channel_id == bindparam("in_channel"), _PROMPTS.c.root_id == bindparam("in_thread"))
    .values(prompt_post_id=bindparam("prompt_post"))
)
