"""Clocks: the real one, one that tests move by hand, and one that test processes share."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path


class FakeClock:
    """A clock that stands still until told to move; call it for the current time."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = (start or datetime.now(UTC)).astimezone(UTC)

    def __call__(self) -> datetime:
        """The current (fake) time, aware, in UTC."""
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        """Move forward by ``delta``; the new time."""
        if delta < timedelta(0):
            raise ValueError("a clock only moves forward")
        self._now += delta
        return self._now

    def set(self, moment: datetime) -> None:
        """Jump to ``moment`` (aware, not before now)."""
        if moment.tzinfo is None or moment < self._now:
            raise ValueError("a clock only moves forward, to an aware time")
        self._now = moment.astimezone(UTC)


class FileClock:
    """A clock read from a file, for tests and benchmarks only: never the service's default.

    Several processes (replicas of the bot under test) share one notion of "now" by reading
    the ISO-8601 timestamp the test writes into ``path`` (see :func:`write_clock_file`). The
    service uses it only when ``clock_file`` (``PLAYBOOKS_CLOCK_FILE``) is set. Like
    :class:`FakeClock` it never goes backwards; a file caught half-written keeps the last time read.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._last: datetime | None = None
        self._last = self._read()
        if self._last is None:
            raise ValueError(f"the clock file {path} does not hold an aware ISO-8601 time")

    def __call__(self) -> datetime:
        """The time in the file (aware, UTC), or the last one read if it can't be read now."""
        moment = self._read()
        if moment is not None and (self._last is None or moment > self._last):
            self._last = moment
        assert self._last is not None
        return self._last

    def _read(self) -> datetime | None:
        try:
            moment = datetime.fromisoformat(self.path.read_text(encoding="utf-8").strip())
        except (OSError, ValueError):
            return None
        return moment.astimezone(UTC) if moment.tzinfo is not None else None


def write_clock_file(path: Path, moment: datetime) -> None:
    """Set the time every :class:`FileClock` on ``path`` reads, atomically (write, then rename)."""
    if moment.tzinfo is None:
        raise ValueError("a clock file holds an aware time")
    staging = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    staging.write_text(moment.astimezone(UTC).isoformat(), encoding="utf-8")
    os.replace(staging, path)
