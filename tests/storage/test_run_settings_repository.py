"""RunSettingsRepository: a run's own switches, stored, replaced, and gone with the run."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain.run_settings import RunOverrides
from storage.repositories.playbooks import PlaybookRepository
from storage.repositories.run_settings import RunSettingsRepository
from storage.repositories.runs import RunRepository
from tests.storage import factories


async def test_switches_are_stored_and_replaced(session_factory: async_sessionmaker[AsyncSession]) -> None:
    async with session_factory.begin() as session:
        stored = await PlaybookRepository(session).add(factories.playbook())
        run = factories.run(stored.id)
        await RunRepository(session).add(run)
        settings = RunSettingsRepository(session)
        assert await settings.get(run.id) == RunOverrides()
        await settings.set(run.id, RunOverrides(status_updates=False), at=factories.T0, by=factories.BOB)
        await settings.set(
            run.id, RunOverrides(status_updates=True, retrospective=False), at=factories.T0, by=factories.BOB
        )

    async with session_factory() as session:
        assert await RunSettingsRepository(session).get(run.id) == RunOverrides(True, None, False)
