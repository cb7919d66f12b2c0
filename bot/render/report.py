"""The run report, as Markdown and as HTML, from the same structured data.

Everything a run holds goes in: summary, owner and participants, every checklist item with its
state, assignee and who finished it when, the status updates, the timeline, and the
retrospective with its metric values. HTML is written directly with every piece of text escaped,
so a task title can never inject markup.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.domain.playbook import Metric
from bot.domain.retrospective import Retrospective, format_metric_value, stored_target
from bot.domain.run import ItemState, Run, RunItem, iter_items
from bot.domain.timeline import TimelineEvent, render_summary
from bot.render.runs import format_duration, format_time, mention, progress_text, status_text

Names = Mapping[str, str]
Cell = str

STATE_TEXT = {
    ItemState.OPEN: "Open",
    ItemState.IN_PROGRESS: "In progress",
    ItemState.CLOSED: "Done",
    ItemState.SKIPPED: "Skipped",
}


@dataclass(frozen=True, slots=True)
class StatusUpdateEntry:
    """One status update of the run: when, by whom, and what it said."""

    at: datetime
    author_id: str
    text: str


@dataclass(frozen=True, slots=True)
class RunReport:
    """Everything the report shows, gathered by :mod:`bot.services.reports`."""

    run: Run
    playbook_title: str
    names: Names
    timeline: Sequence[TimelineEvent]
    status_updates: Sequence[StatusUpdateEntry]
    retrospective: Retrospective | None
    metrics: Sequence[Metric]
    generated_at: datetime


@dataclass(frozen=True, slots=True)
class _Section:
    title: str
    paragraphs: Sequence[str] = ()
    tables: Sequence[tuple[Sequence[Cell], Sequence[Sequence[Cell]]]] = ()
    subsections: Sequence[_Section] = ()


def report_title(run: Run) -> str:
    """``INC-00001 · Database down``."""
    ident = f"{run.sequential_id} · " if run.sequential_id else ""
    return f"{ident}{' '.join(run.name.split())}"


def _sections(report: RunReport) -> tuple[list[tuple[str, str]], list[_Section]]:
    run, names = report.run, report.names

    def who(user_id: str | None) -> str:
        return mention(user_id, names)

    facts = [
        ("Playbook", report.playbook_title or "—"),
        ("Status", status_text(run)),
        ("Owner", who(run.owner_id)),
        ("Participants", ", ".join(who(u) for u in run.participant_ids) or "nobody"),
        ("Started", f"{format_time(run.created_at)} by {who(run.reporter_id)}"),
        ("Progress", progress_text(run)),
    ]
    if run.finished_at is not None:
        facts.append(
            (
                "Finished",
                f"{format_time(run.finished_at)} (after {format_duration(run.finished_at - run.created_at)})",
            )
        )
    sections = [_Section("Summary", [run.summary.strip() or "No summary."])]
    checklists = []
    for checklist_no, checklist in enumerate(run.checklists, start=1):
        rows = [
            _item_row(ref.checklist_no, ref.item_no, ref.item, who)
            for ref in iter_items(run)
            if ref.checklist_no == checklist_no
        ]
        checklists.append(
            _Section(
                f"{checklist_no}. {checklist.title}",
                [] if rows else ["No tasks."],
                [(("#", "Task", "State", "Assignee", "Done by", "When", "Due"), rows)] if rows else [],
            )
        )
    sections.append(_Section("Checklists", [] if checklists else ["No checklists."], subsections=checklists))
    updates = [
        _Section(f"{format_time(update.at)} — {who(update.author_id)}", [update.text.strip() or "(empty)"])
        for update in report.status_updates
    ]
    sections.append(
        _Section("Status updates", [] if updates else ["No status updates."], subsections=updates)
    )
    namer: Callable[[str], str] = who
    events = [(format_time(e.at), " ".join(render_summary(e, namer).split())) for e in report.timeline]
    sections.append(
        _Section(
            "Timeline",
            [] if events else ["Nothing recorded."],
            [(("Time", "Event"), events)] if events else [],
        )
    )
    sections.append(_retrospective_section(report, who))
    return facts, sections


def _item_row(checklist_no: int, item_no: int, item: RunItem, who: Callable[[str | None], str]) -> list[Cell]:
    # Who last moved the task out of open (checked, skipped or started it), and when.
    finished = item.state is not ItemState.OPEN
    return [
        f"{checklist_no}.{item_no}",
        " ".join(item.title.split()),
        STATE_TEXT[item.state],
        who(item.assignee_id) if item.assignee_id else "—",
        who(item.state_modified_by) if finished and item.state_modified_by else "—",
        format_time(item.state_modified_at) if finished and item.state_modified_at else "—",
        format_time(item.due_at) if item.due_at else "—",
    ]


def _retrospective_section(report: RunReport, who: Callable[[str | None], str]) -> _Section:
    retro = report.retrospective
    if retro is None or not retro.is_published:
        return _Section("Retrospective", ["Not published."])
    when = format_time(retro.published_at) if retro.published_at else "—"
    byline = f"Published {when} by {who(retro.published_by)}" + (
        f" (version {retro.revision})" if retro.revision > 1 else ""
    )
    targets = {metric.title: metric for metric in report.metrics}
    rows = []
    for value in retro.metric_values:
        metric = targets.get(value.title)
        target = stored_target(metric) if metric is not None and metric.type is value.type else None
        rows.append(
            [
                value.title,
                "—" if value.value is None else format_metric_value(value.type, value.value),
                "—" if target is None else format_metric_value(value.type, target),
            ]
        )
    tables = [(("Metric", "Value", "Target"), rows)] if rows else []
    return _Section("Retrospective", [byline, retro.text], tables)


# Markdown -----------------------------------------------------------------------------------------


def _md_cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _md_table(headers: Sequence[Cell], rows: Sequence[Sequence[Cell]]) -> list[str]:
    lines = [
        "| " + " | ".join(_md_cell(h) for h in headers) + " |",
        "|" + "|".join(":--" for _ in headers) + "|",
    ]
    lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]
    return lines


def _md_section(section: _Section, level: int) -> list[str]:
    lines = ["", f"{'#' * level} {' '.join(section.title.split())}"]
    for paragraph in section.paragraphs:
        lines += ["", paragraph]
    for headers, rows in section.tables:
        lines += ["", *_md_table(headers, rows)]
    for sub in section.subsections:
        lines += _md_section(sub, level + 1)
    return lines


def report_markdown(report: RunReport) -> str:
    """The report as Markdown."""
    facts, sections = _sections(report)
    lines = [f"# Run report: {report_title(report.run)}", "", *_md_table(("", ""), facts)]
    for section in sections:
        lines += _md_section(section, 2)
    lines += ["", f"_Report generated {format_time(report.generated_at)}._", ""]
    return "\n".join(lines)


# HTML ---------------------------------------------------------------------------------------------

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}"
    "table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccc;padding:.25rem .5rem;"
    "text-align:left;vertical-align:top}.text{white-space:pre-wrap}"
)


def _html_table(headers: Sequence[Cell], rows: Sequence[Sequence[Cell]]) -> list[str]:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    lines = ["<table>", f"<tr>{head}</tr>"] if any(headers) else ["<table>"]
    lines += ["<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows]
    return [*lines, "</table>"]


def _html_section(section: _Section, level: int) -> list[str]:
    lines = [f"<h{level}>{html.escape(section.title)}</h{level}>"]
    lines += [f'<div class="text">{html.escape(p)}</div>' for p in section.paragraphs]
    for headers, rows in section.tables:
        lines += _html_table(headers, rows)
    for sub in section.subsections:
        lines += _html_section(sub, min(level + 1, 6))
    return lines


def report_html(report: RunReport) -> str:
    """The report as a standalone HTML page (every text escaped)."""
    facts, sections = _sections(report)
    title = html.escape(f"Run report: {report_title(report.run)}")
    lines = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{title}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{title}</h1>",
        *_html_table(("", ""), facts),
    ]
    for section in sections:
        lines += _html_section(section, 2)
    lines += [
        f"<p><em>Report generated {html.escape(format_time(report.generated_at))}.</em></p>",
        "</body></html>",
        "",
    ]
    return "\n".join(lines)
