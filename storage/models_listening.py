"""Tables: keyword prompts, ignored threads, per-channel settings, timeline pins."""

from __future__ import annotations

from storage.base import ID, Base  # noqa: F401 - used as tables are added
