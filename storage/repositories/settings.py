"""The service's own state: named settings, the signing secret, handled events."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import BotSettingRow, HandledEventRow
from storage.repositories._sql import insert, utc_now

SIGNING_SECRET_KEY = "signing_secret"
SIGNING_SECRET_BYTES = 32


class SettingsRepository:
    """Reads and writes the service's bookkeeping in the caller's transaction.

    Nothing here commits: the caller owns the transaction (``async with factory.begin() as
    session``), so marking an event handled commits or rolls back together with its handling.
    """

    def __init__(self, session: AsyncSession, *, clock: Callable[[], datetime] = utc_now) -> None:
        self._session = session
        self._clock = clock

    # Named settings ------------------------------------------------------------------------------

    async def get(self, key: str) -> str | None:
        """The value stored under ``key``, or ``None``."""
        result = await self._session.execute(select(BotSettingRow.value).where(BotSettingRow.key == key))
        return result.scalar_one_or_none()

    async def set(self, key: str, value: str) -> None:
        """Store ``value`` under ``key``, replacing any previous value."""
        statement = insert(self._session, BotSettingRow).values(key=key, value=value)
        statement = statement.on_conflict_do_update(index_elements=["key"], set_={"value": value})
        await self._session.execute(statement)

    async def get_or_create_secret(self, key: str = SIGNING_SECRET_KEY) -> str:
        """The secret stored under ``key``, generating and storing one the first time.

        Race-safe: every replica proposes its own random secret with ``INSERT … ON CONFLICT DO
        NOTHING`` and then reads back whichever one was stored first, so all agree.
        """
        proposed = secrets.token_urlsafe(SIGNING_SECRET_BYTES)
        statement = insert(self._session, BotSettingRow).values(key=key, value=proposed)
        await self._session.execute(statement.on_conflict_do_nothing(index_elements=["key"]))
        stored = await self.get(key)
        if stored is None:  # pragma: no cover - the row was just inserted or already there
            raise RuntimeError(f"setting {key!r} vanished while being created")
        return stored

    # Handled events ------------------------------------------------------------------------------

    async def mark_handled(self, key: str) -> bool:
        """Record that the event or callback ``key`` is being handled.

        ``True`` only the first time a key is marked, across sessions, processes and replicas:
        the primary key decides, through ``INSERT … ON CONFLICT DO NOTHING``. A concurrent
        marker of the same key waits for the first transaction and then gets ``False`` (or
        ``True`` if the first rolled back, so a failed attempt can be retried).
        """
        statement = insert(self._session, HandledEventRow).values(key=key, created_at=self._clock())
        first_time = statement.on_conflict_do_nothing(index_elements=["key"]).returning(HandledEventRow.key)
        result = await self._session.execute(first_time)
        return result.first() is not None

    async def unmark_handled(self, key: str) -> None:
        """Forget that ``key`` was handled, so it may be handled again."""
        await self._session.execute(delete(HandledEventRow).where(HandledEventRow.key == key))
