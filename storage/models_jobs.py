"""Tables: scheduled jobs: reminders, digests, schedules and deliveries that fall due, claimed once."""

from __future__ import annotations

from storage.base import ID, Base  # noqa: F401 - used as tables are added
