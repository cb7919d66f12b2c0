"""Durations as people type them: ``15m``, ``2h30m``, ``1d 12h``, ``1w`` — one grammar for reminder
intervals, the relative due times of a playbook's tasks and the due dates of a run's tasks.

Each caller adds its own words (``none``, ``+``) and bounds; the grammar itself is here once.
"""

from __future__ import annotations

import re
from datetime import timedelta

_PART = re.compile(r"(\d{1,6})\s*([wdhms])")
_UNITS = {
    "w": timedelta(weeks=1),
    "d": timedelta(days=1),
    "h": timedelta(hours=1),
    "m": timedelta(minutes=1),
    "s": timedelta(seconds=1),
}
MINUTE_UNITS = "wdhm"
"""The units of spans counted in whole minutes (reminders, relative due times)."""


def read_span(text: str, units: str = MINUTE_UNITS) -> timedelta | None:
    """The duration ``text`` writes as numbers with units among ``units`` (``1h30m``, ``1d 12h``,
    any case, spaces allowed); ``None`` when ``text`` is not such a duration."""
    compact = text.strip().lower()
    parts = _PART.findall(compact)
    if not parts or _PART.sub("", compact).strip() or any(unit not in units for _, unit in parts):
        return None
    return sum((int(count) * _UNITS[unit] for count, unit in parts), timedelta())


def write_span(span: timedelta) -> str:
    """``span`` in whole minutes, largest units first, as :func:`read_span` reads it back
    (``1w1d5m``); ``""`` for less than a minute."""
    minutes = int(span.total_seconds()) // 60
    parts = []
    for unit, size in (("w", 7 * 24 * 60), ("d", 24 * 60), ("h", 60), ("m", 1)):
        count, minutes = divmod(minutes, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)
