"""Playbooks: stored whole as documents, indexed by team, title and membership."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, exists, or_, select, update
from sqlalchemy import insert as bulk_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.playbook import Playbook
from storage.errors import DuplicateError, NotFoundError, StaleRevisionError
from storage.mapping import normalise_title, playbook_document, playbook_from_document, playbook_member_rows
from storage.models import PlaybookMemberRow, PlaybookRow
from storage.repositories._sql import insert, utc_now


def new_id() -> str:
    """A new 26-character id in Mattermost's alphabet (lowercase base 32 of 128 random bits)."""
    return base64.b32encode(uuid.uuid4().bytes).decode().lower().rstrip("=")


@dataclass(frozen=True, slots=True)
class PlaybookRecord:
    """A stored playbook with its bookkeeping: ``revision`` is what :meth:`update` checks."""

    playbook: Playbook
    revision: int
    created_at: datetime
    updated_at: datetime


class PlaybookRepository:
    """Playbooks in the caller's transaction (nothing here commits).

    Deleting is soft: a deleted playbook disappears from every query here but stays in the
    database for its runs, and its title may be reused.
    """

    def __init__(
        self,
        session: AsyncSession,
        *,
        clock: Callable[[], datetime] = utc_now,
        make_id: Callable[[], str] = new_id,
    ) -> None:
        self._session = session
        self._clock = clock
        self._make_id = make_id

    async def add(self, playbook: Playbook) -> Playbook:
        """Store a new playbook, giving it an id if it has none; returns the stored playbook.

        Raises:
            DuplicateError: a live playbook of the team already has this title (in any case), or
                the id is taken.
        """
        if not playbook.id:
            playbook = replace(playbook, id=self._make_id())
        now = self._clock()
        row = self._columns(playbook) | {"id": playbook.id, "created_at": now, "revision": 1}
        # ON CONFLICT DO NOTHING keeps the caller's transaction usable when the title is taken.
        statement = insert(self._session, PlaybookRow).values(row).on_conflict_do_nothing()
        inserted = await self._session.execute(statement.returning(PlaybookRow.id))
        if inserted.first() is None:
            if await self._title_taken(playbook):
                raise _duplicate_title(playbook.title)
            raise DuplicateError(f"A playbook with id {playbook.id} already exists.")
        await self._write_members(playbook)
        return playbook

    async def get(self, playbook_id: str) -> Playbook | None:
        """The live playbook with this id, or ``None``."""
        record = await self.get_record(playbook_id)
        return None if record is None else record.playbook

    async def get_record(self, playbook_id: str, *, include_deleted: bool = False) -> PlaybookRecord | None:
        """The playbook with this id and its revision and timestamps, or ``None``.

        ``include_deleted`` also finds a deleted playbook, for runs that still refer to it.
        """
        statement = select(PlaybookRow).where(PlaybookRow.id == playbook_id)
        if not include_deleted:
            statement = statement.where(PlaybookRow.deleted_at.is_(None))
        row = (await self._session.execute(statement)).scalar_one_or_none()
        if row is None:
            return None
        return PlaybookRecord(
            playbook_from_document(row.document), row.revision, row.created_at, row.updated_at
        )

    async def get_by_title(self, team_id: str, title: str) -> Playbook | None:
        """The team's live playbook with this title, ignoring case and spacing, or ``None``."""
        statement = select(PlaybookRow.document).where(
            PlaybookRow.team_id == team_id,
            PlaybookRow.title_normalised == normalise_title(title),
            PlaybookRow.deleted_at.is_(None),
        )
        document = (await self._session.execute(statement)).scalar_one_or_none()
        return None if document is None else playbook_from_document(document)

    async def list_for_team(self, team_ids: Collection[str]) -> list[Playbook]:
        """Every live playbook of these teams, by title."""
        return await self._list(PlaybookRow.team_id.in_(list(team_ids)))

    async def list_visible(
        self, user_id: str, team_ids: Collection[str], *, is_system_admin: bool = False
    ) -> list[Playbook]:
        """The live playbooks of these teams that ``user_id`` may see, by title.

        That is the public ones and the private ones the user is a member or admin of; a system
        admin sees them all. ``team_ids`` should be the teams the user belongs to (for a system
        admin, the teams asked about).
        """
        if is_system_admin:
            return await self.list_for_team(team_ids)
        membership = exists().where(
            PlaybookMemberRow.playbook_id == PlaybookRow.id, PlaybookMemberRow.user_id == user_id
        )
        visible = or_(PlaybookRow.public.is_(True), membership)
        return await self._list(PlaybookRow.team_id.in_(list(team_ids)), visible)

    async def update(self, playbook: Playbook, *, expected_revision: int | None = None) -> int:
        """Replace the stored playbook with ``playbook``; returns the new revision.

        With ``expected_revision`` the update applies only if nobody else saved since that
        revision was read, so concurrent edits cannot silently overwrite each other.

        Raises:
            NotFoundError: no live playbook has this id.
            StaleRevisionError: the stored revision is not ``expected_revision``.
            DuplicateError: another live playbook of the team has the new title.
        """
        if await self._title_taken(playbook):
            raise _duplicate_title(playbook.title)
        condition = [PlaybookRow.id == playbook.id, PlaybookRow.deleted_at.is_(None)]
        if expected_revision is not None:
            condition.append(PlaybookRow.revision == expected_revision)
        values = self._columns(playbook) | {"revision": PlaybookRow.revision + 1}
        statement = update(PlaybookRow).where(*condition).values(values).returning(PlaybookRow.revision)
        try:
            revision = (await self._session.execute(statement)).scalar_one_or_none()
        except IntegrityError as error:  # the title was taken concurrently, after the check above
            raise _duplicate_title(playbook.title) from error
        if revision is None:
            await self._explain_missed_update(playbook.id)
        await self._session.execute(
            delete(PlaybookMemberRow).where(PlaybookMemberRow.playbook_id == playbook.id)
        )
        await self._write_members(playbook)
        assert revision is not None
        return revision

    async def delete(self, playbook_id: str) -> bool:
        """Delete the playbook (softly); ``False`` if there was no live playbook with this id."""
        now = self._clock()
        statement = (
            update(PlaybookRow)
            .where(PlaybookRow.id == playbook_id, PlaybookRow.deleted_at.is_(None))
            .values(deleted_at=now, updated_at=now, revision=PlaybookRow.revision + 1)
            .returning(PlaybookRow.id)
        )
        return (await self._session.execute(statement)).first() is not None

    # Internals -----------------------------------------------------------------------------------

    def _columns(self, playbook: Playbook) -> dict[str, Any]:
        return {
            "team_id": playbook.team_id,
            "title": playbook.title,
            "title_normalised": normalise_title(playbook.title),
            "public": playbook.public,
            "document": playbook_document(playbook),
            "updated_at": self._clock(),
        }

    async def _list(self, *conditions: ColumnElement[bool]) -> list[Playbook]:
        statement = (
            select(PlaybookRow.document)
            .where(PlaybookRow.deleted_at.is_(None), *conditions)
            .order_by(PlaybookRow.title_normalised, PlaybookRow.id)
        )
        documents = (await self._session.execute(statement)).scalars()
        return [playbook_from_document(document) for document in documents]

    async def _title_taken(self, playbook: Playbook) -> bool:
        statement = select(PlaybookRow.id).where(
            PlaybookRow.team_id == playbook.team_id,
            PlaybookRow.title_normalised == normalise_title(playbook.title),
            PlaybookRow.deleted_at.is_(None),
            PlaybookRow.id != playbook.id,
        )
        return (await self._session.execute(statement.limit(1))).first() is not None

    async def _write_members(self, playbook: Playbook) -> None:
        rows = playbook_member_rows(playbook)
        if rows:
            await self._session.execute(bulk_insert(PlaybookMemberRow), rows)

    async def _explain_missed_update(self, playbook_id: str) -> None:
        if await self.get_record(playbook_id) is None:
            raise NotFoundError("That playbook no longer exists.")
        raise StaleRevisionError(
            "The playbook was changed by someone else meanwhile; reload it and try again."
        )


def _duplicate_title(title: str) -> DuplicateError:
    return DuplicateError(f"A playbook named “{title}” already exists in this team.")
