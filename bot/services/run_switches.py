"""Reading a run's switches — status updates, broadcasts, the retrospective — where they apply.

The features that follow a run (reminders, deliveries, retrospectives, announcements) ask here,
in their own transaction, instead of reading the playbook's settings directly, so a switch set
for one run with ``/playbook settings`` is obeyed everywhere. Changing them is
:mod:`bot.services.run_settings`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.playbook import Playbook
from bot.domain.run import Run
from bot.domain.run_settings import RunOverrides, RunSwitches, effective_switches
from storage.repositories.playbooks import PlaybookRepository
from storage.repositories.run_settings import RunSettingsRepository


@dataclass(frozen=True, slots=True)
class RunRules:
    """A run's playbook (``None`` when it has none any more), its own overrides, and the switches
    that follow from both."""

    playbook: Playbook | None
    overrides: RunOverrides
    switches: RunSwitches

    @property
    def broadcast_channel_ids(self) -> tuple[str, ...]:
        """Where the run broadcasts: the playbook's channels, once each, while broadcasts are on."""
        if self.playbook is None or not self.switches.broadcasts:
            return ()
        return tuple(dict.fromkeys(self.playbook.status_updates.broadcast_channel_ids))


async def run_rules(session: AsyncSession, run: Run) -> RunRules:
    """The run's playbook and switches, read in the caller's transaction."""
    playbook = None
    if run.playbook_id:
        record = await PlaybookRepository(session).get_record(run.playbook_id, include_deleted=True)
        playbook = record.playbook if record is not None else None
    overrides = await RunSettingsRepository(session).get(run.id)
    return RunRules(playbook, overrides, effective_switches(playbook, overrides))
