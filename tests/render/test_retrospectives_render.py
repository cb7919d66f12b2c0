"""How retrospectives, run reports and insights read: golden texts for fixed values.

Rewrite the golden files after an intended change with
``UPDATE_GOLDEN=1 pytest tests/render/test_retrospectives_render.py`` and review the diff.
"""

from __future__ import annotations

import html
from dataclasses import replace
from datetime import timedelta

from bot.domain.insights import Insights, MetricPoint, MetricSeries, WeekStats, week_label, week_starts
from bot.domain.playbook import Metric, MetricType
from bot.domain.retrospective import DAY_MS, HOUR_MS, MetricValue, Retrospective
from bot.domain.run import Run, RunStatus
from bot.domain.timeline import TimelineEventType, event, run_created, status_updated
from bot.render.charts import insights_png
from bot.render.insights import summary_text, terminal_text
from bot.render.report import RunReport, StatusUpdateEntry, report_html, report_markdown
from bot.render.retrospectives import reminder_post, retrospective_dialog, retrospective_post

from .test_runs_render import ALICE, BOB, NAMES, NOW, SIGNER, STARTED, URL, a_run, assert_golden

METRICS = (
    Metric("Time to resolve", "From page to all-clear.", MetricType.DURATION, DAY_MS),
    Metric("Cost | credits", "", MetricType.CURRENCY, 500),
    Metric("Customers affected", "", MetricType.INTEGER, None),
)
RETRO = Retrospective(
    run_id="r" * 26,
    text="The disk filled up.\n\n- Alert on 80%",
    metric_values=(
        MetricValue("Time to resolve", MetricType.DURATION, DAY_MS + 4 * HOUR_MS),
        MetricValue("Cost | credits", MetricType.CURRENCY, 125_050),
        MetricValue("Customers affected", MetricType.INTEGER, None),
    ),
    published_at=NOW,
    published_by=ALICE,
    revision=1,
)


def finished_run() -> Run:
    return replace(a_run(), status=RunStatus.FINISHED, finished_at=NOW)


def test_retrospective_post() -> None:
    assert_golden("retrospective_post.md", retrospective_post(finished_run(), RETRO, METRICS, NAMES))


def test_republished_retrospective_says_updated() -> None:
    post = retrospective_post(finished_run(), replace(RETRO, revision=2, published_by=BOB), METRICS, NAMES)
    assert "@bob updated the retrospective." in post


def test_reminder_has_the_fill_in_button() -> None:
    text, attachments = reminder_post(finished_run(), NAMES, SIGNER, URL)
    assert text.startswith("@alice, please fill in the retrospective for **INC-00042 · Incident: DB down**")
    (action,) = attachments[0]["actions"]
    assert (action["id"], action["name"]) == ("fillretro", "Fill in the retrospective")
    assert SIGNER.verify(action["integration"]["context"]) == {"a": "retro_open", "r": "r" * 26}


def test_retrospective_dialog() -> None:
    dialog = retrospective_dialog(finished_run(), METRICS, "### What happened", RETRO, "STATE")
    assert_golden("retrospective_dialog.json", dialog)
    for element in dialog["elements"]:
        assert len(element["display_name"]) <= 24
        assert len(element.get("help_text", "")) <= 150


def a_report() -> RunReport:
    timeline = [
        run_created(STARTED, BOB, run_name="Incident: DB down"),
        status_updated(STARTED + timedelta(minutes=10), ALICE, post_id="p" * 26),
        event(TimelineEventType.RUN_FINISHED, NOW, ALICE, "{actor} finished the run"),
    ]
    updates = [StatusUpdateEntry(STARTED + timedelta(minutes=10), ALICE, "Failing over <now>.")]
    return RunReport(
        run=finished_run(),
        playbook_title="Incident Response",
        names=NAMES,
        timeline=timeline,
        status_updates=updates,
        retrospective=RETRO,
        metrics=METRICS,
        generated_at=NOW,
    )


def test_report_markdown() -> None:
    assert_golden("report.md", report_markdown(a_report()))


def test_report_html_escapes_every_text() -> None:
    page = report_html(a_report())
    assert "Failing over &lt;now&gt;." in page
    assert "<now>" not in page
    for checklist in a_report().run.checklists:
        for item in checklist.items:
            assert html.escape(item.title) in page


def an_insights() -> Insights:
    starts = week_starts(NOW)
    weeks = tuple(
        WeekStats(start, started=index % 3, finished=index % 2, mean_finish_seconds=3600.0 * index or None)
        for index, start in enumerate(starts)
    )
    series = MetricSeries(
        "Time to resolve",
        MetricType.DURATION,
        DAY_MS,
        (MetricPoint(NOW, 2 * HOUR_MS, "Disk full"), MetricPoint(NOW, 6 * HOUR_MS, "Cache cold")),
        average=4 * HOUR_MS,
        count=2,
    )
    return Insights("“Incident Response”", NOW, weeks, 1, 6, 7200.0, 5400.0, (series,))


def test_insights_text() -> None:
    assert_golden("insights.txt", terminal_text(an_insights()))
    assert summary_text(an_insights()).startswith("**Insights for “Incident Response”**, last 12 weeks")


def test_weeks_are_iso_weeks_ending_with_this_one() -> None:
    starts = week_starts(NOW)
    assert len(starts) == 12
    assert all(start.weekday() == 0 for start in starts)
    assert week_label(starts[-1]) == "2026-W48"
    assert starts[-1] <= NOW < starts[-1] + timedelta(weeks=1)


def test_insights_chart_is_a_png_with_a_panel_per_question() -> None:
    png = insights_png(an_insights())
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert png[12:16] == b"IHDR"
    assert int.from_bytes(png[20:24], "big") == 3 * 260
