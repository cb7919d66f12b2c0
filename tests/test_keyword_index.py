"""The keyword index reads the database at most once per refresh interval, and at once after
this process changed playbooks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.domain.playbook import Playbook
from bot.domain.playbook_settings import KeywordSettings
from bot.services.keywords import KeywordIndex
from storage.repositories.playbooks import PlaybookRepository

TEAM = "t" * 26


@dataclass
class IndexServices:
    """What the index uses of the services."""

    sessions: async_sessionmaker[AsyncSession]
    team_ids: tuple[str, ...] = (TEAM,)
    playbook_edits: int = 0
    keyword_refresh_seconds: float = 1.0

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        async with self.sessions() as session, session.begin():
            yield session


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def statements(migrated_engine: AsyncEngine) -> list[str]:
    seen: list[str] = []

    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        seen.append(statement)

    event.listen(migrated_engine.sync_engine, "before_cursor_execute", record)
    return seen


async def _add(services: IndexServices, title: str, keywords: tuple[str, ...]) -> None:
    playbook = replace(
        Playbook(id="", team_id=TEAM, title=title), keywords=KeywordSettings(keywords=keywords, enabled=True)
    )
    async with services.transaction() as session:
        await PlaybookRepository(session).add(playbook)


async def test_messages_within_the_interval_cost_no_query(
    session_factory: async_sessionmaker[AsyncSession], statements: list[str]
) -> None:
    services, clock = IndexServices(session_factory), Clock()
    index = KeywordIndex(monotonic=clock)
    await _add(services, "Incident", ("sev-1",))
    assert [hit.playbook.title for hit in await index.hits(services, TEAM, "a sev-1 now")] == ["Incident"]  # type: ignore[arg-type]
    statements.clear()
    for _ in range(50):
        await index.hits(services, TEAM, "just chatter")  # type: ignore[arg-type]
    assert statements == []


async def test_other_replicas_changes_arrive_after_the_interval(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    services, clock = IndexServices(session_factory), Clock()
    index = KeywordIndex(monotonic=clock)
    await index.hits(services, TEAM, "warm up")  # type: ignore[arg-type]
    await _add(services, "Release", ("ship-it",))  # written by another replica: no local edit count
    assert await index.hits(services, TEAM, "ship-it today") == []  # type: ignore[arg-type]
    clock.now += 1.5
    assert len(await index.hits(services, TEAM, "ship-it today")) == 1  # type: ignore[arg-type]


async def test_this_processs_own_edits_are_seen_at_once(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    services, clock = IndexServices(session_factory), Clock()
    index = KeywordIndex(monotonic=clock)
    await index.hits(services, TEAM, "warm up")  # type: ignore[arg-type]
    await _add(services, "Release", ("ship-it",))
    services.playbook_edits += 1  # as the playbook service does after its commit
    assert len(await index.hits(services, TEAM, "ship-it today")) == 1  # type: ignore[arg-type]
