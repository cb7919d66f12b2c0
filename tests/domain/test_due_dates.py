"""Due dates as people write them, read in their time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.due_dates import DueDateError, due_from_form, format_local, parse_due
from bot.domain.run_model import ItemState, RunItem
from bot.domain.run_queries import is_overdue

NOW = datetime(2026, 12, 6, 14, 30, tzinfo=UTC)  # a Sunday
UTC_ZONE = ZoneInfo("UTC")
PARIS = ZoneInfo("Europe/Paris")  # UTC+1 in December


@pytest.mark.parametrize(
    ("text", "after"),
    [
        ("2h", timedelta(hours=2)),
        ("30m", timedelta(minutes=30)),
        ("1d", timedelta(days=1)),
        ("1w", timedelta(weeks=1)),
        ("5s", timedelta(seconds=5)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("in 1d 4h", timedelta(days=1, hours=4)),
        ("90 minutes", timedelta(minutes=90)),
        ("2 hours", timedelta(hours=2)),
        ("  3H ", timedelta(hours=3)),
    ],
)
def test_a_duration_counts_from_now(text: str, after: timedelta) -> None:
    assert parse_due(text, NOW, PARIS) == NOW + after


@pytest.mark.parametrize("text", ["none", "NONE", "clear", "-"])
def test_none_clears(text: str) -> None:
    assert parse_due(text, NOW, UTC_ZONE) is None


def test_tomorrow_at_a_time_is_read_in_the_persons_zone() -> None:
    assert parse_due("tomorrow 17:00", NOW, PARIS) == datetime(2026, 12, 7, 16, 0, tzinfo=UTC)
    assert parse_due("tomorrow 17:00", NOW, UTC_ZONE) == datetime(2026, 12, 7, 17, 0, tzinfo=UTC)


def test_a_day_without_a_time_means_nine_in_the_morning() -> None:
    assert parse_due("tomorrow", NOW, UTC_ZONE) == datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    assert parse_due("2026-12-24", NOW, PARIS) == datetime(2026, 12, 24, 8, 0, tzinfo=UTC)


def test_a_full_date_and_time() -> None:
    assert parse_due("2026-12-24 09:00", NOW, PARIS) == datetime(2026, 12, 24, 8, 0, tzinfo=UTC)


def test_a_time_alone_is_today_or_else_tomorrow() -> None:
    assert parse_due("17:00", NOW, UTC_ZONE) == datetime(2026, 12, 6, 17, 0, tzinfo=UTC)
    assert parse_due("today 17:00", NOW, UTC_ZONE) == datetime(2026, 12, 6, 17, 0, tzinfo=UTC)
    assert parse_due("08:00", NOW, UTC_ZONE) == datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


def test_the_local_form_reads_back() -> None:
    due = datetime(2026, 12, 24, 8, 0, tzinfo=UTC)
    assert format_local(due, PARIS) == "2026-12-24 09:00"
    assert parse_due(format_local(due, PARIS), NOW, PARIS) == due


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "When is it due?"),
        ("soon", "can't read “soon”"),
        ("today 08:00", "has already passed"),
        ("2026-12-01 09:00", "has already passed"),
        ("0h", "some time ahead"),
        ("2026-02-30", "not a date on the calendar"),
        ("tomorrow 25:00", "not a time of day"),
        ("2040-01-01", "five years"),
        ("99999d", "five years"),
        ("next tuesday at noon", "can't read"),
    ],
)
def test_unreadable_or_impossible_times_are_refused_kindly(text: str, says: str) -> None:
    with pytest.raises(DueDateError) as raised:
        parse_due(text, NOW, UTC_ZONE)
    assert says in raised.value.message


def test_a_task_is_overdue_from_its_due_time_while_outstanding() -> None:
    task = RunItem(id="i", title="t", due_at=NOW)
    assert not is_overdue(task, NOW - timedelta(seconds=1))
    assert is_overdue(task, NOW)
    assert not is_overdue(RunItem(id="i", title="t", due_at=NOW, state=ItemState.CLOSED), NOW)
    assert not is_overdue(RunItem(id="i", title="t"), NOW)


def test_a_forms_due_time_left_as_shown_is_kept_to_the_second_even_once_passed() -> None:
    shown = NOW - timedelta(hours=1, seconds=7)
    assert due_from_form(format_local(shown, PARIS), shown, NOW, PARIS) == shown
    assert due_from_form("", shown, NOW, PARIS) is None
    assert due_from_form("2h", shown, NOW, PARIS) == NOW + timedelta(hours=2)
    assert due_from_form("2h", None, NOW, PARIS) == NOW + timedelta(hours=2)
    with pytest.raises(DueDateError, match="already passed"):
        due_from_form(format_local(shown, PARIS), None, NOW, PARIS)
