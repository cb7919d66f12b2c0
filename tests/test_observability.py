"""Health, readiness and metrics: the routes, the Metrics object, and a running bot's numbers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import observability
from bot.observability import Check, Metrics, Observability, active_runs_counter
from storage.repositories.playbooks import PlaybookRepository
from storage.repositories.runs import RunRepository
from tests.storage import factories


async def ok() -> None:
    return None


async def refused() -> None:
    raise ConnectionRefusedError("connect to postgres://bot:hunter2-password@db:5432 refused")


async def silent() -> None:
    await asyncio.sleep(30)


@pytest.fixture
async def client_for() -> AsyncIterator[object]:
    clients: list[TestClient[web.Request, web.Application]] = []

    async def make(
        checks: Mapping[str, Check], metrics: Metrics | None = None
    ) -> TestClient[web.Request, web.Application]:
        app = web.Application()
        Observability(metrics or Metrics(), checks).register(app)
        client = TestClient(TestServer(app))
        await client.start_server()
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()


async def test_healthz_answers_without_asking_any_dependency(client_for: object) -> None:
    client = await client_for({"database": silent})  # type: ignore[operator]
    async with asyncio.timeout(1):
        response = await client.get("/healthz")
    assert response.status == 200
    assert await response.json() == {"status": "ok"}


async def test_readyz_is_200_when_every_dependency_answers(client_for: object) -> None:
    client = await client_for({"database": ok, "mattermost": ok})  # type: ignore[operator]
    response = await client.get("/readyz")
    assert response.status == 200
    assert await response.json() == {"status": "ready", "checks": {"database": "ok", "mattermost": "ok"}}


async def test_readyz_names_the_failed_dependency_without_its_error_text(client_for: object) -> None:
    client = await client_for({"database": refused, "mattermost": ok})  # type: ignore[operator]
    response = await client.get("/readyz")
    assert response.status == 503
    body = await response.json()
    assert body == {
        "status": "not ready",
        "checks": {"database": "failed (ConnectionRefusedError)", "mattermost": "ok"},
    }
    assert "hunter2" not in await response.text()


async def test_readyz_does_not_wait_for_a_silent_dependency(
    client_for: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(observability, "READINESS_TIMEOUT", 0.05)
    client = await client_for({"database": ok, "mattermost": silent})  # type: ignore[operator]
    async with asyncio.timeout(5):
        response = await client.get("/readyz")
    assert response.status == 503
    assert (await response.json())["checks"]["mattermost"] == "no answer within 0.05 s"


async def test_metrics_are_in_prometheus_text_format(client_for: object) -> None:
    metrics = Metrics()
    metrics.reminders_sent.inc(2)
    metrics.webhook_failures.inc()
    with metrics.time_callback("dialog"):
        pass

    async def overdue() -> int:
        return 3

    metrics.add_overdue_source(overdue)
    client = await client_for({}, metrics)  # type: ignore[operator]
    response = await client.get("/metrics")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    text = await response.text()
    for line in (
        "playbooks_reminders_sent_total 2.0",
        "playbooks_webhook_failures_total 1.0",
        "playbooks_overdue_status_updates 3.0",
        "playbooks_active_runs 0.0",
        'playbooks_callback_seconds_count{kind="dialog"} 1.0',
    ):
        assert line in text.splitlines(), line


async def test_each_metrics_object_counts_on_its_own() -> None:
    first, second = Metrics(), Metrics()
    first.reminders_sent.inc()
    assert b"playbooks_reminders_sent_total 1.0" in await first.exposition()
    assert b"playbooks_reminders_sent_total 0.0" in await second.exposition()


async def test_a_failing_gauge_source_keeps_the_last_value() -> None:
    metrics = Metrics()
    answers = [4]

    async def source() -> int:
        if not answers:
            raise ConnectionError("database gone")
        return answers.pop()

    metrics.add_overdue_source(source)
    assert b"playbooks_overdue_status_updates 4.0" in await metrics.exposition()
    assert b"playbooks_overdue_status_updates 4.0" in await metrics.exposition()


async def test_active_runs_are_counted_from_the_database(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    count = active_runs_counter(session_factory)
    assert await count() == 0
    async with session_factory() as session, session.begin():
        stored = await PlaybookRepository(session).add(factories.playbook())
        runs = RunRepository(session)
        await runs.add(factories.run(stored.id, 1))
        await runs.add(factories.run(stored.id, 2))
        await runs.add(factories.finished(factories.run(stored.id, 3)))
    assert await count() == 2
