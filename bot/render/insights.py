"""Insights as text: the summary ``/playbook stats`` replies with, and the terminal's table."""

from __future__ import annotations

from bot.domain.insights import Insights, MetricSeries
from bot.domain.retrospective import format_duration, format_metric_value

STATS_WORKING = "Working out the numbers…"
REPORT_WORKING = "Writing the run's report…"


def seconds_text(seconds: float | None) -> str:
    """A time to finish as ``2d 4h 30m`` (``—`` when there is none)."""
    return "—" if seconds is None else format_duration(round(seconds * 1000))


def summary_text(insights: Insights) -> str:
    """A short Markdown summary: runs started, in progress, finished and how long they took, and
    each metric's latest value and average against its target."""
    weeks = insights.weeks
    lines = [
        f"**Insights for {insights.scope}**, last {len(weeks)} weeks ({weeks[0].label} to {weeks[-1].label})",
        f"- Runs started: {insights.started} (this week: {weeks[-1].started})",
        f"- Runs in progress: {insights.in_progress}",
        f"- Runs finished: {insights.finished} · time to finish: median "
        f"{seconds_text(insights.median_finish_seconds)}, mean {seconds_text(insights.mean_finish_seconds)}",
    ]
    lines += [f"- {metric_line(series)}" for series in insights.metrics]
    return "\n".join(lines)


def metric_line(series: MetricSeries) -> str:
    """``**Time to resolve**: last 1h 30m · average 1d 2h · target 1d (12 values)``."""
    if not series.points:
        return f"**{series.title}**: no published values yet"
    last = format_metric_value(series.type, series.points[-1].value)
    average = "—" if series.average is None else format_metric_value(series.type, round(series.average))
    target = "none" if series.target is None else format_metric_value(series.type, series.target)
    values = "1 value" if series.count == 1 else f"{series.count} values"
    return f"**{series.title}**: last {last} · average {average} · target {target} ({values})"


def weekly_table(insights: Insights) -> str:
    """The weeks as a plain-text table, for the terminal."""
    rows = [("WEEK", "STARTED", "FINISHED", "MEAN TIME TO FINISH")]
    rows += [
        (week.label, str(week.started), str(week.finished), seconds_text(week.mean_finish_seconds))
        for week in insights.weeks
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows
    )


def terminal_text(insights: Insights) -> str:
    """The summary and the weekly table as plain text, for ``playbooks-bot stats``."""
    plain = summary_text(insights).replace("**", "")
    return f"{plain}\n\n{weekly_table(insights)}\n"


def upload_failed(what: str) -> str:
    """What to say when a chart or a report could not be uploaded."""
    return f"I couldn't upload the {what}. Please try again in a moment."


def chart_sent(summary: str, bot_username: str) -> str:
    """The answer to ``/playbook stats`` once the chart is in the person's direct messages."""
    return f"{summary}\n\nThe chart is in your direct messages with @{bot_username}."


def report_posted(link: str) -> str:
    """The answer to ``/playbook report`` once the report is in the channel."""
    return f"The report is in the channel: {link}"
