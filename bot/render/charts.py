"""The insights chart: one PNG with a panel per question, drawn with matplotlib.

Drawn on a :class:`~matplotlib.figure.Figure` with the Agg canvas, never through ``pyplot``: no
global state, so charts can be drawn in worker threads side by side.
"""

from __future__ import annotations

import io
import math

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bot.domain.insights import Insights, MetricSeries
from bot.domain.playbook import MetricType
from bot.domain.retrospective import CENTS_PER_UNIT, HOUR_MS

_PANEL_HEIGHT = 2.6
_WIDTH = 9.0
_BLUE = "#1c58d9"
_GREEN = "#3db887"
_RED = "#d24b4e"


def metric_scale(metric_type: MetricType) -> tuple[float, str]:
    """What a stored value is divided by on the chart, and the unit then shown."""
    if metric_type is MetricType.DURATION:
        return HOUR_MS, "hours"
    if metric_type is MetricType.CURRENCY:
        return CENTS_PER_UNIT, "amount"
    return 1, "count"


def insights_png(insights: Insights) -> bytes:
    """The chart as PNG bytes: runs per week, time to finish, then each metric against its target."""
    panels = 2 + len(insights.metrics)
    figure = Figure(figsize=(_WIDTH, _PANEL_HEIGHT * panels), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(panels, 1, squeeze=False)[:, 0]
    labels = [week.label.split("-")[1] for week in insights.weeks]
    positions = list(range(len(labels)))

    runs = axes[0]
    width = 0.4
    runs.bar(
        [p - width / 2 for p in positions],
        [w.started for w in insights.weeks],
        width,
        color=_BLUE,
        label="started",
    )
    runs.bar(
        [p + width / 2 for p in positions],
        [w.finished for w in insights.weeks],
        width,
        color=_GREEN,
        label="finished",
    )
    runs.set_title(f"Runs per week — {insights.scope}", loc="left")
    runs.set_xticks(positions, labels)
    runs.yaxis.get_major_locator().set_params(integer=True)
    runs.legend(loc="upper left", frameon=False)

    finish = axes[1]
    hours = [
        math.nan if w.mean_finish_seconds is None else w.mean_finish_seconds / 3600 for w in insights.weeks
    ]
    finish.plot(positions, hours, marker="o", color=_BLUE, label="mean of the week")
    if insights.median_finish_seconds is not None:
        finish.axhline(
            insights.median_finish_seconds / 3600, color=_GREEN, linestyle="--", label="median, 12 weeks"
        )
    finish.set_title("Time to finish (hours)", loc="left")
    finish.set_xticks(positions, labels)
    finish.set_ylim(bottom=0)
    finish.legend(loc="upper left", frameon=False)

    for panel, series in zip(axes[2:], insights.metrics, strict=True):
        _metric_panel(panel, series)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _metric_panel(panel: Axes, series: MetricSeries) -> None:
    scale, unit = metric_scale(series.type)
    values = [point.value / scale for point in series.points]
    panel.plot(range(len(values)), values, marker="o", color=_BLUE, label="value")
    if series.target is not None:
        panel.axhline(series.target / scale, color=_RED, linestyle="--", label="target")
    panel.set_title(f"{series.title} ({unit}), last {len(values)} runs", loc="left")
    panel.set_xticks(
        range(len(values)), [point.published_at.strftime("%b %d") for point in series.points], fontsize=7
    )
    if not values:
        panel.text(0.5, 0.5, "no published values yet", ha="center", va="center", transform=panel.transAxes)
    panel.set_ylim(bottom=0)
    panel.legend(loc="upper left", frameon=False)
