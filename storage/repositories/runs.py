"""Runs: their checklists and items, timeline, posts and per-playbook numbers.

Concurrency rules, the same on SQLite and PostgreSQL:

* run numbers come from one upsert on a counter row, so concurrent starts never share a number;
* an item is saved with a compare-and-set on its revision, so of two clicks made on the same
  revision exactly one applies;
* a whole run is saved only if its revision is still the one it was read at;
* a write to a run takes the run's row first, so writers of one run queue instead of deadlocking.
"""

from __future__ import annotations

import builtins
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, delete, func, select, update
from sqlalchemy import insert as bulk_insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.domain.run import Run, RunItem, RunStatus
from bot.domain.timeline import TimelineEvent
from storage.errors import DuplicateError, NotFoundError, StaleRevisionError
from storage.mapping import (
    RunRows,
    StoredRow,
    event_from_row,
    event_to_row,
    item_to_row,
    run_from_rows,
    run_to_rows,
)
from storage.models import (
    RunChecklistRow,
    RunFollowerRow,
    RunItemRow,
    RunNumberCounterRow,
    RunParticipantRow,
    RunPostRow,
    RunRow,
    TimelineEventRow,
)
from storage.repositories._sql import insert
from storage.run_cache import Head, holds_connection, note_written, session_cache

_ITEM_PLACE = ("run_id", "id", "checklist_id", "position")


class RunRepository:
    """Runs in the caller's transaction (nothing here commits)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def next_number(self, playbook_id: str) -> int:
        """The next run number of the playbook (1, 2, 3…), never handed out twice.

        A single ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` creates or bumps the counter
        row, so it is atomic on both backends. A number whose run is never stored is skipped.
        """
        statement = insert(self._session, RunNumberCounterRow).values(playbook_id=playbook_id, last_number=1)
        statement = statement.on_conflict_do_update(
            index_elements=["playbook_id"], set_={"last_number": RunNumberCounterRow.last_number + 1}
        )
        result = await self._session.execute(statement.returning(RunNumberCounterRow.last_number))
        return result.scalar_one()

    async def add(self, run: Run) -> None:
        """Store a new run with its checklists and people.

        Raises:
            DuplicateError: the playbook already has a run with this number, or the id is taken.
                The transaction stays usable.
        """
        note_written(self._session, run.id)
        rows = run_to_rows(run)
        statement = insert(self._session, RunRow).values(rows.run).on_conflict_do_nothing()
        inserted = await self._session.execute(statement.returning(RunRow.id))
        if inserted.first() is None:
            raise await self._explain_duplicate(run)
        await self._insert_children(rows)

    async def get(self, run_id: str) -> Run | None:
        """The run with this id, or ``None``."""
        return await self._get_one("id", run_id, RunRow.id == run_id)

    async def get_by_channel(self, channel_id: str) -> Run | None:
        """The run of this channel, or ``None``: of several, the newest in progress, else the
        newest (a channel linked to a playbook holds one run after another)."""
        return await self._get_one("channel_id", channel_id, RunRow.channel_id == channel_id)

    async def count_in_progress(self, channel_id: str) -> int:
        """How many runs of this channel are in progress."""
        statement = select(func.count()).where(
            RunRow.channel_id == channel_id, RunRow.status == RunStatus.IN_PROGRESS.value
        )
        return int((await self._session.execute(statement)).scalar_one())

    async def channel_runs(
        self, channel_id: str, *, status: RunStatus | None = None, number: int | None = None
    ) -> builtins.list[Run]:
        """The runs of this channel (those with ``status``, or ``number``, when given), newest first."""
        conditions = [RunRow.channel_id == channel_id]
        if status is not None:
            conditions.append(RunRow.status == status.value)
        if number is not None:
            conditions.append(RunRow.number == number)
        return await self._load(_runs().where(*conditions).order_by(*_NEWEST_FIRST))

    async def list(
        self,
        *,
        team_id: str | None = None,
        status: RunStatus | None = None,
        participant_id: str | None = None,
        owner_id: str | None = None,
        playbook_id: str | None = None,
        limit: int | None = None,
    ) -> builtins.list[Run]:
        """Runs matching every filter given, newest first."""
        conditions: list[ColumnElement[bool]] = []
        if team_id is not None:
            conditions.append(RunRow.team_id == team_id)
        if status is not None:
            conditions.append(RunRow.status == status.value)
        if owner_id is not None:
            conditions.append(RunRow.owner_id == owner_id)
        if playbook_id is not None:
            conditions.append(RunRow.playbook_id == playbook_id)
        if participant_id is not None:
            participating = select(RunParticipantRow.run_id).where(
                RunParticipantRow.user_id == participant_id
            )
            conditions.append(RunRow.id.in_(participating))
        statement = _runs().where(*conditions).order_by(RunRow.created_at.desc(), RunRow.id)
        if limit is not None:
            statement = statement.limit(limit)
        return await self._load(statement)

    async def save_item_if_revision(self, run_id: str, item: RunItem, expected_revision: int) -> bool:
        """Store ``item`` if the stored item still has ``expected_revision``; ``True`` if it did.

        This is a compare-and-set (``UPDATE … WHERE revision = :expected``), so of concurrent
        saves made from the same revision, by double clicks or by replicas, exactly one wins.
        The run's revision grows with it, so a whole-run save from an older read fails rather
        than overwrite the item. The item keeps its checklist and position.

        Raises:
            ValueError: ``item.revision`` is not above ``expected_revision``; a save that keeps
                the revision would let a replay of the same change apply twice.
        """
        if item.revision <= expected_revision:
            raise ValueError(f"item revision {item.revision} must be above the expected {expected_revision}")
        note_written(self._session, run_id)
        if not await self._lock_run(run_id):
            return False
        row = item_to_row(run_id, "", 0, item)
        values = {name: value for name, value in row.items() if name not in _ITEM_PLACE}
        statement = (
            update(RunItemRow)
            .where(
                RunItemRow.run_id == run_id,
                RunItemRow.id == item.id,
                RunItemRow.revision == expected_revision,
            )
            .values(values)
            .returning(RunItemRow.id)
        )
        if (await self._session.execute(statement)).first() is None:
            return False
        await self._session.execute(
            update(RunRow).where(RunRow.id == run_id).values(revision=RunRow.revision + 1)
        )
        return True

    async def save(self, run: Run, *, expected_revision: int | None = None) -> None:
        """Store every change to ``run`` if nobody saved it since it was read.

        ``expected_revision`` is the revision the run had when read; by default
        ``run.revision - 1``, as every domain operation bumps the revision by one.

        Raises:
            NotFoundError: there is no such run.
            StaleRevisionError: the stored run is no longer at ``expected_revision``.
        """
        expected = run.revision - 1 if expected_revision is None else expected_revision
        if run.revision <= expected:
            raise ValueError(f"run revision {run.revision} must be above the expected {expected}")
        note_written(self._session, run.id)
        rows = run_to_rows(run)
        values = {name: value for name, value in rows.run.items() if name != "id"}
        statement = (
            update(RunRow)
            .where(RunRow.id == run.id, RunRow.revision == expected)
            .values(values)
            .returning(RunRow.id)
        )
        saved = (await self._session.execute(statement)).first()
        if saved is None:
            if await self._lock_run(run.id):
                raise StaleRevisionError("The run was changed meanwhile; reload it and try again.")
            raise NotFoundError("That run no longer exists.")
        for table in (RunItemRow, RunChecklistRow, RunParticipantRow, RunFollowerRow):
            await self._session.execute(delete(table).where(table.run_id == run.id))
        await self._insert_children(rows)

    # Timeline ------------------------------------------------------------------------------------

    async def add_timeline(self, run_id: str, event: TimelineEvent, dedup_key: str | None = None) -> bool:
        """Record ``event``; with a ``dedup_key``, only the first time (``False`` on a replay)."""
        row = event_to_row(run_id, event, dedup_key)
        statement = insert(self._session, TimelineEventRow).values(row).on_conflict_do_nothing()
        return (await self._session.execute(statement.returning(TimelineEventRow.id))).first() is not None

    async def add_timeline_events(self, run_id: str, events: Iterable[TimelineEvent]) -> None:
        """Record several events at once (a :class:`~bot.domain.run.RunChange`'s, say)."""
        rows = [event_to_row(run_id, event) for event in events]
        if rows:
            await self._session.execute(bulk_insert(TimelineEventRow), rows)

    async def timeline(self, run_id: str) -> builtins.list[TimelineEvent]:
        """The run's events, oldest first (in recording order for equal times)."""
        statement = (
            select(*TimelineEventRow.__table__.columns)
            .where(TimelineEventRow.run_id == run_id)
            .order_by(TimelineEventRow.at, TimelineEventRow.id)
        )
        return [event_from_row(row) for row in (await self._session.execute(statement)).mappings()]

    # Posts ---------------------------------------------------------------------------------------

    async def set_post(self, run_id: str, kind: str, post_id: str) -> None:
        """Remember the post that shows ``kind`` (``overview``, ``checklist:<id>``…) for the run."""
        note_written(self._session, run_id)
        statement = insert(self._session, RunPostRow).values(run_id=run_id, kind=kind, post_id=post_id)
        statement = statement.on_conflict_do_update(
            index_elements=["run_id", "kind"], set_={"post_id": post_id}
        )
        await self._session.execute(statement)

    async def posts(self, run_id: str) -> dict[str, str]:
        """The run's remembered posts: kind → post id."""
        result = await self._session.execute(_POSTS, {"run_id": run_id})
        posts = {kind: post_id for kind, post_id in result.all()}
        cache = session_cache(self._session)
        if cache is not None:
            cache.remember_posts(run_id, posts)
        return posts

    async def has_posts(self, run_id: str, kinds: Collection[str]) -> bool:
        """Whether the run has a post of every kind in ``kinds`` (no query once all were seen)."""
        cache = session_cache(self._session)
        if cache is not None and cache.has_posts(run_id, kinds):
            return True
        return set(kinds) <= (await self.posts(run_id)).keys()

    # Internals -----------------------------------------------------------------------------------

    async def _get_one(self, column: str, value: str, condition: ColumnElement[bool]) -> Run | None:
        """One run, from the session's cache when the stored revision still matches it."""
        cache = session_cache(self._session)
        engine = self._session.bind
        if cache is None or not isinstance(engine, AsyncEngine):
            runs = await self._load(_runs().where(condition).order_by(*_CURRENT_FIRST).limit(1))
            return runs[0] if runs else None

        async def query() -> Head:
            async with engine.connect() as connection:
                row = (await connection.execute(_HEADS[column], {"key": value})).first()
            return None if row is None else (row[0], row[1], row[2])

        if holds_connection(self._session):
            row = (await self._session.execute(_HEADS[column], {"key": value})).first()
            found: Head = None if row is None else (row[0], row[1], row[2])
        else:
            found = await cache.head((column, value), query)
        if found is None:
            return None
        run_id, revision, playbook_id = found
        cached = cache.run(run_id, revision, playbook_id or "")
        if cached is not None:
            return cached
        runs = await self._load(_runs().where(RunRow.id == run_id))
        if not runs:
            return None
        # Rows read by separate statements agree when the revision did not move meanwhile.
        again = (await self._session.execute(_HEAD_BY_ID, {"key": run_id})).first()
        if again is not None and tuple(again) == (run_id, runs[0].revision, runs[0].playbook_id or None):
            cache.remember(runs[0])
        return runs[0]

    async def _lock_run(self, run_id: str) -> bool:
        """Take the run's row for this transaction (a no-op update); ``False`` if there is none."""
        statement = (
            update(RunRow).where(RunRow.id == run_id).values(revision=RunRow.revision).returning(RunRow.id)
        )
        return (await self._session.execute(statement)).first() is not None

    async def _insert_children(self, rows: RunRows) -> None:
        for table, values in (
            (RunParticipantRow, rows.participants),
            (RunFollowerRow, rows.followers),
            (RunChecklistRow, rows.checklists),
            (RunItemRow, rows.items),
        ):
            if values:
                await self._session.execute(bulk_insert(table), values)

    async def _load(self, statement: Select[Any]) -> builtins.list[Run]:
        runs = builtins.list((await self._session.execute(statement)).mappings())
        if not runs:
            return []
        ids = [run["id"] for run in runs]
        participants = await self._people(RunParticipantRow, ids)
        followers = await self._people(RunFollowerRow, ids)
        checklists = await self._children(RunChecklistRow, ids)
        items = await self._children(RunItemRow, ids)
        return [
            run_from_rows(
                run, participants[run["id"]], followers[run["id"]], checklists[run["id"]], items[run["id"]]
            )
            for run in runs
        ]

    async def _people(
        self, table: type[RunParticipantRow] | type[RunFollowerRow], run_ids: Sequence[str]
    ) -> Mapping[str, builtins.list[str]]:
        statement = (
            select(table.run_id, table.user_id)
            .where(table.run_id.in_(run_ids))
            .order_by(table.run_id, table.position)
        )
        grouped: defaultdict[str, builtins.list[str]] = defaultdict(list)
        for run_id, user_id in (await self._session.execute(statement)).all():
            grouped[run_id].append(user_id)
        return grouped

    async def _children(
        self, table: type[RunChecklistRow] | type[RunItemRow], run_ids: Sequence[str]
    ) -> Mapping[str, builtins.list[StoredRow]]:
        statement = select(*table.__table__.columns).where(table.run_id.in_(run_ids))
        grouped: defaultdict[str, builtins.list[StoredRow]] = defaultdict(list)
        for row in (await self._session.execute(statement)).mappings():
            grouped[row["run_id"]].append(row)
        return grouped

    async def _explain_duplicate(self, run: Run) -> DuplicateError:
        taken = select(RunRow.id).where(RunRow.playbook_id == run.playbook_id, RunRow.number == run.number)
        if run.playbook_id and (await self._session.execute(taken)).first() is not None:
            return DuplicateError(f"The playbook already has a run numbered {run.number}.")
        return DuplicateError(f"A run with id {run.id} already exists.")


def _runs() -> Select[Any]:
    return select(*RunRow.__table__.columns)


# Built once: these run on every command and click, and a prebuilt statement skips the
# construction and keeps its compiled form cached.
_HEAD = select(RunRow.id, RunRow.revision, RunRow.playbook_id)
_HEAD_BY_ID = _HEAD.where(RunRow.id == bindparam("key"))
# Runs started in the same instant: the higher number is the later one.
_NEWEST_FIRST = (RunRow.created_at.desc(), RunRow.number.desc(), RunRow.id)
# A channel's current run: the newest in progress, else the newest.
_CURRENT_FIRST = ((RunRow.status == RunStatus.IN_PROGRESS.value).desc(), *_NEWEST_FIRST)
_HEADS = {
    "id": _HEAD_BY_ID,
    "channel_id": _HEAD.where(RunRow.channel_id == bindparam("key")).order_by(*_CURRENT_FIRST).limit(1),
}
_POSTS = select(RunPostRow.kind, RunPostRow.post_id).where(RunPostRow.run_id == bindparam("run_id"))
