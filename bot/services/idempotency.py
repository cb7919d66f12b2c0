"""Claims that make a repeated request (a retried or double submission) do its work once."""

from __future__ import annotations

from bot.services.context import Services
from storage.repositories.settings import SettingsRepository


async def claim_once(services: Services, key: str) -> bool:
    """Claim ``key``; ``True`` only for the first claimant, in any process or replica."""
    async with services.transaction() as session:
        return await SettingsRepository(session).mark_handled(key)


async def release(services: Services, key: str) -> None:
    """Give ``key`` back, so the same request may be made again (e.g. after correcting a form)."""
    async with services.transaction() as session:
        await SettingsRepository(session).unmark_handled(key)
