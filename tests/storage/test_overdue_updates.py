"""Which runs are overdue for a status update: one rule for ``/playbook todo`` and the metrics gauge."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain.status import ReminderState
from storage.repositories.playbooks import PlaybookRepository
from storage.repositories.runs import RunRepository
from storage.repositories.updates import UpdateRepository
from tests.storage import factories

NOW = factories.T0 + timedelta(days=1)
HOUR = timedelta(hours=1)


async def test_the_count_and_the_todo_list_agree_on_what_is_overdue(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session, session.begin():
        stored = await PlaybookRepository(session).add(factories.playbook())
        runs, updates = RunRepository(session), UpdateRepository(session)
        cases = [
            (factories.run(stored.id, 1), ReminderState(enabled=True, interval=HOUR, next_due_at=NOW - HOUR)),
            (
                factories.run(stored.id, 2, owner_id=factories.BOB),
                ReminderState(enabled=True, next_due_at=NOW),
            ),
            (factories.run(stored.id, 3), ReminderState(enabled=True, next_due_at=NOW + HOUR)),  # not yet
            (factories.run(stored.id, 4), ReminderState(enabled=False, next_due_at=NOW - HOUR)),  # off
            (factories.run(stored.id, 5), ReminderState(enabled=True)),  # no due time
            (
                factories.finished(factories.run(stored.id, 6)),
                ReminderState(enabled=True, next_due_at=NOW - HOUR),
            ),
        ]
        for run, state in cases:
            await runs.add(run)
            await updates.set_reminder(run.id, state)

    async with session_factory() as session:
        updates = UpdateRepository(session)
        owned = [
            run_id
            for owner in (factories.ALICE, factories.BOB)
            for run_id, _ in await updates.overdue_owned_by(owner, NOW)
        ]
        assert sorted(owned) == sorted(run.id for run, _ in cases[:2])
        assert await updates.count_overdue(NOW) == len(owned) == 2
        assert await updates.count_overdue(NOW - HOUR) == 1  # due exactly now counts as overdue
