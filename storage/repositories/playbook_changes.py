"""The history of playbook edits: added with each edit, read back newest first."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.playbook_changes import PlaybookChange, Section
from storage.errors import StaleRevisionError
from storage.models_playbook_changes import PlaybookChangeRow
from storage.repositories.playbooks import new_id


class PlaybookChangeRepository:
    """Reads and writes ``playbook_changes`` in the caller's transaction (it never commits)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, change: PlaybookChange) -> None:
        """Record one edit, numbered after the playbook's latest (a concurrent one fails as a duplicate)."""
        latest = await self._session.scalar(
            select(func.max(PlaybookChangeRow.number)).where(
                PlaybookChangeRow.playbook_id == change.playbook_id
            )
        )
        self._session.add(
            PlaybookChangeRow(
                id=new_id(),
                playbook_id=change.playbook_id,
                number=(latest or 0) + 1,
                user_id=change.user_id,
                section=change.section.value,
                fields=",".join(change.fields),
                created_at=change.at,
            )
        )
        try:
            await self._session.flush()
        except IntegrityError as error:  # another edit took the number meanwhile
            message = "The playbook was edited at the same moment; please try again."
            raise StaleRevisionError(message) from error

    async def recent(self, playbook_id: str, limit: int) -> list[PlaybookChange]:
        """The playbook's latest ``limit`` edits, newest first."""
        rows = await self._session.scalars(
            select(PlaybookChangeRow)
            .where(PlaybookChangeRow.playbook_id == playbook_id)
            .order_by(PlaybookChangeRow.number.desc())
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
