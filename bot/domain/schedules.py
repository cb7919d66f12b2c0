"""Recurring runs: when a schedule fires.

Two ways to say it, as people type them after ``/playbook schedule NAME``:

* ``every 1w`` — a fixed interval: ``w`` weeks, ``d`` days, ``h`` hours, ``m`` minutes, combinable
  (``every 1d12h``). Weeks and days are calendar days in the schedule's time zone, so a weekly run
  set for Monday 09:00 stays at 09:00 local time across daylight-saving changes; hours and minutes
  are exact durations.
* ``cron "0 9 * * MON"`` — a standard five-field crontab line (minute, hour, day of month, month,
  day of week, with 0 or 7 for Sunday), read in the schedule's time zone. When both day fields are
  restricted, a day must match both (APScheduler's reading; classic cron accepts either).

A playbook may also carry its schedules (:class:`FileSchedule`, the ``schedules`` list of its
file), written ``{every: 1w}`` or ``{cron: "0 9 * * MON", timezone: Europe/Paris}`` and read by the
same parser. Next times are computed with APScheduler 3.11's :class:`CronTrigger` for cron lines.
Everything here is pure: the current time is always passed in.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger

from bot.domain.errors import DomainError

MIN_INTERVAL = timedelta(minutes=15)
MAX_INTERVAL = timedelta(days=366)
MAX_CRON_LENGTH = 200
_CHECKED_OCCURRENCES = 24
_INTERVAL = re.compile(r"(\d{1,4})([wdhm])")
_INTERVAL_WHOLE = re.compile(r"(?:\d{1,4}[wdhm])+")
_UNIT_SECONDS = {"h": 3600, "m": 60}
_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_WEEKDAY_NAMES = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
_WEEKDAY_PART = re.compile(r"(\*|[0-7a-z]+(?:-[0-7a-z]+)?)(?:/(\d{1,2}))?")

EXAMPLES = 'every 1w, every 1d, every 12h, or cron "0 9 * * MON"'
MAX_PLAYBOOK_SCHEDULES = 10


class ScheduleError(DomainError):
    """A schedule that cannot be understood or kept; ``message`` says how to write it."""


@dataclass(frozen=True, slots=True)
class Recurrence:
    """How often a schedule fires: every ``days`` calendar days plus ``seconds``, or a cron line.

    Only the rule, with no playbook, owner or time zone: a :class:`FileSchedule` (as a playbook's
    file writes it) and a stored :class:`~storage.repositories.schedules.RunSchedule` (its
    :attr:`spec`) are both read into one to compute their next times."""

    days: int = 0
    seconds: int = 0
    cron: str = ""

    @property
    def spec(self) -> str:
        """The recurrence as people write it (and as it is stored): ``every 1w``, ``cron "0 9 * * 1"``."""
        if self.cron:
            return f'cron "{self.cron}"'
        return f"every {_interval_text(self.days, self.seconds)}"

    def next_after(self, after: datetime, zone: ZoneInfo) -> datetime:
        """The first time strictly after ``after`` (aware) at which the schedule fires, in UTC.

        For intervals, ``after`` is the previous occurrence (or the moment the schedule was set).
        """
        if after.tzinfo is None:
            raise ValueError("after must be timezone-aware")
        if self.cron:
            trigger = _trigger(self.cron, zone)
            fire: datetime | None = trigger.get_next_fire_time(None, after + timedelta(seconds=1))
            if fire is None:  # pragma: no cover - five-field lines always fire again
                raise ScheduleError("This cron line never fires again.")
            return fire.astimezone(UTC)
        local = after.astimezone(zone)
        # Calendar days keep the wall-clock time: add them to the local time, then find its offset.
        moved = datetime.combine(
            local.date() + timedelta(days=self.days), local.timetz().replace(tzinfo=None)
        )
        moved = moved.replace(tzinfo=zone)
        return (moved.astimezone(UTC) + timedelta(seconds=self.seconds)).astimezone(UTC)

    def first_at_or_after(self, now: datetime, start: datetime, zone: ZoneInfo) -> datetime:
        """The next occurrence after ``start`` that is not in the past of ``now`` (occurrences
        missed while the service was down are skipped, except the one due now)."""
        due = self.next_after(start, zone)
        while due <= now - timedelta(seconds=1):
            due = self.next_after(due, zone)
        return due


def _interval_text(days: int, seconds: int) -> str:
    parts = []
    weeks, days = divmod(days, 7)
    hours, rest = divmod(seconds, 3600)
    minutes = rest // 60
    for value, unit in ((weeks, "w"), (days, "d"), (hours, "h"), (minutes, "m")):
        if value:
            parts.append(f"{value}{unit}")
    return "".join(parts)


def parse_every(text: str) -> Recurrence:
    """The recurrence of ``every TEXT``: ``1w``, ``2d``, ``12h``, ``30m`` or a combination like
    ``1d12h``; a :class:`ScheduleError` for anything else, or for intervals shorter than 15 minutes
    or longer than a year. The ``cron`` form is read by :func:`parse_cron`.

    Not the grammar of a status-update reminder interval
    (:func:`bot.domain.status.parse_reminder_interval`): here weeks and days are calendar days."""
    compact = text.strip().lower()
    if not _INTERVAL_WHOLE.fullmatch(compact):
        raise ScheduleError(
            f"I can't read the interval “{text[:40]}”. Write a number and a unit: "
            "w (weeks), d (days), h (hours) or m (minutes), e.g. `every 1w` or `every 12h`."
        )
    days = seconds = 0
    for number, unit in _INTERVAL.findall(compact):
        if unit in "wd":
            days += int(number) * (7 if unit == "w" else 1)
        else:
            seconds += int(number) * _UNIT_SECONDS[unit]
    span = timedelta(days=days, seconds=seconds)
    if span < MIN_INTERVAL:
        raise ScheduleError("A schedule can start runs at most every 15 minutes.")
    if span > MAX_INTERVAL:
        raise ScheduleError("A schedule must start a run at least once a year.")
    return Recurrence(days=days, seconds=seconds)


def parse_cron(line: str, zone: ZoneInfo, now: datetime) -> Recurrence:
    """A five-field crontab line with standard day-of-week numbers (0 and 7 are Sunday); a
    :class:`ScheduleError` for anything else, or for lines firing more often than every 15 minutes."""
    fields = line.split()
    if len(line) > MAX_CRON_LENGTH or len(fields) != 5:
        raise ScheduleError(
            "A cron line has five fields: minute, hour, day of month, month and day of week, "
            'e.g. `cron "0 9 * * MON"` for Mondays at 09:00.'
        )
    normal = " ".join([*fields[:4], _weekdays(fields[4])])
    trigger = _trigger(normal, zone)
    fire = trigger.get_next_fire_time(None, now)
    if fire is None:  # pragma: no cover - five-field lines always fire again
        raise ScheduleError("This cron line never fires.")
    for _ in range(_CHECKED_OCCURRENCES):
        following = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
        if following is None:  # pragma: no cover
            break
        if following - fire < MIN_INTERVAL:
            raise ScheduleError("A schedule can start runs at most every 15 minutes.")
        fire = following
    return Recurrence(cron=normal)


def _trigger(line: str, zone: ZoneInfo) -> CronTrigger:
    try:
        return CronTrigger.from_crontab(line, timezone=zone)
    except ValueError as error:
        raise ScheduleError(f"I can't read the cron line “{line[:60]}”: {error}.") from error


def _weekdays(field: str) -> str:
    """The day-of-week field in APScheduler's terms (its 0 is Monday, cron's is Sunday): every
    numbered or named day spelled out by name, so ``1-5`` means Monday to Friday as in cron."""
    if field == "*":
        return field
    days: list[int] = []
    for part in field.lower().split(","):
        match = _WEEKDAY_PART.fullmatch(part)
        if match is None:
            raise ScheduleError(f"I can't read the day of week “{field[:30]}”; use 0-7 or MON-SUN.")
        base, step_text = match.groups()
        step = int(step_text) if step_text else 1
        if step < 1:
            raise ScheduleError("A step in the day of week must be at least 1.")
        if base == "*":
            first, last = 0, 6
        else:
            first_text, _, last_text = base.partition("-")
            first = _weekday_number(first_text)
            last = _weekday_number(last_text) if last_text else (6 if step_text else first)
            if last_text and last == 0 and first > 0:
                last = 7  # "fri-sun" ends on Sunday, the 7 of cron
        if first > last:
            raise ScheduleError(f"The day range “{base}” runs backwards; write it from the earlier day.")
        days.extend(day % 7 for day in range(first, last + 1, step))
    return ",".join(_WEEKDAYS[day] for day in sorted(set(days)))


def _weekday_number(text: str) -> int:
    if text.isdigit() and int(text) <= 7:
        return int(text)
    for number, (short, full) in enumerate(zip(_WEEKDAYS, _WEEKDAY_NAMES, strict=True)):
        if text in (short, full):
            return number
    raise ScheduleError(f"“{text[:12]}” is not a day of the week; use 0-7 (0 and 7 are Sunday) or MON-SUN.")


def parse_recurrence(words: Sequence[str], zone: ZoneInfo, now: datetime) -> Recurrence:
    """``["every", "1w"]`` or ``["cron", "0 9 * * MON"]`` (the five fields may also come as
    separate words); a :class:`ScheduleError` naming the forms otherwise."""
    if not words:
        raise ScheduleError(f"Say how often: {EXAMPLES}.")
    kind, rest = words[0].lower(), list(words[1:])
    if kind == "every" and len(rest) == 1:
        return parse_every(rest[0])
    if kind == "cron" and rest:
        return parse_cron(" ".join(rest), zone, now)
    raise ScheduleError(f"I can't read “{' '.join(words)[:80]}” as a schedule. Write {EXAMPLES}.")


def parse_spec(spec: str, zone: ZoneInfo, now: datetime) -> Recurrence:
    """A stored :attr:`Recurrence.spec` read back."""
    try:
        words = shlex.split(spec)
    except ValueError as error:
        raise ScheduleError(f"I can't read the schedule “{spec[:80]}”.") from error
    return parse_recurrence(words, zone, now)


def time_zone(name: str) -> ZoneInfo:
    """The IANA zone ``name`` (``UTC`` when empty); a :class:`ScheduleError` for unknown names."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ScheduleError(f"“{name[:60]}” is not a time zone I know.") from error


@dataclass(frozen=True, slots=True)
class FileSchedule:
    """A recurring run as the playbook's file writes it (an entry of its ``schedules`` list, kept
    in :attr:`Playbook.schedules <bot.domain.playbook.Playbook.schedules>`): ``every`` (``1w``) or
    ``cron`` (``0 9 * * MON``), read in ``timezone`` — or, when that is empty, in the time zone of
    the person who imports the playbook, as ``/playbook schedule`` reads a schedule in its setter's.

    The text as written, not yet in force: :meth:`recurrence` reads it into a
    :class:`Recurrence`, and importing the playbook stores it as a
    :class:`~storage.repositories.schedules.RunSchedule` whose ``source`` is ``file``."""

    every: str = ""
    cron: str = ""
    timezone: str = ""

    @property
    def written_as(self) -> str:
        """Which of the two ways it is written in: ``every`` or ``cron`` (``""`` for neither or both)."""
        every, cron = bool(self.every.strip()), bool(self.cron.strip())
        return "" if every == cron else "every" if every else "cron"

    def recurrence(self, zone: ZoneInfo, now: datetime) -> Recurrence:
        """The recurrence, as ``/playbook schedule every …|cron "…"`` reads it; a
        :class:`ScheduleError` when it is unreadable, or gives both ways or neither."""
        every, cron = self.every.strip(), self.cron.strip()
        if every and cron:
            raise ScheduleError("Give `every` or `cron`, not both.")
        if not (every or cron):
            raise ScheduleError('Say how often: `every` (e.g. 1w) or `cron` (e.g. "0 9 * * MON").')
        return parse_recurrence(["every", every] if every else ["cron", cron], zone, now)


COMMAND = "command"
"""The source of a schedule set with ``/playbook schedule``."""
FILE = "file"
"""The source of a schedule written in the playbook's file, replaced when the file is imported again."""


@dataclass(frozen=True, slots=True)
class RunSchedule:
    """A schedule in force, as stored (a ``run_schedules`` row): a playbook started as
    ``owner_id`` whenever ``spec`` fires (read in ``timezone``), next at ``next_run_at``;
    ``source`` is :data:`COMMAND` or :data:`FILE`.

    ``spec`` is a :class:`~bot.domain.schedules.Recurrence` as written
    (:attr:`~bot.domain.schedules.Recurrence.spec`); a ``file`` schedule is the stored form of a
    :class:`~bot.domain.schedules.FileSchedule` of the playbook. The commands answer with a
    :class:`~bot.services.schedules.TitledSchedule`: one of these and its playbook's title."""

    id: str
    playbook_id: str
    team_id: str
    owner_id: str
    spec: str
    timezone: str
    next_run_at: datetime
    enabled: bool
    created_at: datetime
    last_run_id: str | None = None
    last_error: str | None = None
    source: str = COMMAND

    @property
    def from_file(self) -> bool:
        """Whether the playbook's file defines this schedule (rather than ``/playbook schedule``)."""
        return self.source == FILE
