"""The history of playbook edits: added with each edit, read back newest first."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.playbook_changes import PlaybookChange, Section
from storage.models_playbook_changes import PlaybookChangeRow
from storage.repositories.playbooks import new_id


class PlaybookChangeRepository:
    """Reads and writes ``playbook_changes`` in the caller's transaction (it never commits)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, change: PlaybookChange) -> None:
        """Record one edit."""
        self._session.add(
            PlaybookChangeRow(
                id=new_id(),
                playbook_id=change.playbook_id,
                user_id=change.user_id,
                section=change.section.value,
                fields=",".join(change.fields),
                created_at=change.at,
            )
        )
        await self._session.flush()

    async def recent(self, playbook_id: str, limit: int) -> list[PlaybookChange]:
        """The playbook's latest ``limit`` edits, newest first."""
        rows = await self._session.scalars(
            select(PlaybookChangeRow)
            .where(PlaybookChangeRow.playbook_id == playbook_id)
            .order_by(PlaybookChangeRow.created_at.desc(), PlaybookChangeRow.id.desc())
            .limit(limit)
        )
        return [
            PlaybookChange(
                playbook_id=row.playbook_id,
                user_id=row.user_id,
                at=row.created_at,
                section=Section(row.section),
                fields=tuple(name for name in row.fields.split(",") if name),
            )
            for row in rows
        ]
