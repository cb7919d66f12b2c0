"""The one grammar of typed durations."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.spans import read_span, write_span


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15m", timedelta(minutes=15)),
        (" 1d 12h ", timedelta(days=1, hours=12)),
        ("2H30M", timedelta(hours=2, minutes=30)),
        ("1w", timedelta(weeks=1)),
        ("0m", timedelta(0)),
    ],
)
def test_durations_are_read_as_people_write_them(text: str, expected: timedelta) -> None:
    assert read_span(text) == expected


@pytest.mark.parametrize("text", ["", "15", "h", "m30", "-1h", "1h-5m", "soon", "30s"])
def test_anything_else_is_not_a_duration(text: str) -> None:
    assert read_span(text) is None


def test_seconds_only_where_asked_for() -> None:
    assert read_span("1m30s", units="wdhms") == timedelta(seconds=90)


@given(st.integers(min_value=1, max_value=10**6))
def test_a_written_span_reads_back(minutes: int) -> None:
    span = timedelta(minutes=minutes)
    assert read_span(write_span(span)) == span


def test_under_a_minute_writes_nothing() -> None:
    assert write_span(timedelta(seconds=59)) == ""
