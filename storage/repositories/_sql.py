"""SQL that differs between SQLite and PostgreSQL, behind one interface."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

Insert = postgresql.Insert | sqlite.Insert


def insert(session: AsyncSession, table: Any) -> Insert:
    """An INSERT for ``table`` with ``ON CONFLICT`` support on the session's backend.

    Both backends spell upserts the same way (``on_conflict_do_nothing``,
    ``on_conflict_do_update``); only the construct's module differs.
    """
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def utc_now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)
