"""SettingsRepository: named values, the shared secret, handled events."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.repositories.settings import SettingsRepository

CONCURRENCY = 8


async def test_values_are_set_replaced_and_read(session_factory: async_sessionmaker[AsyncSession]) -> None:
    async with session_factory.begin() as session:
        settings = SettingsRepository(session)
        assert await settings.get("greeting") is None
        await settings.set("greeting", "hello")
        await settings.set("greeting", "hi")

    async with session_factory() as session:
        assert await SettingsRepository(session).get("greeting") == "hi"


async def test_concurrent_starts_agree_on_one_generated_secret(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async def start() -> str:
        async with session_factory.begin() as session:
            return await SettingsRepository(session).get_or_create_secret()

    secrets = await asyncio.wait_for(asyncio.gather(*(start() for _ in range(CONCURRENCY))), timeout=30)

    assert len(set(secrets)) == 1
    assert len(secrets[0]) >= 43  # 32 random bytes, base64


async def test_an_event_is_handled_only_the_first_time(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory.begin() as session:
        settings = SettingsRepository(session)
        assert await settings.mark_handled("posted:abc") is True
        assert await settings.mark_handled("posted:abc") is False
        assert await settings.mark_handled("posted:def") is True


async def test_concurrent_marks_of_one_event_let_exactly_one_through(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async def mark() -> bool:
        async with session_factory.begin() as session:
            return await SettingsRepository(session).mark_handled("callback:42")

    results = await asyncio.wait_for(asyncio.gather(*(mark() for _ in range(CONCURRENCY))), timeout=30)

    assert sorted(results) == [False] * (CONCURRENCY - 1) + [True]


async def test_a_rolled_back_mark_does_not_count(session_factory: async_sessionmaker[AsyncSession]) -> None:
    async with session_factory() as session:
        assert await SettingsRepository(session).mark_handled("retry-me") is True
        await session.rollback()

    async with session_factory.begin() as session:
        assert await SettingsRepository(session).mark_handled("retry-me") is True
