"""InsightsRepository and RetrospectiveRepository on each backend: the aggregates match the runs."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain.insights import week_starts
from bot.domain.playbook import MetricType
from bot.domain.retrospective import MetricValue, Retrospective
from bot.domain.run import RunStatus
from storage.repositories.insights import InsightsRepository, RunScope
from storage.repositories.playbooks import PlaybookRepository
from storage.repositories.retrospectives import RetrospectiveRepository
from storage.repositories.runs import RunRepository
from tests.storage import factories
from tests.storage.factories import TEAM

Factory = async_sessionmaker[AsyncSession]


async def test_weekly_counts_times_to_finish_and_metric_values(session_factory: Factory) -> None:
    starts = week_starts(factories.T0)
    end = starts[-1] + timedelta(weeks=1)
    monday = starts[-1]
    async with session_factory.begin() as session:
        playbook = await PlaybookRepository(session).add(factories.playbook())
        other = await PlaybookRepository(session).add(factories.playbook("Other"))
        runs = RunRepository(session)
        hours = (1, 2, 6)
        for number, took in enumerate(hours, start=1):
            created = monday + timedelta(hours=number)
            run = factories.run(playbook.id, number, created_at=created)
            await runs.add(
                replace(run, status=RunStatus.FINISHED, finished_at=created + timedelta(hours=took))
            )
        await runs.add(factories.run(playbook.id, 4, created_at=starts[-2] + timedelta(days=1)))
        await runs.add(factories.run(other.id, 1, created_at=monday))
        await runs.add(factories.run(playbook.id, 5, created_at=starts[0] - timedelta(days=1)))  # too old

    async with session_factory.begin() as session:
        insights = InsightsRepository(session)
        scope = RunScope(TEAM, (playbook.id,))
        started = await insights.started_per_week(scope, starts, end)
        assert started[-1] == 3
        assert started[-2] == 1
        assert sum(started) == 4
        assert sum(await insights.started_per_week(RunScope(TEAM), starts, end)) == 5
        assert await insights.in_progress(scope) == 2
        finish = await insights.finish_times(scope, starts, end)
        assert finish.finished == 3
        assert finish.finished_per_week[-1] == 3
        assert round(finish.mean_seconds or 0) == 3 * 3600
        assert round(finish.median_seconds or 0) == 2 * 3600
        assert round(finish.mean_per_week[-1] or 0) == 3 * 3600
        assert finish.mean_per_week[0] is None

    async with session_factory.begin() as session:
        listed = await RunRepository(session).list(playbook_id=playbook.id, status=RunStatus.FINISHED)
        retros = RetrospectiveRepository(session)
        for offset, run in enumerate(sorted(listed, key=lambda r: r.number)):
            retro = Retrospective(
                run.id,
                "text",
                (MetricValue("Cost", MetricType.CURRENCY, 100 * (offset + 1)),),
                published_at=end + timedelta(hours=offset),
                published_by=run.owner_id,
                revision=1,
            )
            await retros.save(retro, playbook_id=playbook.id, at=end)
        await retros.set_posts(listed[0].id, "p" * 26, {"c" * 26: "q" * 26})

    async with session_factory.begin() as session:
        insights = InsightsRepository(session)
        values = await insights.metric_values(playbook.id, "Cost", 2)
        assert [value for _, value, _ in values] == [200, 300]
        assert await insights.metric_average(playbook.id, "Cost") == (3, 200.0)
        stored = await RetrospectiveRepository(session).get(listed[0].id)
        assert stored is not None
        assert stored.post_id == "p" * 26
        assert stored.broadcast_posts == {"c" * 26: "q" * 26}
        assert stored.retrospective.metric_values[0].type is MetricType.CURRENCY
