"""The retrospective of a finished run: its report, its metric values, and the rules for publishing.

Metric values are whole numbers in the units the plugin stores, so they aggregate in SQL:

* durations in **milliseconds** (people type ``2d 4h 30m``, ``90m`` or ``1h30m``);
* integers as they are;
* currency in **cents**: people type up to two decimals (``1250``, ``1,250.50``, ``$99.9``).
  The plugin keeps whole amounts, so a currency metric's ``target`` (a whole amount in the playbook
  export) is compared in cents through :func:`stored_target`.

Values are keyed by the metric's title, which is unique within its playbook.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal, InvalidOperation

from bot.domain.errors import DomainError
from bot.domain.playbook import Metric, MetricType

MINUTE_MS = 60_000
HOUR_MS = 60 * MINUTE_MS
DAY_MS = 24 * HOUR_MS
MAX_DURATION_MS = 3650 * DAY_MS
MAX_VALUE = 2**63 - 1
MAX_REPORT_LENGTH = 3000  # what a dialog's textarea accepts
CENTS_PER_UNIT = 100

DURATION_HINT = "Use days, hours and minutes, e.g. 2d 4h 30m"
CURRENCY_HINT = "Use an amount like 1250 or 1,250.50"
INTEGER_HINT = "Use a whole number like 42"

_DURATION_PART = re.compile(r"(\d{1,7})\s*(d|days?|h|hrs?|hours?|m|mins?|minutes?)(?![a-z])")
_UNIT_MS = {"d": DAY_MS, "h": HOUR_MS, "m": MINUTE_MS}
_CURRENCY = re.compile(r"(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?")
_INTEGER = re.compile(r"\d{1,3}(?:,\d{3})+|\d+")


class MetricValueError(DomainError):
    """A metric value that can't be read; ``message`` says how to write it."""


class RetrospectiveError(DomainError):
    """A retrospective that can't be published as asked."""


# Parsing and formatting -------------------------------------------------------------------------


def parse_duration(text: str) -> int:
    """``2d 4h 30m``, ``90m``, ``1h30m`` (or the plugin's ``dd:hh:mm``) in milliseconds."""
    cleaned = text.strip().lower()
    if re.fullmatch(r"\d{1,4}:\d{1,2}:\d{1,2}", cleaned):
        days, hours, minutes = (int(part) for part in cleaned.split(":"))
        if hours > 23 or minutes > 59:
            raise MetricValueError(f"{DURATION_HINT} (or dd:hh:mm with hours below 24 and minutes below 60).")
        return _bounded_duration(days * DAY_MS + hours * HOUR_MS + minutes * MINUTE_MS)
    total, position, seen = 0, 0, set()
    for match in _DURATION_PART.finditer(cleaned):
        if cleaned[position : match.start()].strip():
            raise MetricValueError(f"{DURATION_HINT}.")
        unit = match.group(2)[0]
        if unit in seen:
            raise MetricValueError(f"Give each unit once. {DURATION_HINT}.")
        seen.add(unit)
        total += int(match.group(1)) * _UNIT_MS[unit]
        position = match.end()
    if not seen or cleaned[position:].strip():
        raise MetricValueError(f"{DURATION_HINT}.")
    return _bounded_duration(total)


def _bounded_duration(milliseconds: int) -> int:
    if milliseconds > MAX_DURATION_MS:
        raise MetricValueError("That is more than ten years; check the value.")
    return milliseconds


def format_duration(milliseconds: int) -> str:
    """``2d 4h 30m``: whole minutes, larger units only when non-zero (``0m`` for nothing)."""
    minutes = max(milliseconds, 0) // MINUTE_MS
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{days}d"] if days else []
    if hours:
        parts.append(f"{hours}h")
    if minutes or not parts:
        parts.append(f"{minutes}m")
    return " ".join(parts)


def parse_currency(text: str) -> int:
    """An amount such as ``1250``, ``1,250.50`` or ``$99.9`` in cents; never negative."""
    cleaned = text.strip().replace(" ", "").lstrip("$€£¥")
    if cleaned.startswith("-"):
        raise MetricValueError("Amounts can't be negative.")
    match = _CURRENCY.fullmatch(cleaned)
    if match is None:
        if re.fullmatch(r"[\d,]*\.\d{3,}", cleaned):
            raise MetricValueError(f"Use at most two decimals. {CURRENCY_HINT}.")
        raise MetricValueError(f"{CURRENCY_HINT}.")
    try:
        cents = int(Decimal(cleaned.replace(",", "")) * CENTS_PER_UNIT)
    except InvalidOperation as error:  # pragma: no cover - the pattern admits only decimals
        raise MetricValueError(f"{CURRENCY_HINT}.") from error
    return _bounded(cents)


def format_currency(cents: int) -> str:
    """``1,250.50``, or ``1,250`` for a whole amount."""
    units, rest = divmod(max(cents, 0), CENTS_PER_UNIT)
    return f"{units:,}" if rest == 0 else f"{units:,}.{rest:02d}"


def parse_integer(text: str) -> int:
    """A non-negative whole number, thousands separators allowed."""
    cleaned = text.strip().replace(" ", "")
    if cleaned.startswith("-"):
        raise MetricValueError("Use a number of zero or more.")
    if _INTEGER.fullmatch(cleaned) is None:
        raise MetricValueError(f"{INTEGER_HINT}.")
    return _bounded(int(cleaned.replace(",", "")))


def format_integer(value: int) -> str:
    """``1,234``."""
    return f"{value:,}"


def _bounded(value: int) -> int:
    if value > MAX_VALUE:
        raise MetricValueError("That number is too large.")
    return value


def parse_metric_value(metric_type: MetricType, text: str) -> int:
    """``text`` as a stored value of a metric of ``metric_type``, or :class:`MetricValueError`."""
    if metric_type is MetricType.DURATION:
        return parse_duration(text)
    if metric_type is MetricType.CURRENCY:
        return parse_currency(text)
    return parse_integer(text)


def format_metric_value(metric_type: MetricType, value: int) -> str:
    """A stored value as people type it, so it can be read back by :func:`parse_metric_value`."""
    if metric_type is MetricType.DURATION:
        return format_duration(value)
    if metric_type is MetricType.CURRENCY:
        return format_currency(value)
    return format_integer(value)


def stored_target(metric: Metric) -> int | None:
    """The metric's target in the units its values are stored in (currency targets are whole
    amounts, values are cents)."""
    if metric.target is None:
        return None
    return metric.target * CENTS_PER_UNIT if metric.type is MetricType.CURRENCY else metric.target


def metric_hint(metric_type: MetricType) -> str:
    """How a value of this type is written, for a form's help text."""
    return {
        MetricType.DURATION: "e.g. 2d 4h 30m",
        MetricType.CURRENCY: "an amount, e.g. 1,250.50",
        MetricType.INTEGER: "a whole number",
    }[metric_type]


# The retrospective -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MetricValue:
    """One metric's value in a retrospective (``None``: not measured this time)."""

    title: str
    type: MetricType
    value: int | None


@dataclass(frozen=True, slots=True)
class Retrospective:
    """A run's retrospective. ``revision`` counts publications: 0 is a draft never published."""

    run_id: str
    text: str
    metric_values: tuple[MetricValue, ...] = ()
    published_at: datetime | None = None
    published_by: str | None = None
    revision: int = 0

    @property
    def is_published(self) -> bool:
        return self.revision > 0


def read_metric_values(
    metrics: Sequence[Metric], raw: Mapping[str, str], field: str = "metric_{index}"
) -> tuple[tuple[MetricValue, ...], dict[str, str]]:
    """Read each metric's typed value from ``raw`` (form field ``field.format(index=i)``).

    Returns the values and, per field that can't be read, a message saying how to write it. An
    empty field means the metric was not measured.
    """
    values: list[MetricValue] = []
    errors: dict[str, str] = {}
    for index, metric in enumerate(metrics):
        name = field.format(index=index)
        text = (raw.get(name) or "").strip()
        if not text:
            values.append(MetricValue(metric.title, metric.type, None))
            continue
        try:
            values.append(MetricValue(metric.title, metric.type, parse_metric_value(metric.type, text)))
        except MetricValueError as error:
            errors[name] = error.message
    return tuple(values), errors


def publish(
    current: Retrospective | None,
    *,
    run_id: str,
    run_finished: bool,
    text: str,
    metric_values: Sequence[MetricValue],
    actor_id: str,
    at: datetime,
) -> Retrospective:
    """The retrospective published (or republished, with the next revision) by ``actor_id``.

    Only a finished run has a retrospective; the report must say something and fit in a post.
    """
    if not run_finished:
        raise RetrospectiveError("Finish the run first: the retrospective looks back on a finished run.")
    report = text.strip()
    if not report:
        raise RetrospectiveError("Write the report before publishing the retrospective.")
    if len(report) > MAX_REPORT_LENGTH:
        raise RetrospectiveError(
            f"The report is {len(report):,} characters long; keep it under {MAX_REPORT_LENGTH:,}."
        )
    base = current or Retrospective(run_id=run_id, text="")
    return replace(
        base,
        text=report,
        metric_values=tuple(metric_values),
        published_at=at,
        published_by=actor_id,
        revision=base.revision + 1,
    )


def prefill(current: Retrospective | None, template: str) -> str:
    """What the report field starts with: the last published text, else the playbook's template."""
    return current.text if current is not None and current.text else template


def prefill_values(current: Retrospective | None, metrics: Sequence[Metric]) -> list[str]:
    """What each metric field starts with: its last published value, formatted, else empty."""
    known = {v.title: v for v in current.metric_values} if current is not None else {}
    shown = []
    for metric in metrics:
        known_value = known.get(metric.title)
        if known_value is None or known_value.type is not metric.type or known_value.value is None:
            shown.append("")
        else:
            shown.append(format_metric_value(metric.type, known_value.value))
    return shown
