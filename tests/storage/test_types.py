"""Column types: aware UTC datetimes and JSON behave alike on both backends."""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import StatementError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import HandledEventRow, PlaybookRow
from storage.repositories.settings import SettingsRepository
from storage.types import NaiveDatetimeError

CEST = timezone(timedelta(hours=2))


def _identity(value: datetime) -> datetime:
    return value


async def test_datetimes_come_back_aware_in_utc(session_factory: async_sessionmaker[AsyncSession]) -> None:
    stored = datetime(2026, 11, 23, 11, 0, 0, 654321, tzinfo=CEST)
    async with session_factory.begin() as session:
        await SettingsRepository(session, clock=lambda: stored).mark_handled("event")

    async with session_factory() as session:
        loaded = (await session.execute(select(HandledEventRow.created_at))).scalar_one()

    assert loaded.tzinfo is UTC
    assert loaded == stored
    assert loaded.hour == 9


async def test_comparisons_use_the_instant_whatever_the_offset(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    base = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    async with session_factory.begin() as session:
        for n in range(3):
            at = base + timedelta(hours=n)
            await SettingsRepository(session, clock=functools.partial(_identity, at)).mark_handled(f"e{n}")

    async def marked_before(moment: datetime) -> list[str]:
        async with session_factory() as session:
            earlier = select(HandledEventRow.key).where(HandledEventRow.created_at < moment)
            return sorted((await session.execute(earlier)).scalars())

    # 10:30 in UTC+2 is 08:30 UTC, before all three.
    assert await marked_before(datetime(2026, 11, 23, 10, 30, tzinfo=CEST)) == []
    # 12:30 in UTC+2 is 10:30 UTC: after the first two.
    assert await marked_before(datetime(2026, 11, 23, 12, 30, tzinfo=CEST)) == ["e0", "e1"]


async def test_naive_datetimes_are_refused(session_factory: async_sessionmaker[AsyncSession]) -> None:
    naive = datetime(2026, 11, 23, 9, 0)
    async with session_factory() as session:
        with pytest.raises(StatementError) as raised:
            await SettingsRepository(session, clock=lambda: naive).mark_handled("event")

    assert isinstance(raised.value.orig, NaiveDatetimeError)


async def test_json_documents_round_trip(session_factory: async_sessionmaker[AsyncSession]) -> None:
    document = {"nested": {"list": [1, 2.5, "three", None, True]}, "unicode": "naïve ✓", "big": 2**63 - 1}
    now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    async with session_factory.begin() as session:
        session.add(
            PlaybookRow(
                id="p" * 26,
                team_id="t" * 26,
                title="T",
                title_normalised="t",
                public=True,
                document=document,
                created_at=now,
                updated_at=now,
                deleted_at=None,
                revision=1,
            )
        )

    async with session_factory() as session:
        loaded = (await session.execute(select(PlaybookRow.document))).scalar_one()

    assert loaded == document
