"""RunRepository: whole runs, numbers, compare-and-set items, optimistic saves, timeline and posts."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain.playbook import Playbook
from bot.domain.run import ItemState, Run, RunChecklist, RunItem, RunStatus
from storage.errors import DuplicateError, NotFoundError, StaleRevisionError
from storage.models import PlaybookRow
from storage.repositories.playbooks import PlaybookRepository
from storage.repositories.runs import RunRepository
from tests.storage import factories
from tests.storage.factories import ALICE, BOB, CAROL, OTHER_TEAM, T0

Factory = async_sessionmaker[AsyncSession]
CONCURRENCY = 8
TIMEOUT_S = 30


@pytest.fixture
async def playbook(session_factory: Factory) -> Playbook:
    async with session_factory.begin() as session:
        return await PlaybookRepository(session).add(factories.playbook())


async def _add(factory: Factory, *runs: Run) -> None:
    async with factory.begin() as session:
        for run in runs:
            await RunRepository(session).add(run)


async def _get(factory: Factory, run_id: str) -> Run:
    async with factory() as session:
        run = await RunRepository(session).get(run_id)
    assert run is not None
    return run


def _with_item(run: Run, item: RunItem) -> Run:
    checklists = tuple(
        replace(checklist, items=tuple(item if i.id == item.id else i for i in checklist.items))
        for checklist in run.checklists
    )
    return replace(run, checklists=checklists, revision=run.revision + 1)


async def test_a_run_is_stored_and_read_back_unchanged(session_factory: Factory, playbook: Playbook) -> None:
    run = factories.finished(factories.run(playbook.id))
    await _add(session_factory, run)

    async with session_factory() as session:
        repository = RunRepository(session)
        assert await repository.get(run.id) == run
        assert await repository.get_by_channel(run.channel_id) == run
        assert await repository.get("missing") is None
        assert await repository.get_by_channel("missing") is None


async def test_a_taken_number_is_refused(session_factory: Factory, playbook: Playbook) -> None:
    await _add(session_factory, factories.run(playbook.id, 1))

    async with session_factory.begin() as session:
        repository = RunRepository(session)
        with pytest.raises(DuplicateError, match="numbered 1"):
            await repository.add(factories.run(playbook.id, 1))
        await repository.add(factories.run(playbook.id, 2))  # the transaction is still usable


async def test_a_channel_holds_several_runs_and_names_its_current_one(
    session_factory: Factory, playbook: Playbook
) -> None:
    first = factories.run(playbook.id, 1, created_at=T0)
    second = factories.run(playbook.id, 2, created_at=T0 + timedelta(hours=1), channel_id=first.channel_id)
    done = factories.finished(
        factories.run(playbook.id, 3, created_at=T0 + timedelta(hours=2), channel_id=first.channel_id)
    )
    await _add(session_factory, first, second, done)

    async with session_factory() as session:
        runs = RunRepository(session)
        assert await runs.channel_runs(first.channel_id) == [done, second, first]
        assert await runs.channel_runs(first.channel_id, status=RunStatus.IN_PROGRESS) == [second, first]
        assert await runs.channel_runs(first.channel_id, number=3) == [done]
        assert await runs.count_in_progress(first.channel_id) == 2
        # The newest run in progress, not the newest finished one.
        assert await runs.get_by_channel(first.channel_id) == second


async def test_listing_filters_and_orders_newest_first(session_factory: Factory, playbook: Playbook) -> None:
    old = factories.run(playbook.id, 1, created_at=T0)
    new = factories.run(
        playbook.id, 2, created_at=T0 + timedelta(days=1), owner_id=CAROL, participant_ids=(CAROL,)
    )
    done = factories.finished(factories.run(playbook.id, 3, created_at=T0 + timedelta(days=2)))
    elsewhere = factories.run("", 1, team_id=OTHER_TEAM)
    await _add(session_factory, old, new, done, elsewhere)

    async with session_factory() as session:
        runs = RunRepository(session)
        assert await runs.list(team_id=factories.TEAM) == [done, new, old]
        assert await runs.list(team_id=factories.TEAM, status=RunStatus.IN_PROGRESS) == [new, old]
        assert await runs.list(participant_id=CAROL) == [new]
        assert await runs.list(participant_id=BOB, status=RunStatus.FINISHED) == [done]
        assert await runs.list(owner_id=CAROL) == [new]
        assert await runs.list(playbook_id=playbook.id, limit=1) == [done]
        assert await runs.list(team_id=OTHER_TEAM) == [elsewhere]
        assert await runs.list(team_id="nobody") == []


async def test_run_numbers_count_up_per_playbook(session_factory: Factory, playbook: Playbook) -> None:
    async with session_factory.begin() as session:
        other = await PlaybookRepository(session).add(factories.playbook("Other"))
        runs = RunRepository(session)
        assert [await runs.next_number(playbook.id) for _ in range(3)] == [1, 2, 3]
        assert await runs.next_number(other.id) == 1


async def test_concurrent_run_numbers_are_never_shared(session_factory: Factory, playbook: Playbook) -> None:
    async def allocate() -> int:
        async with session_factory.begin() as session:
            return await RunRepository(session).next_number(playbook.id)

    numbers = await asyncio.wait_for(asyncio.gather(*(allocate() for _ in range(CONCURRENCY))), TIMEOUT_S)

    assert sorted(numbers) == list(range(1, CONCURRENCY + 1))


async def test_an_item_is_saved_when_its_revision_matches(
    session_factory: Factory, playbook: Playbook
) -> None:
    run = factories.run(playbook.id)
    await _add(session_factory, run)
    item = run.checklists[0].items[1]
    checked = replace(item, state=ItemState.CLOSED, state_modified_by=CAROL, revision=item.revision + 1)

    async with session_factory.begin() as session:
        runs = RunRepository(session)
        assert await runs.save_item_if_revision(run.id, checked, item.revision) is True
        assert await runs.save_item_if_revision(run.id, checked, item.revision) is False  # a replay
        assert await runs.save_item_if_revision("missing", checked, checked.revision - 1) is False
        with pytest.raises(ValueError, match="above"):
            await runs.save_item_if_revision(run.id, checked, checked.revision)

    stored = await _get(session_factory, run.id)
    assert stored == replace(_with_item(run, checked), revision=run.revision + 1)


async def test_of_two_concurrent_clicks_exactly_one_wins(
    session_factory: Factory, playbook: Playbook
) -> None:
    run = factories.run(playbook.id)
    await _add(session_factory, run)
    item = run.checklists[0].items[1]
    both_read = asyncio.Barrier(2)

    async def click(state: ItemState) -> bool:
        async with session_factory.begin() as session:
            runs = RunRepository(session)
            seen = await runs.get(run.id)
            assert seen is not None
            current = seen.checklists[0].items[1]
            await both_read.wait()
            changed = replace(current, state=state, revision=current.revision + 1)
            return await runs.save_item_if_revision(run.id, changed, current.revision)

    results = await asyncio.wait_for(
        asyncio.gather(click(ItemState.CLOSED), click(ItemState.SKIPPED)), TIMEOUT_S
    )

    assert sorted(results) == [False, True]
    stored_item = (await _get(session_factory, run.id)).checklists[0].items[1]
    assert stored_item.revision == item.revision + 1
    assert stored_item.state == (ItemState.CLOSED if results[0] else ItemState.SKIPPED)


async def test_a_whole_run_save_applies_every_change(session_factory: Factory, playbook: Playbook) -> None:
    run = factories.run(playbook.id)
    await _add(session_factory, run)
    new_item = RunItem(id=factories.uid("i"), title="New task", due_at=T0 + timedelta(hours=2))
    changed = replace(
        factories.finished(run),
        name="Renamed",
        summary="",
        owner_id=CAROL,
        participant_ids=(CAROL, ALICE),
        follower_ids=(),
        checklists=(
            run.checklists[2],
            replace(run.checklists[0], title="Triage!", items=(new_item, run.checklists[0].items[0])),
            RunChecklist(factories.uid("l"), "Added", ()),
        ),
        revision=run.revision + 1,
    )

    async with session_factory.begin() as session:
        await RunRepository(session).save(changed)

    assert await _get(session_factory, run.id) == changed


async def test_a_whole_run_save_from_a_stale_read_is_refused(
    session_factory: Factory, playbook: Playbook
) -> None:
    run = factories.run(playbook.id)
    await _add(session_factory, run)
    item = run.checklists[0].items[1]
    async with session_factory.begin() as session:
        checked = replace(item, state=ItemState.CLOSED, revision=item.revision + 1)
        assert await RunRepository(session).save_item_if_revision(run.id, checked, item.revision)

    async with session_factory.begin() as session:
        runs = RunRepository(session)
        with pytest.raises(StaleRevisionError):
            await runs.save(replace(run, name="From an old copy", revision=run.revision + 1))
        with pytest.raises(NotFoundError):
            await runs.save(replace(run, id="missing", revision=run.revision + 1))

    assert (await _get(session_factory, run.id)).checklists[0].items[1].state == ItemState.CLOSED


async def test_runs_outlive_their_playbook(session_factory: Factory, playbook: Playbook) -> None:
    run = factories.run(playbook.id)
    await _add(session_factory, run)

    async with session_factory.begin() as session:
        await session.execute(delete(PlaybookRow).where(PlaybookRow.id == playbook.id))

    assert await _get(session_factory, run.id) == replace(run, playbook_id="")


async def test_the_timeline_keeps_order_and_drops_replays(
    session_factory: Factory, playbook: Playbook
) -> None:
    run = factories.run(playbook.id)
    await _add(session_factory, run)
    first = factories.timeline_event("first")
    later = replace(factories.timeline_event("later"), at=T0 + timedelta(minutes=1))
    same_time = factories.timeline_event("same time, recorded second")

    async with session_factory.begin() as session:
        runs = RunRepository(session)
        assert await runs.add_timeline(run.id, later, dedup_key="post:1") is True
        assert await runs.add_timeline(run.id, later, dedup_key="post:1") is False
        assert await runs.add_timeline(run.id, first) is True
        await runs.add_timeline_events(run.id, [same_time])

    async with session_factory() as session:
        assert await RunRepository(session).timeline(run.id) == [first, same_time, later]


async def test_concurrent_replays_of_an_event_record_it_once(
    session_factory: Factory, playbook: Playbook
) -> None:
    run = factories.run(playbook.id)
    await _add(session_factory, run)

    async def record() -> bool:
        async with session_factory.begin() as session:
            return await RunRepository(session).add_timeline(run.id, factories.timeline_event(), "reaction:9")

    results = await asyncio.wait_for(asyncio.gather(*(record() for _ in range(CONCURRENCY))), TIMEOUT_S)

    assert sorted(results) == [False] * (CONCURRENCY - 1) + [True]
    async with session_factory() as session:
        assert len(await RunRepository(session).timeline(run.id)) == 1


async def test_posts_are_remembered_per_kind(session_factory: Factory, playbook: Playbook) -> None:
    run = factories.run(playbook.id)
    await _add(session_factory, run)
    checklist_kind = f"checklist:{run.checklists[0].id}"

    async with session_factory.begin() as session:
        runs = RunRepository(session)
        await runs.set_post(run.id, "overview", "p" * 26)
        await runs.set_post(run.id, checklist_kind, "q" * 26)
        await runs.set_post(run.id, "overview", "r" * 26)

    async with session_factory() as session:
        assert await RunRepository(session).posts(run.id) == {"overview": "r" * 26, checklist_kind: "q" * 26}
        assert await RunRepository(session).posts("missing") == {}
