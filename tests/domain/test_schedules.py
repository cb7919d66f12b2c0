"""Schedules: reading ``every …`` and ``cron "…"``, and their next times, across DST changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.schedules import (
    Recurrence,
    ScheduleError,
    parse_every,
    parse_recurrence,
    parse_spec,
    time_zone,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # a Monday


@pytest.mark.parametrize(
    ("text", "days", "seconds", "spec"),
    [
        ("1w", 7, 0, "every 1w"),
        ("1d", 1, 0, "every 1d"),
        ("12h", 0, 43_200, "every 12h"),
        ("30m", 0, 1_800, "every 30m"),
        ("1d12h", 1, 43_200, "every 1d12h"),
        ("2W", 14, 0, "every 2w"),
    ],
)
def test_intervals_are_read(text: str, days: int, seconds: int, spec: str) -> None:
    recurrence = parse_every(text)
    assert (recurrence.days, recurrence.seconds, recurrence.spec) == (days, seconds, spec)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1y", "can't read the interval"),
        ("w", "can't read the interval"),
        ("5m", "at most every 15 minutes"),
        ("0d", "at most every 15 minutes"),
        ("400d", "at least once a year"),
    ],
)
def test_bad_intervals_get_a_friendly_error(text: str, message: str) -> None:
    with pytest.raises(ScheduleError, match=message):
        parse_every(text)


@pytest.mark.parametrize(
    ("words", "message"),
    [
        ([], "Say how often"),
        (["weekly"], "can't read"),
        (["every"], "can't read"),
        (["cron", "0 9 * *"], "five fields"),
        (["cron", "61 9 * * *"], "can't read the cron line"),
        (["cron", "* * * * *"], "at most every 15 minutes"),
        (["cron", "0,5 9 * * *"], "at most every 15 minutes"),
        (["cron", "0 9 * * FUNDAY"], "not a day of the week"),
        (["cron", "0 9 * * 5-1"], "runs backwards"),
    ],
)
def test_bad_schedules_get_a_friendly_error(words: list[str], message: str) -> None:
    with pytest.raises(ScheduleError, match=message):
        parse_recurrence(words, BERLIN, NOW)


@pytest.mark.parametrize(
    ("day_of_week", "expected"),
    [
        ("MON", "mon"),
        ("1", "mon"),
        ("0", "sun"),
        ("7", "sun"),
        ("1-5", "mon,tue,wed,thu,fri"),
        ("mon-fri/2", "mon,wed,fri"),
        ("*/2", "sun,tue,thu,sat"),
        ("fri-sun", "sun,fri,sat"),
        ("sunday,3", "sun,wed"),
    ],
)
def test_cron_days_of_week_follow_standard_cron(day_of_week: str, expected: str) -> None:
    recurrence = parse_recurrence(["cron", f"0 9 * * {day_of_week}"], BERLIN, NOW)
    assert recurrence.cron == f"0 9 * * {expected}"


def test_cron_fields_may_come_as_separate_words() -> None:
    assert parse_recurrence(["cron", "0", "9", "*", "*", "MON"], BERLIN, NOW).spec == 'cron "0 9 * * mon"'


def test_a_stored_spec_reads_back_the_same() -> None:
    for words in (["every", "1d12h"], ["cron", "30 8 1 * *"], ["cron", "0 9 * * 1-5"]):
        recurrence = parse_recurrence(words, BERLIN, NOW)
        assert parse_spec(recurrence.spec, BERLIN, NOW) == recurrence


def _occurrences(recurrence: Recurrence, start: datetime, zone: ZoneInfo, count: int) -> list[datetime]:
    times, at = [], start
    for _ in range(count):
        at = recurrence.next_after(at, zone)
        times.append(at)
    return times


def test_cron_keeps_local_time_across_the_spring_dst_change() -> None:
    recurrence = parse_recurrence(["cron", "0 9 * * MON"], BERLIN, NOW)
    start = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
    times = _occurrences(recurrence, start, BERLIN, 2)
    # Berlin moves to summer time on 29 March 2026: 09:00 local is 08:00 UTC, then 07:00 UTC.
    assert times == [datetime(2026, 3, 23, 8, 0, tzinfo=UTC), datetime(2026, 3, 30, 7, 0, tzinfo=UTC)]
    assert all(t.astimezone(BERLIN).hour == 9 for t in times)


def test_cron_keeps_local_time_across_the_autumn_dst_change_in_new_york() -> None:
    recurrence = parse_recurrence(["cron", "30 9 * * *"], NEW_YORK, NOW)
    start = datetime(2026, 10, 31, 15, 0, tzinfo=UTC)
    times = _occurrences(recurrence, start, NEW_YORK, 2)
    # New York falls back on 1 November 2026: 09:30 local is 13:30 UTC, then 14:30 UTC.
    assert times == [datetime(2026, 11, 1, 14, 30, tzinfo=UTC), datetime(2026, 11, 2, 14, 30, tzinfo=UTC)]


def test_weekly_intervals_keep_local_time_across_dst_but_hours_are_exact() -> None:
    start = datetime(2026, 3, 23, 8, 0, tzinfo=UTC)  # Monday 09:00 in Berlin, winter time
    weekly = _occurrences(parse_every("1w"), start, BERLIN, 2)
    assert [t.astimezone(BERLIN).strftime("%a %H:%M") for t in weekly] == ["Mon 09:00", "Mon 09:00"]
    assert weekly[0] == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)
    hourly = _occurrences(parse_every("12h"), start, BERLIN, 14)
    assert hourly[-1] - start == timedelta(hours=12 * 14)


def test_the_first_occurrence_skips_those_missed_long_ago() -> None:
    recurrence = parse_every("1d")
    due = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
    now = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    assert recurrence.first_at_or_after(now, due, ZoneInfo("UTC")) == datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def test_next_after_needs_an_aware_time() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_every("1d").next_after(datetime(2026, 1, 1), BERLIN)


def test_time_zones_are_checked() -> None:
    assert time_zone("") == ZoneInfo("UTC")
    assert time_zone("Europe/Berlin") == BERLIN
    with pytest.raises(ScheduleError, match="not a time zone"):
        time_zone("Mars/Olympus")
