"""Insights across runs: what the numbers are, and the ISO weeks they are counted in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.domain.playbook import MetricType

WEEKS_SHOWN = 12
METRIC_POINTS_SHOWN = 20


def week_starts(now: datetime, count: int = WEEKS_SHOWN) -> tuple[datetime, ...]:
    """The starts (Monday 00:00 UTC) of the last ``count`` ISO weeks, oldest first, this week last."""
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    this_week = today - timedelta(days=today.weekday())
    return tuple(this_week - timedelta(weeks=back) for back in range(count - 1, -1, -1))


def week_label(start: datetime) -> str:
    """``2026-W47``: the ISO week a Monday starts."""
    year, week, _ = start.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass(frozen=True, slots=True)
class WeekStats:
    """One ISO week: runs started and finished in it, and their mean time to finish."""

    start: datetime
    started: int
    finished: int
    mean_finish_seconds: float | None

    @property
    def label(self) -> str:
        return week_label(self.start)


@dataclass(frozen=True, slots=True)
class MetricPoint:
    """One published value of a metric: when, and for which run."""

    published_at: datetime
    value: int
    run_name: str


@dataclass(frozen=True, slots=True)
class MetricSeries:
    """A metric's recent values (oldest first), its average over all runs, and its target, all in
    the metric's stored units (milliseconds, cents or a count)."""

    title: str
    type: MetricType
    target: int | None
    points: tuple[MetricPoint, ...]
    average: float | None
    count: int


@dataclass(frozen=True, slots=True)
class Insights:
    """The numbers behind ``/playbook stats`` for a team or one playbook."""

    scope: str
    generated_at: datetime
    weeks: tuple[WeekStats, ...]
    in_progress: int
    finished: int
    """Runs finished within the weeks shown."""
    median_finish_seconds: float | None
    mean_finish_seconds: float | None
    metrics: tuple[MetricSeries, ...] = ()

    @property
    def started(self) -> int:
        """Runs started within the weeks shown."""
        return sum(week.started for week in self.weeks)
