"""The retrospective as people see it: the reminder, the dialog, and the published post.

Pure functions of domain values; people are named from a ``names`` mapping (user id → username).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.callback_data import OpenRetrospective, RetrospectiveForm
from bot.domain.playbook import Metric
from bot.domain.retrospective import (
    MAX_REPORT_LENGTH,
    Retrospective,
    format_metric_value,
    metric_hint,
    prefill,
    prefill_values,
    stored_target,
)
from bot.domain.run import Run
from bot.render.buttons import button
from bot.render.runs import mention, truncate
from bot.security import ContextSigner

Names = Mapping[str, str]

REPORT_FIELD = "report"
METRIC_FIELD = "metric_{index}"
PUBLISHED = "Published the retrospective. It is in the run channel."
REPUBLISHED = "Updated the retrospective: its posts now show this version."

_DISPLAY_NAME = 24
_HELP_TEXT = 150
_TEXT_DEFAULT = 150


def run_title(run: Run) -> str:
    """``INC-00001 · Database down``."""
    ident = f"{run.sequential_id} · " if run.sequential_id else ""
    return truncate(f"{ident}{' '.join(run.name.split())}", 300)


def reminder_post(
    run: Run, names: Names, signer: ContextSigner, action_url: str
) -> tuple[str, list[dict[str, Any]]]:
    """The reminder to fill in the retrospective: text and an attachment with the button."""
    text = (
        f"{mention(run.owner_id, names)}, please fill in the retrospective for **{run_title(run)}**: "
        "what went well, what didn't, and the key metrics."
    )
    fill_in = button(
        "fillretro",
        "Fill in the retrospective",
        OpenRetrospective(run_id=run.id),
        signer=signer,
        url=action_url,
        style="primary",
    )
    return text, [{"fallback": text, "actions": [fill_in]}]


def retrospective_dialog(
    run: Run,
    metrics: Sequence[Metric],
    template: str,
    current: Retrospective | None,
    state: str,
) -> dict[str, Any]:
    """The dialog: one field per metric (prefilled with its last value) and the report."""
    elements: list[dict[str, Any]] = []
    for index, (metric, shown) in enumerate(zip(metrics, prefill_values(current, metrics), strict=True)):
        hint = metric_hint(metric.type)
        help_text = f"{metric.description} ({hint})" if metric.description.strip() else hint.capitalize()
        elements.append(
            {
                "display_name": truncate(metric.title, _DISPLAY_NAME),
                "name": METRIC_FIELD.format(index=index),
                "type": "text",
                "optional": True,
                "default": shown[:_TEXT_DEFAULT],
                "placeholder": hint,
                "help_text": truncate(" ".join(help_text.split()), _HELP_TEXT),
            }
        )
    elements.append(
        {
            "display_name": "Report",
            "name": REPORT_FIELD,
            "type": "textarea",
            "default": prefill(current, template)[:MAX_REPORT_LENGTH],
            "placeholder": "What happened, what went well, what to change next time",
            "max_length": MAX_REPORT_LENGTH,
        }
    )
    verb = "Update" if current is not None and current.is_published else "Publish"
    return {
        "callback_id": RetrospectiveForm.name,
        "title": "Retrospective",
        "introduction_text": f"The retrospective of **{run_title(run)}**, posted in its channel.",
        "submit_label": verb,
        "notify_on_cancel": False,
        "state": state,
        "elements": elements,
    }


def retrospective_post(run: Run, retro: Retrospective, metrics: Sequence[Metric], names: Names) -> str:
    """The published retrospective: who published it, the report, and the metrics against targets."""
    verb = "published" if retro.revision <= 1 else "updated"
    lines = [
        f"#### Retrospective: {run_title(run)}",
        f"{mention(retro.published_by, names)} {verb} the retrospective.",
        "",
        retro.text,
    ]
    table = metrics_table(retro, metrics)
    if table:
        lines += ["", *table]
    return "\n".join(lines)


def metrics_table(retro: Retrospective, metrics: Sequence[Metric]) -> list[str]:
    """A Markdown table of the metric values against their targets (no lines without values)."""
    if not retro.metric_values:
        return []
    targets = {metric.title: metric for metric in metrics}
    rows = ["| Metric | Value | Target |", "|:--|--:|--:|"]
    for value in retro.metric_values:
        shown = "—" if value.value is None else format_metric_value(value.type, value.value)
        metric = targets.get(value.title)
        target = stored_target(metric) if metric is not None and metric.type is value.type else None
        target_text = "—" if target is None else format_metric_value(value.type, target)
        title = truncate(" ".join(value.title.split()), 200).replace("|", "\\|")
        rows.append(f"| {title} | {shown} | {target_text} |")
    return rows
