"""Tables: webhook deliveries and recurring run schedules."""

from __future__ import annotations

from storage.base import ID, Base  # noqa: F401 - used as tables are added
