"""Status update rules: reminder intervals, overdue, the morning digest's time, todo order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.status import (
    InvalidIntervalError,
    OverdueRun,
    StatusUpdateError,
    TodoTask,
    format_reminder_interval,
    next_morning,
    next_reminder_at,
    order_overdue,
    order_tasks,
    parse_reminder_interval,
    reminder_from_form,
)

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15m", timedelta(minutes=15)),
        ("30m", timedelta(minutes=30)),
        ("1h", timedelta(hours=1)),
        ("4h", timedelta(hours=4)),
        ("1d", timedelta(days=1)),
        ("1w", timedelta(weeks=1)),
        ("90m", timedelta(minutes=90)),
        ("2h30m", timedelta(hours=2, minutes=30)),
        (" 1d 12h ", timedelta(days=1, hours=12)),
        ("2H", timedelta(hours=2)),
    ],
)
def test_intervals_are_read_as_people_write_them(text: str, expected: timedelta) -> None:
    assert parse_reminder_interval(text) == expected


@pytest.mark.parametrize("text", ["none", "None", "", "off"])
def test_none_means_no_reminder(text: str) -> None:
    assert parse_reminder_interval(text) is None


@pytest.mark.parametrize("text", ["soon", "1x", "h", "15", "-1h", "1h-5m", "m30"])
def test_unreadable_intervals_are_refused_with_an_example(text: str) -> None:
    with pytest.raises(InvalidIntervalError, match="like 15m, 1h, 2h30m"):
        parse_reminder_interval(text)


@pytest.mark.parametrize("text", ["0m", "100w"])
def test_intervals_outside_a_minute_to_a_year_are_refused(text: str) -> None:
    with pytest.raises(StatusUpdateError, match="between 1 minute"):
        parse_reminder_interval(text)


@given(st.integers(min_value=1, max_value=365 * 24 * 60))
def test_a_formatted_interval_reads_back_the_same(minutes: int) -> None:
    interval = timedelta(minutes=minutes)
    assert parse_reminder_interval(format_reminder_interval(interval)) == interval


def test_a_formatted_reminder_interval_is_short() -> None:
    assert format_reminder_interval(timedelta(hours=2, minutes=30)) == "2h30m"
    assert format_reminder_interval(timedelta(days=8)) == "1w1d"
    assert format_reminder_interval(None) == "none"


def test_the_next_reminder_is_one_interval_after_the_update() -> None:
    assert next_reminder_at(NOW, timedelta(hours=1)) == NOW + timedelta(hours=1)
    assert next_reminder_at(NOW, None) is None


# The morning digest ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "zone", "expected"),
    [
        # Paris in winter is UTC+1: 08:00 there is 07:00 UTC.
        (datetime(2026, 11, 23, 6, 0, tzinfo=UTC), "Europe/Paris", datetime(2026, 11, 23, 7, 0, tzinfo=UTC)),
        # Just after this morning's digest time: tomorrow.
        (datetime(2026, 11, 23, 7, 0, tzinfo=UTC), "Europe/Paris", datetime(2026, 11, 24, 7, 0, tzinfo=UTC)),
        # Tokyo (UTC+9) is already past 08:00 at 00:00 UTC.
        (datetime(2026, 11, 23, 0, 0, tzinfo=UTC), "Asia/Tokyo", datetime(2026, 11, 23, 23, 0, tzinfo=UTC)),
        # New York (UTC-5 in winter): the evening before in UTC terms is still "today" there.
        (
            datetime(2026, 11, 23, 3, 0, tzinfo=UTC),
            "America/New_York",
            datetime(2026, 11, 23, 13, 0, tzinfo=UTC),
        ),
        # No or an unknown zone: UTC.
        (datetime(2026, 11, 23, 9, 0, tzinfo=UTC), "", datetime(2026, 11, 24, 8, 0, tzinfo=UTC)),
        (datetime(2026, 11, 23, 7, 0, tzinfo=UTC), "Mars/Olympus", datetime(2026, 11, 23, 8, 0, tzinfo=UTC)),
    ],
)
def test_next_morning_is_eight_in_the_persons_zone(now: datetime, zone: str, expected: datetime) -> None:
    assert next_morning(now, zone) == expected


def test_next_morning_follows_the_clock_change_in_spring_and_autumn() -> None:
    # Paris moves to summer time on 2026-03-29: 08:00 is 07:00 UTC before, 06:00 UTC after.
    saturday = datetime(2026, 3, 28, 7, 30, tzinfo=UTC)
    assert next_morning(saturday, "Europe/Paris") == datetime(2026, 3, 29, 6, 0, tzinfo=UTC)
    # And back on 2026-10-25.
    saturday = datetime(2026, 10, 24, 6, 30, tzinfo=UTC)
    assert next_morning(saturday, "Europe/Paris") == datetime(2026, 10, 25, 7, 0, tzinfo=UTC)


def test_a_morning_hour_skipped_by_the_clock_change_moves_forward() -> None:
    # New York skips 02:00-03:00 on 2026-03-08; "02:00" there is 03:00 EDT = 07:00 UTC.
    before = datetime(2026, 3, 8, 5, 0, tzinfo=UTC)
    assert next_morning(before, "America/New_York", hour=2) == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)))
def test_next_morning_is_always_within_a_day_and_a_bit_after_now(now: datetime) -> None:
    for zone in ("Europe/Paris", "America/New_York", "Australia/Lord_Howe", "UTC"):
        morning = next_morning(now, zone)
        assert now < morning <= now + timedelta(hours=25)


# Todo ---------------------------------------------------------------------------------------------


def task(title: str, due: datetime | None) -> TodoTask:
    return TodoTask("r", "Run", "run-channel", "1.1", title, due)


def test_tasks_are_ordered_overdue_first_then_by_due_time_then_undated() -> None:
    tasks = [
        task("undated", None),
        task("later", NOW + timedelta(hours=2)),
        task("late", NOW - timedelta(minutes=5)),
        task("soon", NOW + timedelta(minutes=5)),
        task("very late", NOW - timedelta(days=1)),
    ]
    assert [t.title for t in order_tasks(tasks, NOW)] == ["very late", "late", "soon", "later", "undated"]


def test_overdue_runs_are_ordered_longest_overdue_first() -> None:
    runs = [
        OverdueRun("a", "A", "a", NOW - timedelta(minutes=5)),
        OverdueRun("b", "B", "b", NOW - timedelta(hours=5)),
    ]
    assert [r.run_id for r in order_overdue(runs)] == ["b", "a"]


def test_the_update_forms_reminder_is_a_choice_or_the_interval_written_beside_custom() -> None:
    assert reminder_from_form("1h", "ignored") == timedelta(hours=1)
    assert reminder_from_form("", "") is None
    assert reminder_from_form("none", "2h") is None
    assert reminder_from_form("custom", "2h30m") == timedelta(hours=2, minutes=30)
    with pytest.raises(StatusUpdateError, match="Write the interval"):
        reminder_from_form("custom", "")
    with pytest.raises(InvalidIntervalError):
        reminder_from_form("custom", "soonish")
