"""The aggregates behind insights, computed in the database.

Every query is a range scan of one index (see :mod:`storage.models_retrospectives`), so the
work grows with the runs inside the window asked about, never with all the runs ever made:

* runs started per week: over ``(team_id | playbook_id, created_at)``, a range count per week
  (SQLite, index entries only) or one bucketed pass (PostgreSQL) — O(runs started in the window);
* runs in progress: a count over ``(…, status)`` — O(runs in progress);
* time to finish: counts and sums per week over the covering ``(…, status, finished_at,
  created_at)`` index — O(runs finished in the window); the median reads the latest
  :data:`MEDIAN_SAMPLE` of them newest first through the same index and sorts those — O(1) in the
  number of runs (``percentile_cont`` on PostgreSQL);
* metric values: the newest N through ``(playbook_id, title, published_at, value)``, and the average
  over the same covering index — O(N) and O(values of that metric).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import Any

from sqlalchemy import ColumnElement, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.run import RunStatus
from storage.models import RunRow
from storage.models_retrospectives import RetrospectiveMetricValueRow

MEDIAN_SAMPLE = 2000
"""The median time to finish looks at this many of the latest runs finished in the window."""
WEEK_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True, slots=True)
class RunScope:
    """Which runs count: a team's, optionally only those of some playbooks."""

    team_id: str
    playbook_ids: tuple[str, ...] | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        # A playbook belongs to one team: with playbooks named, their index alone answers.
        if self.playbook_ids is not None:
            return [RunRow.playbook_id.in_(self.playbook_ids)]
        return [RunRow.team_id == self.team_id]


@dataclass(frozen=True, slots=True)
class FinishTimes:
    """Runs finished per week with their mean time to finish, and over the whole window."""

    finished_per_week: tuple[int, ...]
    mean_per_week: tuple[float | None, ...]
    finished: int
    mean_seconds: float | None
    median_seconds: float | None


class InsightsRepository:
    """Aggregates over runs and metric values, in the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._postgres = session.get_bind().dialect.name == "postgresql"

    async def started_per_week(self, scope: RunScope, starts: Sequence[datetime], end: datetime) -> list[int]:
        """How many runs started in each week ``[starts[i], starts[i+1])``, the last ending at ``end``."""
        counts, _ = await self._per_week(scope.conditions(), RunRow.created_at, starts, end)
        return counts

    async def in_progress(self, scope: RunScope) -> int:
        """How many runs are in progress now."""
        statement = select(func.count()).where(
            *scope.conditions(), RunRow.status == RunStatus.IN_PROGRESS.value
        )
        return int((await self._session.execute(statement)).scalar_one())

    async def finish_times(self, scope: RunScope, starts: Sequence[datetime], end: datetime) -> FinishTimes:
        """Runs finished in each week and their mean time to finish; the window's mean and median."""
        seconds = self._seconds_to_finish()
        finished_runs = [*scope.conditions(), RunRow.status == RunStatus.FINISHED.value]
        counts, sums = await self._per_week(finished_runs, RunRow.finished_at, starts, end, seconds)
        finished = sum(counts)
        means = tuple(total / count if count else None for total, count in zip(sums, counts, strict=True))
        window = [*finished_runs, RunRow.finished_at >= starts[0], RunRow.finished_at < end]
        return FinishTimes(
            finished_per_week=tuple(counts),
            mean_per_week=means,
            finished=finished,
            mean_seconds=sum(sums) / finished if finished else None,
            median_seconds=await self._median(seconds, window, finished),
        )

    async def _per_week(
        self,
        conditions: Sequence[ColumnElement[bool]],
        column: Any,
        starts: Sequence[datetime],
        end: datetime,
        summed: ColumnElement[Any] | None = None,
    ) -> tuple[list[int], list[float]]:
        """Rows matching ``conditions`` per week of ``column`` (and the sum of ``summed`` per week)."""
        weeks = list(pairwise([*starts, end]))
        counts, sums = [0] * len(weeks), [0.0] * len(weeks)
        if self._postgres:
            # One pass, bucketed: PostgreSQL would otherwise scan the table once per week.
            bucket = func.floor(func.extract("epoch", column - starts[0]) / WEEK_SECONDS).label("week")
            total = func.sum(summed) if summed is not None else literal_column("0")
            statement = (
                select(bucket, func.count(), total)
                .where(*conditions, column >= starts[0], column < end)
                .group_by(bucket)
            )
            for index, count, value in (await self._session.execute(statement)).all():
                if 0 <= int(index) < len(weeks):
                    counts[int(index)], sums[int(index)] = int(count), float(value or 0)
            return counts, sums
        # SQLite counts a range by walking index entries, far cheaper than computing a bucket per
        # row; only the sums read each run's times.
        columns = [
            select(func.count()).where(*conditions, column >= low, column < high).scalar_subquery()
            for low, high in weeks
        ]
        if summed is not None:
            columns += [
                select(func.sum(summed)).where(*conditions, column >= low, column < high).scalar_subquery()
                for low, high in weeks
            ]
        row = (await self._session.execute(select(*columns))).one()
        counts = [int(value) for value in row[: len(weeks)]]
        if summed is not None:
            sums = [float(value or 0) for value in row[len(weeks) :]]
        return counts, sums

    async def _median(self, seconds: ColumnElement[Any], window: list[Any], count: int) -> float | None:
        """The median time to finish of the latest :data:`MEDIAN_SAMPLE` runs finished in the window
        (all of them when there are fewer): read newest first through the index, then sorted."""
        if count == 0:
            return None
        latest = (
            select(seconds.label("seconds"))
            .where(*window)
            .order_by(RunRow.finished_at.desc())
            .limit(MEDIAN_SAMPLE)
            .subquery()
        )
        if self._postgres:
            median = select(func.percentile_cont(0.5).within_group(latest.c.seconds))
            value = (await self._session.execute(median)).scalar_one()
            return None if value is None else float(value)
        # SQLite has no percentile: the middle one or two durations in order.
        sampled = min(count, MEDIAN_SAMPLE)
        middle_rows = (
            select(latest.c.seconds)
            .order_by(latest.c.seconds)
            .offset((sampled - 1) // 2)
            .limit(2 - sampled % 2)
        )
        middle = [float(value) for value in (await self._session.execute(middle_rows)).scalars()]
        return sum(middle) / len(middle) if middle else None

    def _seconds_to_finish(self) -> ColumnElement[Any]:
        if self._postgres:
            return func.extract("epoch", RunRow.finished_at - RunRow.created_at)
        return (func.julianday(RunRow.finished_at) - func.julianday(RunRow.created_at)) * literal_column(
            "86400.0"
        )

    async def metric_values(
        self, playbook_id: str, title: str, limit: int
    ) -> list[tuple[datetime, int, str]]:
        """The newest ``limit`` published values of the metric, oldest first, with their run's name."""
        values = RetrospectiveMetricValueRow
        statement = (
            select(values.published_at, values.value, RunRow.name)
            .join(RunRow, RunRow.id == values.run_id)
            .where(values.playbook_id == playbook_id, values.title == title, values.value.is_not(None))
            .order_by(values.published_at.desc())
            .limit(limit)
        )
        rows = (await self._session.execute(statement)).all()
        return [(at, int(value or 0), str(name)) for at, value, name in reversed(rows)]

    async def metric_average(self, playbook_id: str, title: str) -> tuple[int, float | None]:
        """How many published values the metric has, and their mean."""
        values = RetrospectiveMetricValueRow
        statement = select(func.count(values.value), func.avg(values.value)).where(
            values.playbook_id == playbook_id, values.title == title
        )
        count, average = (await self._session.execute(statement)).one()
        return int(count), None if average is None else float(average)
