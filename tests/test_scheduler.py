"""The scheduler: due jobs run once, recur, retry with backoff, survive restarts; claims never overlap."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import FakeClock
from bot.scheduler import MAX_ATTEMPTS, JobRouter, Scheduler, retry_delay
from bot.services.jobs import cancel_job, schedule_job
from storage.repositories.jobs import Job, JobRepository

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@dataclass
class FakeServices:
    """Just what the scheduler uses: a clock and transactions."""

    sessions: async_sessionmaker[AsyncSession]
    clock: FakeClock

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        async with self.sessions() as session, session.begin():
            yield session


@pytest.fixture
def services(session_factory: async_sessionmaker[AsyncSession]) -> FakeServices:
    return FakeServices(session_factory, FakeClock(START))


async def _schedule(
    services: FakeServices, key: str, due_in: timedelta, kind: str = "note", **payload: Any
) -> None:
    async with services.transaction() as session:
        await schedule_job(session, kind=kind, key=key, due_at=services.clock() + due_in, payload=payload)


def _recording_router(seen: list[Job], again: timedelta | None = None) -> JobRouter:
    router = JobRouter()

    @router.on("note")
    async def note(job: Job, services: Any) -> datetime | None:
        seen.append(job)
        return None if again is None else job.due_at + again

    return router


async def test_a_job_runs_once_when_due_and_not_before(services: FakeServices) -> None:
    seen: list[Job] = []
    scheduler = Scheduler(services, _recording_router(seen))
    await _schedule(services, "note:1", timedelta(minutes=10), text="hello")
    assert await scheduler.tick() == 0
    services.clock.advance(timedelta(minutes=10))
    assert await scheduler.tick() == 1
    assert await scheduler.tick() == 0
    assert [(job.key, job.payload["text"]) for job in seen] == [("note:1", "hello")]


async def test_rescheduling_a_key_replaces_it(services: FakeServices) -> None:
    seen: list[Job] = []
    scheduler = Scheduler(services, _recording_router(seen))
    await _schedule(services, "note:1", timedelta(minutes=10), text="first")
    await _schedule(services, "note:1", timedelta(minutes=30), text="second")
    services.clock.advance(timedelta(minutes=10))
    assert await scheduler.tick() == 0
    services.clock.advance(timedelta(minutes=20))
    assert await scheduler.tick() == 1
    assert [job.payload["text"] for job in seen] == ["second"]


async def test_a_cancelled_job_never_runs(services: FakeServices) -> None:
    seen: list[Job] = []
    await _schedule(services, "note:1", timedelta(minutes=1))
    async with services.transaction() as session:
        assert await cancel_job(session, "note:1") is True
        assert await cancel_job(session, "note:1") is False
    services.clock.advance(timedelta(hours=1))
    assert await Scheduler(services, _recording_router(seen)).tick() == 0


async def test_recurring_work_comes_back_at_its_next_time(services: FakeServices) -> None:
    seen: list[Job] = []
    scheduler = Scheduler(services, _recording_router(seen, again=timedelta(hours=1)))
    await _schedule(services, "note:1", timedelta(hours=1))
    for _ in range(3):
        services.clock.advance(timedelta(hours=1))
        assert await scheduler.tick() == 1
    assert [job.due_at for job in seen] == [START + timedelta(hours=h) for h in (1, 2, 3)]
    assert len({job.idempotency_key for job in seen}) == 3


async def test_work_due_while_stopped_runs_once_after_a_restart(services: FakeServices) -> None:
    await _schedule(services, "note:1", timedelta(minutes=5))
    services.clock.advance(timedelta(hours=6))  # the bot was down all that time
    seen: list[Job] = []
    restarted = Scheduler(services, _recording_router(seen))
    assert await restarted.tick() == 1
    assert await restarted.tick() == 0
    assert len(seen) == 1


async def test_a_failing_job_is_retried_with_backoff_then_parked(services: FakeServices) -> None:
    router = JobRouter()
    attempts: list[int] = []

    @router.on("note")
    async def fails(job: Job, services: Any) -> datetime | None:
        attempts.append(job.attempts)
        raise RuntimeError("Mattermost is down")

    scheduler = Scheduler(services, router)
    await _schedule(services, "note:1", timedelta(0))
    for _ in range(MAX_ATTEMPTS + 2):
        await scheduler.tick()
        services.clock.advance(timedelta(hours=2))
    assert attempts == list(range(1, MAX_ATTEMPTS + 1))
    async with services.transaction() as session:
        parked = await JobRepository(session).get("note:1")
    assert parked is not None


async def test_an_unknown_kind_is_retried_not_lost(services: FakeServices) -> None:
    await _schedule(services, "mystery:1", timedelta(0), kind="mystery")
    await Scheduler(services, JobRouter()).tick()
    async with services.transaction() as session:
        assert await JobRepository(session).get("mystery:1") is not None


async def test_rescheduled_while_running_is_not_lost(services: FakeServices) -> None:
    router = JobRouter()
    runs: list[str] = []

    @router.on("note")
    async def reschedules_itself(job: Job, services_: Any) -> datetime | None:
        runs.append(job.payload["text"])
        if job.payload["text"] == "first":  # e.g. a status update arrives while the reminder is sent
            await _schedule(services, "note:1", timedelta(hours=1), text="second")
        return None

    scheduler = Scheduler(services, router)
    await _schedule(services, "note:1", timedelta(0), text="first")
    await scheduler.tick()
    services.clock.advance(timedelta(hours=1))
    await scheduler.tick()
    assert runs == ["first", "second"]


async def test_two_replicas_claim_each_due_job_exactly_once(services: FakeServices) -> None:
    for number in range(40):
        await _schedule(services, f"note:{number}", timedelta(0))
    seen: list[Job] = []

    router = JobRouter()

    @router.on("note")
    async def slow(job: Job, services_: Any) -> datetime | None:
        seen.append(job)
        await asyncio.sleep(0.001)
        return None

    replicas = [Scheduler(services, router, worker=f"replica-{n}") for n in range(2)]
    counts = await asyncio.gather(*(replica.tick() for replica in replicas))
    assert sum(counts) == 40
    assert sorted(job.key for job in seen) == sorted(f"note:{n}" for n in range(40))


def test_retry_delay_grows_and_is_capped() -> None:
    assert retry_delay(1) <= timedelta(seconds=15)
    assert retry_delay(3) <= timedelta(seconds=60)
    assert retry_delay(30) <= timedelta(hours=1)
    assert retry_delay(30) >= timedelta(minutes=30)


def test_a_kind_has_one_handler() -> None:
    router = JobRouter()

    async def handler(job: Job, services: Any) -> datetime | None:
        return None

    router.on("x")(handler)
    with pytest.raises(ValueError, match="two handlers"):
        router.on("x")(handler)
