"""Clocks: the real one, and one that tests move by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


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
