"""Insights across runs: runs started per week, runs in progress, time to finish, metric values.

The numbers are aggregated by the database (:mod:`storage.repositories.insights`, whose queries
are range scans of indexes: the cost grows with the runs inside the twelve weeks shown, and with a
metric's values, never with every run ever made). The chart is drawn by matplotlib in a worker
thread (:func:`chart_png`), so the event loop keeps serving while it renders.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.domain.errors import DomainError
from bot.domain.insights import (
    METRIC_POINTS_SHOWN,
    Insights,
    MetricPoint,
    MetricSeries,
    WeekStats,
    week_starts,
)
from bot.domain.playbook import Playbook
from bot.domain.retrospective import stored_target
from bot.render import charts
from bot.services.context import Services
from bot.services.playbooks import PlaybookNotFoundError, find_playbook, visible_playbooks
from storage.repositories.insights import InsightsRepository, RunScope
from storage.repositories.playbooks import PlaybookRepository


class NoTeamError(DomainError):
    def __init__(self) -> None:
        super().__init__("Insights belong to a team: send this command in one of the team's channels.")


async def insights_for(
    services: Services, team_id: str, playbook_name: str = "", *, user_id: str | None = None
) -> Insights:
    """Insights for the team, or for the playbook named ``playbook_name``.

    With ``user_id``, only what that person may see counts: their visible playbooks' runs, and a
    playbook they may view. Without one (the operator at the terminal), every run of the team.
    """
    if not team_id:
        raise NoTeamError()
    if playbook_name.strip():
        playbook = await _playbook(services, team_id, playbook_name, user_id)
        scope = RunScope(team_id, (playbook.id,))
        return await gather(services, scope, f"“{playbook.title}”", playbook)
    if user_id is None:
        return await gather(services, RunScope(team_id), "the team")
    if await services.people.is_system_admin(user_id):
        return await gather(services, RunScope(team_id), "the team")
    visible = await visible_playbooks(services, user_id, [team_id], archived=None)
    return await gather(services, RunScope(team_id, tuple(p.id for p in visible)), "your team's playbooks")


async def _playbook(services: Services, team_id: str, name: str, user_id: str | None) -> Playbook:
    if user_id is not None:
        return await find_playbook(services, user_id, team_id, name)
    async with services.transaction() as session:
        repository = PlaybookRepository(session, clock=services.clock)
        found = await repository.get(name.strip()) or await repository.get_by_title(team_id, name)
    if found is None or found.team_id != team_id:
        raise PlaybookNotFoundError(name)
    return found


async def gather(
    services: Services, scope: RunScope, scope_name: str, playbook: Playbook | None = None
) -> Insights:
    """The numbers for ``scope`` over the last twelve ISO weeks (and ``playbook``'s metrics)."""
    now = services.clock()
    starts = week_starts(now)
    end = starts[-1] + timedelta(weeks=1)
    async with services.transaction() as session:
        repository = InsightsRepository(session)
        started = await repository.started_per_week(scope, starts, end)
        finish = await repository.finish_times(scope, starts, end)
        in_progress = await repository.in_progress(scope)
        metrics: list[MetricSeries] = []
        playbook_id = playbook.id if playbook is not None else ""
        for metric in playbook.metrics if playbook is not None else ():
            values = await repository.metric_values(playbook_id, metric.title, METRIC_POINTS_SHOWN)
            count, average = await repository.metric_average(playbook_id, metric.title)
            metrics.append(
                MetricSeries(
                    title=metric.title,
                    type=metric.type,
                    target=stored_target(metric),
                    points=tuple(MetricPoint(at, value, name) for at, value, name in values),
                    average=average,
                    count=count,
                )
            )
    weeks = _weeks(starts, started, finish.finished_per_week, finish.mean_per_week)
    return Insights(
        scope=scope_name,
        generated_at=now,
        weeks=weeks,
        in_progress=in_progress,
        finished=finish.finished,
        median_finish_seconds=finish.median_seconds,
        mean_finish_seconds=finish.mean_seconds,
        metrics=tuple(metrics),
    )


def _weeks(
    starts: Sequence[datetime],
    started: Sequence[int],
    finished: Sequence[int],
    means: Sequence[float | None],
) -> tuple[WeekStats, ...]:
    return tuple(
        WeekStats(start, started_count, finished_count, mean)
        for start, started_count, finished_count, mean in zip(starts, started, finished, means, strict=True)
    )


async def chart_png(insights: Insights) -> bytes:
    """The insights chart as PNG bytes, drawn in a worker thread."""
    return await asyncio.to_thread(charts.insights_png, insights)
