"""PlaybookChangeRepository: each playbook's edits numbered in order, read back newest first."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain.playbook_changes import PlaybookChange, Section
from storage.repositories.playbook_changes import PlaybookChangeRepository
from storage.repositories.playbooks import PlaybookRepository
from tests.storage import factories
from tests.storage.factories import ALICE, BOB

Factory = async_sessionmaker[AsyncSession]
AT = datetime(2026, 12, 6, 2, 14, tzinfo=UTC)


async def test_edits_in_one_instant_keep_their_order_and_each_playbook_has_its_own(
    session_factory: Factory,
) -> None:
    async with session_factory.begin() as session:
        playbooks = PlaybookRepository(session)
        first = await playbooks.add(factories.playbook("First"))
        second = await playbooks.add(factories.playbook("Second"))
        changes = PlaybookChangeRepository(session)
        await changes.add(PlaybookChange(first.id, ALICE, AT, Section.CREATED, ()))
        await changes.add(PlaybookChange(second.id, BOB, AT, Section.CREATED, ()))
        for section in (Section.GENERAL, Section.UPDATES, Section.CHECKLISTS):
            await changes.add(PlaybookChange(first.id, ALICE, AT, section, ("title", "description")))

    async with session_factory() as session:
        changes = PlaybookChangeRepository(session)
        recent = await changes.recent(first.id, 3)
        assert [change.section for change in recent] == [Section.CHECKLISTS, Section.UPDATES, Section.GENERAL]
        assert recent[0] == PlaybookChange(first.id, ALICE, AT, Section.CHECKLISTS, ("title", "description"))
        assert await changes.recent(second.id, 5) == [PlaybookChange(second.id, BOB, AT, Section.CREATED, ())]
