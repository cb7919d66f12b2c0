"""A run's own switches, in the caller's transaction (nothing here commits)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.run_settings import RunOverrides
from storage.models_run_settings import RunSettingsRow
from storage.repositories._sql import insert


class RunSettingsRepository:
    """Reads and writes ``run_settings``."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, run_id: str) -> RunOverrides:
        """The switches the run set itself (all ``None`` when it set none)."""
        row = await self._session.get(RunSettingsRow, run_id)
        if row is None:
            return RunOverrides()
        return RunOverrides(row.status_updates, row.broadcasts, row.retrospective)

    async def set(self, run_id: str, overrides: RunOverrides, *, at: datetime, by: str) -> None:
        """Store the run's switches, replacing what it had."""
        values = {
            "status_updates": overrides.status_updates,
            "broadcasts": overrides.broadcasts,
            "retrospective": overrides.retrospective,
            "updated_at": at,
            "updated_by": by,
        }
        statement = insert(self._session, RunSettingsRow).values(run_id=run_id, **values)
        await self._session.execute(statement.on_conflict_do_update(index_elements=["run_id"], set_=values))
