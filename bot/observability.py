"""Health, readiness and Prometheus metrics of one running bot.

* ``GET /healthz`` — the process is up and serving (no dependency is asked).
* ``GET /readyz`` — the database answers ``SELECT 1`` and Mattermost answers with the bot's
  token, each within a short timeout: 200, or 503 naming what failed. Load balancers send
  callbacks only to ready replicas.
* ``GET /metrics`` — Prometheus text format, from a registry of this bot's own (several bots
  in one process, as in tests, do not mix their numbers).

Services count what happens through :class:`Metrics` (``services.metrics``):
``metrics.reminders_sent.inc()``, ``metrics.webhook_failures.inc()``; gauges that are cheaper
to read than to track are asked for at scrape time through registered sources, e.g.
``metrics.add_overdue_source(async_fn_returning_count)``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.domain.run_model import RunStatus
from storage.models import RunRow

log = logging.getLogger(__name__)

HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"
METRICS_PATH = "/metrics"
READINESS_TIMEOUT = 2.0  # seconds per dependency; a probe must answer well within its own timeout
SOURCE_TIMEOUT = 2.0  # seconds for each gauge source at scrape time

CallbackKind = Literal["command", "action", "dialog"]
CountSource = Callable[[], Awaitable[int]]
Check = Callable[[], Awaitable[object]]

# Callbacks must be answered within Mattermost's timeouts (3 s for commands), so the buckets are
# fine below a second.
CALLBACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0)


class Metrics:
    """The bot's Prometheus metrics, in a registry of its own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.active_runs = Gauge(
            "playbooks_active_runs", "Runs in progress (not finished)", registry=self.registry
        )
        self.overdue_status_updates = Gauge(
            "playbooks_overdue_status_updates",
            "Runs in progress whose status update is overdue",
            registry=self.registry,
        )
        self.reminders_sent = Counter(
            "playbooks_reminders_sent", "Status update reminders posted", registry=self.registry
        )
        self.webhook_failures = Counter(
            "playbooks_webhook_failures", "Outgoing webhooks that failed for good", registry=self.registry
        )
        self.callback_seconds = Histogram(
            "playbooks_callback_seconds",
            "Time to answer Mattermost's callbacks, by kind",
            ["kind"],
            buckets=CALLBACK_BUCKETS,
            registry=self.registry,
        )
        self._active_run_sources: list[CountSource] = []
        self._overdue_sources: list[CountSource] = []

    def add_active_runs_source(self, source: CountSource) -> None:
        """Count active runs with ``source`` at each scrape (sources are added up)."""
        self._active_run_sources.append(source)

    def add_overdue_source(self, source: CountSource) -> None:
        """Count overdue status updates with ``source`` at each scrape (sources are added up)."""
        self._overdue_sources.append(source)

    @contextmanager
    def time_callback(self, kind: CallbackKind) -> Iterator[None]:
        """Observe how long the block takes as one callback of ``kind``."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.callback_seconds.labels(kind=kind).observe(time.perf_counter() - started)

    async def refresh(self) -> None:
        """Ask the gauge sources for their counts; a failing source leaves its gauge as it was."""
        for gauge, sources in (
            (self.active_runs, self._active_run_sources),
            (self.overdue_status_updates, self._overdue_sources),
        ):
            if not sources:
                continue
            try:
                async with asyncio.timeout(SOURCE_TIMEOUT):
                    counts = [await source() for source in sources]
            except Exception as error:
                log.warning("could not collect %s: %s", gauge._name, type(error).__name__)
                continue
            gauge.set(sum(counts))

    async def exposition(self) -> bytes:
        """Refreshed metrics in Prometheus' text format."""
        await self.refresh()
        return generate_latest(self.registry)


def active_runs_counter(sessions: async_sessionmaker[AsyncSession]) -> CountSource:
    """A source counting the runs in progress (one ``COUNT`` over an indexed column)."""

    async def count() -> int:
        async with sessions() as session:
            result = await session.execute(
                select(func.count()).select_from(RunRow).where(RunRow.status == RunStatus.IN_PROGRESS.value)
            )
            return int(result.scalar_one())

    return count


def database_check(engine: AsyncEngine) -> Check:
    """A readiness check running ``SELECT 1``."""

    async def check() -> None:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    return check


@dataclass(frozen=True)
class Observability:
    """What the observability routes serve: the metrics and the readiness checks by name."""

    metrics: Metrics
    checks: Mapping[str, Check]

    def register(self, app: web.Application) -> None:
        """Add ``/healthz``, ``/readyz`` and ``/metrics`` to ``app``."""
        app.router.add_get(HEALTH_PATH, self.health)
        app.router.add_get(READY_PATH, self.ready)
        app.router.add_get(METRICS_PATH, self.metrics_page)

    async def health(self, request: web.Request) -> web.Response:
        """The process is up."""
        return web.json_response({"status": "ok"})

    async def ready(self, request: web.Request) -> web.Response:
        """Each dependency's state; 503 when any failed."""
        results = await asyncio.gather(*(_probe(check) for check in self.checks.values()))
        checks = dict(zip(self.checks, results, strict=True))
        ready = all(result == "ok" for result in results)
        body = {"status": "ready" if ready else "not ready", "checks": checks}
        return web.json_response(body, status=200 if ready else 503)

    async def metrics_page(self, request: web.Request) -> web.Response:
        """The metrics in Prometheus' text format."""
        body = await self.metrics.exposition()
        response = web.Response(body=body)
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return response


async def _probe(check: Check) -> str:
    """``"ok"``, or what went wrong — the error's kind only, which names no secret or address."""
    try:
        async with asyncio.timeout(READINESS_TIMEOUT):
            await check()
    except TimeoutError:
        return f"no answer within {READINESS_TIMEOUT:g} s"
    except Exception as error:
        return f"failed ({type(error).__name__})"
    return "ok"
