"""Tables: operational state for replicas and observability."""

from __future__ import annotations

from storage.base import ID, Base  # noqa: F401 - used as tables are added
