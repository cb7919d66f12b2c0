"""The service's own state: named settings, the signing secret, slash commands, handled events."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import BotSettingRow, HandledEventRow, SlashCommandRow
from storage.repositories._sql import insert, utc_now

SIGNING_SECRET_KEY = "signing_secret"
SIGNING_SECRET_BYTES = 32


@dataclass(frozen=True, slots=True)
class SlashCommand:
    """The slash command registered in a team and the token Mattermost sends with it."""

    team_id: str
    command_id: str
    token: str


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

    # Slash commands ------------------------------------------------------------------------------

    async def set_slash_command(self, command: SlashCommand) -> None:
        """Remember the command registered in ``command.team_id``, replacing an earlier one."""
        statement = insert(self._session, SlashCommandRow).values(
            team_id=command.team_id, command_id=command.command_id, token=command.token
        )
        statement = statement.on_conflict_do_update(
            index_elements=["team_id"], set_={"command_id": command.command_id, "token": command.token}
        )
        await self._session.execute(statement)

    async def get_slash_command(self, team_id: str) -> SlashCommand | None:
        """The command registered in ``team_id``, or ``None``."""
        result = await self._session.execute(
            select(SlashCommandRow).where(SlashCommandRow.team_id == team_id)
        )
        row = result.scalar_one_or_none()
        return None if row is None else SlashCommand(row.team_id, row.command_id, row.token)

    async def list_slash_commands(self) -> list[SlashCommand]:
        """Every registered command, by team id."""
        result = await self._session.execute(select(SlashCommandRow).order_by(SlashCommandRow.team_id))
        return [SlashCommand(row.team_id, row.command_id, row.token) for row in result.scalars()]

    async def delete_slash_command(self, team_id: str) -> bool:
        """Forget the command of ``team_id``; ``False`` if none was registered."""
        statement = delete(SlashCommandRow).where(SlashCommandRow.team_id == team_id)
        result = await self._session.execute(statement.returning(SlashCommandRow.team_id))
        return result.first() is not None

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

    async def forget_handled_before(self, before: datetime) -> int:
        """Delete handled-event keys recorded before ``before``; returns how many went."""
        statement = delete(HandledEventRow).where(HandledEventRow.created_at < before)
        result = await self._session.execute(statement.returning(HandledEventRow.key))
        return len(result.all())
