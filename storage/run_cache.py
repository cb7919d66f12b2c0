"""Runs as last read, so a busy run is not rebuilt from five tables on every command and click.

Every change to a run's rows moves its ``revision`` on (``RunRepository.save``,
``save_item_if_revision``), so a run read at a revision stays true for as long as the stored
run still has that revision. :class:`~storage.repositories.runs.RunRepository` checks the stored
revision (one single-row statement) and hands out the cached run when it matches; the check keeps
it correct with several replicas writing the same database. The playbook id is checked too: it
is the one column the database itself can change (``ON DELETE SET NULL``) without a new revision.

Many people looking at one busy run ask for its revision at the same moment; those checks share
one query (:meth:`RunCache.head`), on a connection of its own, so a burst of clicks costs one
statement rather than one each. A check never shares a query that began before it was asked: it
waits for the next one, so it always sees every change committed before it.

A session that has written to a run never fills the cache nor shares checks: what it reads may
not be committed.
A run's posts are only ever added (``run_posts`` rows go away with their run), so the post kinds
known to exist are remembered as well.

One cache belongs to one session factory (:func:`storage.database.session_factory`), hence to
one database.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Collection, Hashable
from typing import cast

from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from bot.domain.run import Run

CACHE_KEY = "playbooks.run_cache"
"""Where a session's ``info`` holds its factory's :class:`RunCache`."""
WRITTEN_KEY = "playbooks.runs_written"
"""Where a session's ``info`` notes that it has written run rows."""
CONNECTED_KEY = "playbooks.connected"
"""Where a session's ``info`` notes that it holds a connection."""
DEFAULT_CAPACITY = 1_000

Head = tuple[str, int, str | None] | None
"""A run's id, revision and playbook id as stored, or ``None`` when there is no such run."""


class RunCache:
    """The most recently read runs (least recently used go first) and their known post kinds."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self._capacity = capacity
        self._runs: OrderedDict[str, Run] = OrderedDict()
        self._post_kinds: OrderedDict[str, frozenset[str]] = OrderedDict()
        self._running: dict[Hashable, asyncio.Task[Head]] = {}
        self._queued: dict[Hashable, asyncio.Task[Head]] = {}

    async def head(self, key: Hashable, query: Callable[[], Awaitable[Head]]) -> Head:
        """The answer of ``query`` (a run's id, revision and playbook id), shared with the checks
        of the same ``key`` asked while it runs; it starts after this call, never before."""
        task = self._queued.get(key)
        if task is None:
            running = self._running.get(key)
            task = asyncio.get_running_loop().create_task(self._probe(key, query, running))
            if running is None:
                self._running[key] = task
            else:
                self._queued[key] = task
        # Shielded: one asker giving up does not cancel the answer the others wait for.
        return await asyncio.shield(task)

    async def _probe(
        self, key: Hashable, query: Callable[[], Awaitable[Head]], previous: asyncio.Task[Head] | None
    ) -> Head:
        this = asyncio.current_task()
        assert this is not None
        if previous is not None:
            await asyncio.wait([previous])
            # From now on this query is under way: later checks queue for the next one.
            del self._queued[key]
            self._running[key] = cast("asyncio.Task[Head]", this)
        try:
            return await query()
        finally:
            if self._running.get(key) is this:
                del self._running[key]

    def __len__(self) -> int:
        return len(self._runs)

    def run(self, run_id: str, revision: int, playbook_id: str) -> Run | None:
        """The cached run if it is still at ``revision`` with ``playbook_id``; else ``None``."""
        run = self._runs.get(run_id)
        if run is None or run.revision != revision or run.playbook_id != playbook_id:
            return None
        self._runs.move_to_end(run_id)
        return run

    def remember(self, run: Run) -> None:
        """Keep ``run`` as read from committed rows."""
        self._runs[run.id] = run
        self._runs.move_to_end(run.id)
        while len(self._runs) > self._capacity:
            self._runs.popitem(last=False)

    def has_posts(self, run_id: str, kinds: Collection[str]) -> bool:
        """Whether every post kind in ``kinds`` is known to exist for the run."""
        known = self._post_kinds.get(run_id)
        return known is not None and known.issuperset(kinds)

    def remember_posts(self, run_id: str, kinds: Collection[str]) -> None:
        """Note post kinds seen stored for the run (committed rows)."""
        self._post_kinds[run_id] = self._post_kinds.get(run_id, frozenset()) | frozenset(kinds)
        self._post_kinds.move_to_end(run_id)
        while len(self._post_kinds) > self._capacity:
            self._post_kinds.popitem(last=False)

    def forget(self, run_id: str) -> None:
        """Drop what is cached of the run."""
        self._runs.pop(run_id, None)


def holds_connection(session: AsyncSession) -> bool:
    """Whether the session has taken a connection (it then checks revisions on that one, as
    waiting for a second connection while holding one could exhaust the pool)."""
    return bool(session.info.get(CONNECTED_KEY))


def note_connected(session: Session, _transaction: SessionTransaction, _connection: Connection) -> None:
    """``after_begin`` listener of the service's sessions: see :func:`holds_connection`."""
    session.info[CONNECTED_KEY] = True


def session_cache(session: AsyncSession) -> RunCache | None:
    """The cache the session may fill and use: its factory's, unless it has written run rows."""
    if session.info.get(WRITTEN_KEY):
        return None
    cache = session.info.get(CACHE_KEY)
    return cache if isinstance(cache, RunCache) else None


def note_written(session: AsyncSession, run_id: str) -> None:
    """The session wrote rows of ``run_id``: it no longer reads through the cache."""
    session.info[WRITTEN_KEY] = True
    cache = session.info.get(CACHE_KEY)
    if isinstance(cache, RunCache):
        cache.forget(run_id)
