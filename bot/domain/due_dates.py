"""Due dates as people write them: ``2h``, ``tomorrow 17:00``, ``2026-12-24 09:00`` or ``none``.

Pure parsing in the person's time zone, and the one rule of when a task is overdue. A written
time is read in ``zone`` (the person's Mattermost time zone, UTC when they set none) and comes
back as an aware UTC datetime; ``none`` (or ``clear``) clears the due date.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.errors import DomainError
from bot.domain.spans import read_span

EXAMPLES = "`2h`, `30m`, `1d`, `tomorrow 17:00`, `17:00`, `2026-12-24 09:00` or `none`"
CLEAR_WORDS = frozenset({"none", "clear", "-"})
DEFAULT_TIME = time(9, 0)
MAX_AHEAD = timedelta(days=5 * 366)

_TIME = re.compile(r"(\d{1,2}):(\d{2})")
_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_UNIT_WORDS = {
    "weeks": "w",
    "week": "w",
    "days": "d",
    "day": "d",
    "hours": "h",
    "hour": "h",
    "hrs": "h",
    "hr": "h",
    "minutes": "m",
    "minute": "m",
    "mins": "m",
    "min": "m",
    "seconds": "s",
    "second": "s",
    "secs": "s",
    "sec": "s",
}


class DueDateError(DomainError):
    """A due date that cannot be read or kept; ``message`` shows how to write one."""


def parse_due(text: str, now: datetime, zone: ZoneInfo) -> datetime | None:
    """The due time ``text`` means at ``now`` for a person in ``zone``; ``None`` to clear it.

    ``2h`` / ``in 1d 4h`` / ``90 minutes``: from now. ``17:00``: today at that time, or tomorrow if
    it has passed. ``today 17:00``, ``tomorrow``, ``tomorrow 17:00``: that day (09:00 when no time
    is given). ``2026-12-24`` or ``2026-12-24 09:00``: that date. A time that has passed, or one more
    than five years ahead, is refused.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    words = " ".join(text.lower().split())
    if not words:
        raise DueDateError(f"When is it due? Write {EXAMPLES}.")
    if words in CLEAR_WORDS:
        return None
    local_now = now.astimezone(zone)
    due = _relative(words, now) or _absolute(words, local_now, zone)
    if due is None:
        raise DueDateError(f"I can't read “{text.strip()[:60]}” as a due date. Write {EXAMPLES}.")
    if due <= now:
        raise DueDateError(f"{format_local(due, zone)} has already passed; pick a time ahead.")
    if due - now > MAX_AHEAD:
        raise DueDateError("A due date can be at most five years ahead.")
    return due


def due_from_form(written: str, shown: datetime | None, now: datetime, zone: ZoneInfo) -> datetime | None:
    """The due time a form submitted: ``written`` read as :func:`parse_due` reads it, except the
    due time the form showed (``shown``, as :func:`format_local` wrote it) left untouched, which is
    kept to the second even once it has passed. Empty clears it."""
    if shown is not None and written == format_local(shown, zone):
        return shown
    return parse_due(written, now, zone) if written else None


def format_local(at: datetime, zone: ZoneInfo) -> str:
    """``2026-12-24 09:00`` in ``zone``: the form :func:`parse_due` reads back, for a form's default."""
    return f"{at.astimezone(zone):%Y-%m-%d %H:%M}"


def _relative(words: str, now: datetime) -> datetime | None:
    spoken = words.removeprefix("in ").strip()
    for word, unit in _UNIT_WORDS.items():
        spoken = re.sub(rf"(?<=\d)\s*{word}\b", unit, spoken)
    ahead = read_span(spoken, units="wdhms")
    if ahead is None:
        return None
    if not ahead:
        raise DueDateError("A due date must be some time ahead, like `2h`.")
    if ahead > MAX_AHEAD:
        raise DueDateError("A due date can be at most five years ahead.")
    return now.astimezone(UTC) + ahead


def _absolute(words: str, local_now: datetime, zone: ZoneInfo) -> datetime | None:
    parts = words.split(" ")
    if len(parts) > 2:
        return None
    day_word, time_word = (parts[0], parts[1]) if len(parts) == 2 else (parts[0], "")
    if _TIME.fullmatch(day_word) and not time_word:
        at = _clock(day_word)
        today = local_now.date()
        due = _local(today, at, zone)
        return due if due > local_now else _local(today + timedelta(days=1), at, zone)
    day = _day(day_word, local_now.date())
    if day is None:
        return None
    if not time_word:
        return _local(day, DEFAULT_TIME, zone)
    if not _TIME.fullmatch(time_word):
        return None
    return _local(day, _clock(time_word), zone)


def _day(word: str, today: date) -> date | None:
    if word == "today":
        return today
    if word == "tomorrow":
        return today + timedelta(days=1)
    found = _DATE.fullmatch(word)
    if found is None:
        return None
    try:
        return date(int(found[1]), int(found[2]), int(found[3]))
    except ValueError as error:
        raise DueDateError(f"{word} is not a date on the calendar.") from error


def _clock(word: str) -> time:
    found = _TIME.fullmatch(word)
    assert found is not None  # callers match first
    hour, minute = int(found[1]), int(found[2])
    if hour > 23 or minute > 59:
        raise DueDateError(f"{word} is not a time of day; write 24-hour times like 17:00.")
    return time(hour, minute)


def _local(day: date, at: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)
