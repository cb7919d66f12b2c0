"""Runs scheduled jobs when they fall due: the database says what is due, APScheduler says when to look.

Every replica runs a :class:`Scheduler`. A tick claims the due jobs (each claimed by exactly
one replica, for a lease), runs each kind's handler, and records the outcome: finished, due
again (recurring work), retried with backoff after a failure, or parked after too many.
APScheduler 3.11 only wakes the tick — at the next known due time and on a short poll for
jobs other replicas schedule — so nothing is lost when the bot is down: a job that fell due
meanwhile is simply due at the next tick, once.
"""

from __future__ import annotations

import asyncio
import logging
import random
import socket
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from storage.repositories.jobs import Job, JobRepository

log = logging.getLogger(__name__)

JobHandler = Callable[[Job, Any], Awaitable[datetime | None]]

LEASE = timedelta(minutes=5)
BATCH = 50
MAX_ATTEMPTS = 8
RETRY_BASE = timedelta(seconds=15)
RETRY_CAP = timedelta(hours=1)
POLL_SECONDS = 1.0
WAKE_JOB = "wake-at-next-due"


class JobRouter:
    """Maps a job kind to its handler."""

    def __init__(self) -> None:
        self.handlers: dict[str, JobHandler] = {}

    def on(self, kind: str) -> Callable[[JobHandler], JobHandler]:
        """Register the decorated coroutine for jobs of ``kind``."""

        def decorate(handler: JobHandler) -> JobHandler:
            if kind in self.handlers:
                raise ValueError(f"job kind {kind!r} has two handlers")
            self.handlers[kind] = handler
            return handler

        return decorate


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff with full jitter after ``attempts`` failed attempts."""
    ceiling = min(RETRY_CAP, RETRY_BASE * 2 ** max(0, attempts - 1))
    return timedelta(seconds=random.uniform(0.5, 1.0) * ceiling.total_seconds())


@dataclass
class Scheduler:
    """Claims and runs due jobs for one replica."""

    services: Any
    router: JobRouter
    worker: str = field(default_factory=lambda: f"{socket.gethostname()}-{uuid.uuid4().hex[:8]}")
    poll_seconds: float = POLL_SECONDS
    _timer: AsyncIOScheduler | None = None
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def tick(self) -> int:
        """Run every job due now (batch after batch); how many ran. Safe to call at any time."""
        ran = 0
        async with self._lock:
            while True:
                jobs = await self._claim()
                if not jobs:
                    break
                for job in jobs:
                    await self._run(job)
                ran += len(jobs)
        await self._plan_wake_up()
        return ran

    async def _claim(self) -> list[Job]:
        now = self.services.clock()
        async with self.services.transaction() as session:
            jobs = JobRepository(session)
            return await jobs.claim_due(now=now, worker=self.worker, lease=LEASE, limit=BATCH)

    async def _run(self, job: Job) -> None:
        handler = self.router.handlers.get(job.kind)
        try:
            if handler is None:
                raise LookupError(f"no handler for jobs of kind {job.kind!r}")
            again = await handler(job, self.services)
        except Exception as error:
            await self._failed(job, error)
            return
        async with self.services.transaction() as session:
            jobs = JobRepository(session)
            if again is None:
                await jobs.finish(job)
            else:
                await jobs.again_at(job, again)

    async def _failed(self, job: Job, error: Exception) -> None:
        now = self.services.clock()
        reason = f"{type(error).__name__}: {error}"
        async with self.services.transaction() as session:
            jobs = JobRepository(session)
            if job.attempts >= MAX_ATTEMPTS:
                log.error("job %s failed %d times and is parked: %s", job.key, job.attempts, reason)
                await jobs.park(job, reason, now)
            else:
                delay = retry_delay(job.attempts)
                log.warning(
                    "job %s failed (attempt %d), retrying in %s: %s", job.key, job.attempts, delay, reason
                )
                await jobs.retry_at(job, now + delay, reason)

    # -- the timer ------------------------------------------------------------

    async def start(self) -> None:
        """Start waking up: on a short poll, and exactly at the next known due time."""
        timer = AsyncIOScheduler(
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None}
        )
        timer.add_job(self.tick, "interval", seconds=self.poll_seconds, id="poll", replace_existing=True)
        timer.start()
        self._timer = timer
        await self.tick()

    async def _plan_wake_up(self) -> None:
        if self._timer is None:
            return
        async with self.services.transaction() as session:
            due = await JobRepository(session).next_due_at()
        if due is None:
            return
        # The database's clock, not APScheduler's, decides what is due; this only avoids
        # waiting for the next poll when the next job is known.
        now = self.services.clock()
        run_at = datetime.now(due.tzinfo) + max(timedelta(0), due - now)
        self._timer.add_job(self.tick, "date", run_date=run_at, id=WAKE_JOB, replace_existing=True)

    async def stop(self) -> None:
        """Stop waking up and wait for a tick in progress."""
        if self._timer is not None:
            self._timer.shutdown(wait=False)
            self._timer = None
        async with self._lock:
            pass
