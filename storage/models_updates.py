"""Tables: status updates, reminder settings per run, personal digest settings."""

from __future__ import annotations

from storage.base import ID, Base  # noqa: F401 - used as tables are added
