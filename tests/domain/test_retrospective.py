"""Metric values as people type them, and the rules for publishing a retrospective."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.playbook import Metric, MetricType
from bot.domain.retrospective import (
    DAY_MS,
    HOUR_MS,
    MAX_DURATION_MS,
    MINUTE_MS,
    MetricValue,
    MetricValueError,
    RetrospectiveError,
    format_currency,
    format_duration,
    format_integer,
    parse_currency,
    parse_duration,
    parse_integer,
    prefill,
    prefill_values,
    publish,
    read_metric_values,
    stored_target,
)

AT = datetime(2026, 11, 23, 9, 45, tzinfo=UTC)
METRICS = (
    Metric("Time to resolve", "", MetricType.DURATION, DAY_MS),
    Metric("Cost", "", MetricType.CURRENCY, 500),
    Metric("Customers", "", MetricType.INTEGER, None),
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2d 4h 30m", 2 * DAY_MS + 4 * HOUR_MS + 30 * MINUTE_MS),
        ("90m", 90 * MINUTE_MS),
        ("1h30m", 90 * MINUTE_MS),
        ("  3 days 2 hours ", 3 * DAY_MS + 2 * HOUR_MS),
        ("45 min", 45 * MINUTE_MS),
        ("01:02:03", DAY_MS + 2 * HOUR_MS + 3 * MINUTE_MS),
        ("0m", 0),
    ],
)
def test_durations_read_as_people_write_them(text: str, expected: int) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "2", "2 weeks", "h", "1h 2", "4h 4h", "1x", "-3h", "1:30:99"])
def test_unreadable_durations_say_how_to_write_them(text: str) -> None:
    with pytest.raises(MetricValueError, match=r"Use days, hours and minutes, e\.g\. 2d 4h 30m"):
        parse_duration(text)


def test_absurd_durations_are_refused() -> None:
    with pytest.raises(MetricValueError, match="more than ten years"):
        parse_duration("9999999d")


@given(st.integers(min_value=0, max_value=MAX_DURATION_MS // MINUTE_MS))
def test_durations_round_trip(minutes: int) -> None:
    milliseconds = minutes * MINUTE_MS
    assert parse_duration(format_duration(milliseconds)) == milliseconds


def test_durations_format_compactly() -> None:
    assert format_duration(2 * DAY_MS + 4 * HOUR_MS + 30 * MINUTE_MS) == "2d 4h 30m"
    assert format_duration(DAY_MS) == "1d"
    assert format_duration(59_999) == "0m"


@pytest.mark.parametrize(
    ("text", "cents"), [("1250", 125_000), ("1,250.50", 125_050), ("$99.9", 9_990), ("0.05", 5), ("€ 3", 300)]
)
def test_amounts_are_stored_in_cents(text: str, cents: int) -> None:
    assert parse_currency(text) == cents


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("-5", "can't be negative"),
        ("1.234", "at most two decimals"),
        ("12a", "Use an amount like 1250"),
        ("1,25", "Use an amount like 1250"),
        ("", "Use an amount like 1250"),
    ],
)
def test_unreadable_amounts_say_why(text: str, message: str) -> None:
    with pytest.raises(MetricValueError, match=message):
        parse_currency(text)


@given(st.integers(min_value=0, max_value=10**15))
def test_amounts_round_trip(cents: int) -> None:
    assert parse_currency(format_currency(cents)) == cents


@given(st.integers(min_value=0, max_value=2**63 - 1))
def test_integers_round_trip(value: int) -> None:
    assert parse_integer(format_integer(value)) == value


@pytest.mark.parametrize("text", ["-1", "1.5", "many", "", str(2**63)])
def test_unreadable_integers_are_refused(text: str) -> None:
    with pytest.raises(MetricValueError):
        parse_integer(text)


def test_currency_targets_are_compared_in_cents() -> None:
    assert [stored_target(m) for m in METRICS] == [DAY_MS, 50_000, None]


def test_reading_a_form_reports_each_bad_field() -> None:
    values, errors = read_metric_values(METRICS, {"metric_0": "soon", "metric_1": "12.50", "metric_2": ""})
    assert errors == {"metric_0": "Use days, hours and minutes, e.g. 2d 4h 30m."}
    values, errors = read_metric_values(METRICS, {"metric_0": "1h", "metric_1": "12.50"})
    assert errors == {}
    assert [v.value for v in values] == [HOUR_MS, 1_250, None]


def test_publishing_needs_a_finished_run_and_a_report() -> None:
    with pytest.raises(RetrospectiveError, match="Finish the run first"):
        publish(None, run_id="r", run_finished=False, text="x", metric_values=(), actor_id="a", at=AT)
    with pytest.raises(RetrospectiveError, match="Write the report"):
        publish(None, run_id="r", run_finished=True, text="  ", metric_values=(), actor_id="a", at=AT)
    with pytest.raises(RetrospectiveError, match="keep it under"):
        publish(None, run_id="r", run_finished=True, text="x" * 3001, metric_values=(), actor_id="a", at=AT)


def test_republishing_counts_revisions_and_prefills_the_last_version() -> None:
    values = (MetricValue("Time to resolve", MetricType.DURATION, 90 * MINUTE_MS),)
    first = publish(
        None, run_id="r", run_finished=True, text=" One ", metric_values=values, actor_id="a", at=AT
    )
    assert (first.text, first.revision, first.published_by, first.is_published) == ("One", 1, "a", True)
    second = publish(first, run_id="r", run_finished=True, text="Two", metric_values=(), actor_id="b", at=AT)
    assert (second.revision, second.published_by, second.metric_values) == (2, "b", ())
    assert prefill(None, "template") == "template"
    assert prefill(first, "template") == "One"
    assert prefill_values(first, METRICS) == ["1h 30m", "", ""]
