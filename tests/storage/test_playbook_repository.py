"""PlaybookRepository: storage, case-insensitive titles, visibility, optimistic updates, soft deletes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain.playbook import Playbook
from storage.errors import DuplicateError, NotFoundError, StaleRevisionError
from storage.models import PlaybookMemberRow
from storage.repositories.playbooks import PlaybookRepository
from tests.storage import factories
from tests.storage.factories import ALICE, BOB, CAROL, OTHER_TEAM, TEAM

Factory = async_sessionmaker[AsyncSession]


async def _add(factory: Factory, *playbooks: Playbook) -> list[Playbook]:
    async with factory.begin() as session:
        repository = PlaybookRepository(session)
        return [await repository.add(playbook) for playbook in playbooks]


async def test_the_shared_templates_are_stored_and_read_back_unchanged(session_factory: Factory) -> None:
    stored = await _add(session_factory, *factories.template_playbooks())

    async with session_factory() as session:
        repository = PlaybookRepository(session)
        for playbook in stored:
            assert len(playbook.id) == 26
            assert await repository.get(playbook.id) == playbook


async def test_titles_are_found_and_kept_unique_ignoring_case(session_factory: Factory) -> None:
    [stored] = await _add(session_factory, factories.playbook("Incident  Response"))

    async with session_factory() as session:
        repository = PlaybookRepository(session)
        assert await repository.get_by_title(TEAM, "incident response") == stored
        assert await repository.get_by_title(OTHER_TEAM, "Incident Response") is None
        with pytest.raises(DuplicateError):
            await repository.add(factories.playbook("INCIDENT RESPONSE"))
        # The refused insert left the transaction usable.
        assert await repository.add(factories.playbook("incident response", team_id=OTHER_TEAM))


async def test_listing_and_visibility(session_factory: Factory) -> None:
    public, private_bob, private_carol, elsewhere = await _add(
        session_factory,
        factories.playbook("Public", public=True, member_ids=(ALICE,), admin_ids=(ALICE,)),
        factories.playbook("Private with Bob", public=False),  # members: Alice (admin), Bob
        factories.playbook("Private with Carol", public=False, member_ids=(CAROL,), admin_ids=(CAROL,)),
        factories.playbook("Other team", team_id=OTHER_TEAM, public=True),
    )

    async with session_factory() as session:
        repository = PlaybookRepository(session)
        assert await repository.list_for_team([TEAM]) == [private_bob, private_carol, public]
        assert await repository.list_visible(BOB, [TEAM]) == [private_bob, public]
        assert await repository.list_visible(CAROL, [TEAM, OTHER_TEAM]) == [elsewhere, private_carol, public]
        assert await repository.list_visible("nobody", [TEAM]) == [public]
        assert await repository.list_visible("root", [TEAM], is_system_admin=True) == [
            private_bob,
            private_carol,
            public,
        ]
        assert await repository.list_visible(BOB, []) == []


async def test_update_bumps_the_revision_and_keeps_members_in_step(session_factory: Factory) -> None:
    [stored] = await _add(session_factory, factories.playbook())
    edited = replace(stored, title="Renamed", public=False, member_ids=(ALICE, CAROL), admin_ids=(CAROL,))

    async with session_factory.begin() as session:
        repository = PlaybookRepository(session)
        record = await repository.get_record(stored.id)
        assert record is not None
        assert await repository.update(edited, expected_revision=record.revision) == record.revision + 1

    async with session_factory() as session:
        repository = PlaybookRepository(session)
        assert await repository.get(stored.id) == edited
        rows = (await session.execute(select(PlaybookMemberRow.user_id, PlaybookMemberRow.role))).all()
        assert sorted(tuple(row) for row in rows) == [(ALICE, "member"), (CAROL, "admin")]
        assert await repository.list_visible(BOB, [TEAM]) == []
        assert await repository.list_visible(CAROL, [TEAM]) == [edited]


async def test_an_update_from_a_stale_read_is_refused(session_factory: Factory) -> None:
    [stored] = await _add(session_factory, factories.playbook())
    async with session_factory.begin() as session:
        await PlaybookRepository(session).update(replace(stored, description="first"), expected_revision=1)

    async with session_factory.begin() as session:
        with pytest.raises(StaleRevisionError):
            await PlaybookRepository(session).update(
                replace(stored, description="second"), expected_revision=1
            )


async def test_renaming_onto_a_taken_title_is_refused(session_factory: Factory) -> None:
    first, second = await _add(session_factory, factories.playbook("First"), factories.playbook("Second"))

    async with session_factory.begin() as session:
        with pytest.raises(DuplicateError):
            await PlaybookRepository(session).update(replace(second, title="FIRST"))
        assert await PlaybookRepository(session).get_by_title(TEAM, "first") == first


async def test_deleting_is_soft_and_frees_the_title(session_factory: Factory) -> None:
    [stored] = await _add(session_factory, factories.playbook("Gone"))

    async with session_factory.begin() as session:
        repository = PlaybookRepository(session)
        assert await repository.delete(stored.id) is True
        assert await repository.delete(stored.id) is False
        assert await repository.get(stored.id) is None
        assert await repository.get_by_title(TEAM, "Gone") is None
        assert await repository.list_for_team([TEAM]) == []
        deleted = await repository.get_record(stored.id, include_deleted=True)
        assert deleted is not None
        assert deleted.playbook == stored
        with pytest.raises(NotFoundError):
            await repository.update(replace(stored, description="too late"))
        assert await repository.add(factories.playbook("Gone"))


async def test_an_archived_playbook_keeps_its_archive_time_and_title(session_factory: Factory) -> None:
    [stored] = await _add(session_factory, factories.playbook())
    archived = replace(stored, archived_at=datetime(2026, 12, 6, 2, 30, tzinfo=UTC))
    async with session_factory.begin() as session:
        await PlaybookRepository(session).update(archived)

    async with session_factory() as session:
        repository = PlaybookRepository(session)
        assert await repository.get(stored.id) == archived
        assert await repository.get_by_title(TEAM, stored.title) == archived  # its title stays taken
        assert await repository.list_for_team([TEAM]) == [archived]  # the services filter the lists
