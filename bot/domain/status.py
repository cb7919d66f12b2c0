"""Status updates and their reminders, the morning digest's time, and todo order.

Pure values and rules; the service (:mod:`bot.services.status_updates`) stores and schedules them.

Reminder intervals are written the way people type them: ``15m``, ``1h``, ``4h``, ``1d``, ``1w``,
or any combination such as ``90m`` and ``2h30m``; ``none`` means no reminder. A reminder is sent
once per due time: when it goes unanswered the run stays *overdue* (shown on its overview, in
``/playbook todo`` and in digests) until someone posts an update or snoozes it, as in the plugin
(playbooks-plugin.md §3.2.4), rather than repeating into the channel. Which runs are overdue
(reminders on, the run in progress, the due time passed) is asked of the database
(:class:`~storage.repositories.updates.UpdateRepository`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.domain.errors import DomainError
from bot.domain.run_model import Run
from bot.domain.spans import read_span, write_span

MAX_UPDATE_LENGTH = 16000
MIN_INTERVAL = timedelta(minutes=1)
MAX_INTERVAL = timedelta(days=365)
DIGEST_HOUR = 8

NONE = "none"
CUSTOM = "custom"
INTERVAL_CHOICES: tuple[tuple[str, str], ...] = (
    ("15 minutes", "15m"),
    ("30 minutes", "30m"),
    ("1 hour", "1h"),
    ("4 hours", "4h"),
    ("1 day", "1d"),
    ("1 week", "1w"),
    ("Custom…", CUSTOM),
    ("No reminder", NONE),
)
"""The dialog's choices: (label, value)."""

SNOOZE_CHOICES: tuple[tuple[str, timedelta], ...] = (
    ("1h", timedelta(hours=1)),
    ("4h", timedelta(hours=4)),
    ("1d", timedelta(days=1)),
)


class StatusUpdateError(DomainError):
    """A status update or reminder request that can't be accepted; ``message`` says why."""


class InvalidIntervalError(StatusUpdateError):
    """A reminder interval that can't be read."""

    def __init__(self, text: str) -> None:
        super().__init__(
            f"“{text[:40]}” is not a reminder interval. Write it like 15m, 1h, 2h30m, 1d or 1w, or none."
        )


@dataclass(frozen=True, slots=True)
class StatusUpdate:
    """One posted update: its ``message``, who wrote it and when, and the reminder it set
    (``next_reminder_at`` is ``None`` when the author chose no reminder)."""

    id: str
    run_id: str
    author_id: str
    message: str
    posted_at: datetime
    next_reminder_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ReminderState:
    """A run's reminders: on or off, the interval between updates (``None``: no reminder),
    and when the next update is due (``None``: none is due)."""

    enabled: bool = False
    interval: timedelta | None = None
    next_due_at: datetime | None = None
    last_update_at: datetime | None = None


# Intervals ------------------------------------------------------------------------------------


def parse_reminder_interval(text: str) -> timedelta | None:
    """The reminder interval ``text`` names (``15m``, ``2h30m``, ``1w 2d``: units in the order
    w, d, h, m); ``None`` for ``none`` (or nothing). Raises :class:`InvalidIntervalError` for
    anything else, or outside one minute to a year.

    Not the grammar of a schedule's ``every`` (:func:`bot.domain.schedules.parse_every`), which
    counts calendar days and fires at most every 15 minutes."""
    cleaned = text.strip().lower()
    if cleaned in ("", NONE, "no", "off", "0"):
        return None
    interval = read_span(cleaned)
    if interval is None:
        raise InvalidIntervalError(text)
    if not MIN_INTERVAL <= interval <= MAX_INTERVAL:
        raise StatusUpdateError("A reminder interval must be between 1 minute (1m) and a year (52w).")
    return interval


def reminder_from_form(choice: str, custom: str) -> timedelta | None:
    """The reminder interval the update form asks for: ``choice`` is a value of
    :data:`INTERVAL_CHOICES` (empty: no reminder), and with :data:`CUSTOM` the interval is the one
    written in ``custom``. Raises a :class:`StatusUpdateError` saying what is wrong."""
    if choice != CUSTOM:
        return parse_reminder_interval(choice or NONE)
    if not custom:
        raise StatusUpdateError("Write the interval, like 90m or 2h30m.")
    return parse_reminder_interval(custom)


def format_reminder_interval(interval: timedelta | None) -> str:
    """The shortest way to write ``interval`` that :func:`parse_reminder_interval` reads back (``2h30m``)."""
    if interval is None or interval <= timedelta(0):
        return NONE
    return write_span(interval) or "1m"


def interval_from_seconds(seconds: int) -> timedelta | None:
    """A playbook's ``reminder_timer_default_seconds`` as an interval (``None`` when 0)."""
    return timedelta(seconds=seconds) if seconds > 0 else None


def next_reminder_at(now: datetime, interval: timedelta | None) -> datetime | None:
    """When the next update is due after one posted at ``now``."""
    return None if interval is None else now + interval


# Digests --------------------------------------------------------------------------------------


def zone(name: str) -> tzinfo:
    """The time zone named ``name`` (an IANA name); UTC for an empty or unknown name."""
    if not name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def next_morning(now: datetime, zone_name: str, *, hour: int = DIGEST_HOUR) -> datetime:
    """The first ``hour``:00 in the zone strictly after ``now``, in UTC.

    Computed on the local calendar, so it stays at 08:00 local across daylight-saving changes;
    a local time skipped by a change is moved forward by the gap, as clocks are.
    """
    tz = zone(zone_name)
    local = now.astimezone(tz)
    day = local.date()
    for _ in range(3):
        candidate = _wall_time(day, time(hour), tz)
        if candidate > now:
            return candidate
        day += timedelta(days=1)
    raise AssertionError("unreachable: a later morning always exists")  # pragma: no cover


def _wall_time(day: date, at: time, tz: tzinfo) -> datetime:
    """``day`` at ``at`` in ``tz`` as a UTC instant.

    ``fold=0`` picks the first of a repeated hour, and for a wall time skipped by a change the
    offset from before it, which lands as far after the gap as the time was into it (PEP 495).
    """
    return datetime.combine(day, at).replace(tzinfo=tz, fold=0).astimezone(UTC)


# Todo -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TodoTask:
    """An open task of a person, with its run and channel: ``number`` is ``1.2`` as on the posts."""

    run_id: str
    run_name: str
    channel_name: str
    number: str
    title: str
    due_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class OverdueRun:
    """A run whose status update is overdue, since ``due_at``."""

    run_id: str
    run_name: str
    channel_name: str
    due_at: datetime


@dataclass(frozen=True, slots=True)
class ActiveRun:
    """A run in progress that a person takes part in: the run, its channel's name, and whether
    they own it."""

    run: Run
    channel_name: str
    owned: bool = False


@dataclass(frozen=True, slots=True)
class Todo:
    """What a person has to do: runs overdue for an update, and open tasks, overdue first; and
    the runs in progress they take part in, oldest first."""

    overdue_runs: tuple[OverdueRun, ...] = ()
    tasks: tuple[TodoTask, ...] = ()
    runs: tuple[ActiveRun, ...] = ()

    @property
    def is_empty(self) -> bool:
        """Nothing to do (the runs someone is in are no task of theirs)."""
        return not self.overdue_runs and not self.tasks


def order_tasks(tasks: Iterable[TodoTask], now: datetime) -> tuple[TodoTask, ...]:
    """Overdue tasks first (longest overdue first), then the rest by due time, then undated
    ones; ties keep the run and task order."""

    def key(task: TodoTask) -> tuple[int, datetime]:
        if task.due_at is None:
            return 2, datetime.max.replace(tzinfo=UTC)
        return (0 if task.due_at <= now else 1), task.due_at

    return tuple(sorted(tasks, key=key))


def order_overdue(runs: Sequence[OverdueRun]) -> tuple[OverdueRun, ...]:
    """Runs overdue for an update, longest overdue first."""
    return tuple(sorted(runs, key=lambda run: run.due_at))
