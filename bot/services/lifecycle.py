"""Hooks into a run's life — started, finished, restored, a status update posted — run inside the
transaction that stores it.

Features that follow a run (reminders, webhooks, retrospectives) register here instead of
editing the run services, and whatever they schedule commits, or rolls back, with the run.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.run import Run
from bot.domain.status import StatusUpdate

RunHook = Callable[[Any, AsyncSession, Run], Awaitable[None]]
"""``hook(services, session, run)``; the run as just stored."""

ChangeHook = Callable[[Any, AsyncSession, Run, Run], Awaitable[None]]
"""``hook(services, session, before, after)``: a change of a run was just stored."""

UpdateHook = Callable[[Any, AsyncSession, Run, StatusUpdate], Awaitable[None]]
"""``hook(services, session, run, update)``: a status update of ``run`` was just stored.

``update`` is a :class:`~bot.domain.status.StatusUpdate`: ``id``, ``run_id``, ``author_id``,
``message`` (as posted), ``posted_at`` (aware UTC) and ``next_reminder_at`` (aware UTC, or
``None`` when no reminder follows).
"""


@dataclass
class RunLifecycle:
    """The hooks of each moment in a run's life, called in registration order."""

    started: list[RunHook] = field(default_factory=list)
    finished: list[RunHook] = field(default_factory=list)
    restored: list[RunHook] = field(default_factory=list)
    update_posted: list[UpdateHook] = field(default_factory=list)
    changed: list[ChangeHook] = field(default_factory=list)

    def on_started(self, hook: RunHook) -> RunHook:
        """Call ``hook`` when a run has been created (before its posts are published)."""
        self.started.append(hook)
        return hook

    def on_finished(self, hook: RunHook) -> RunHook:
        """Call ``hook`` when a run has been finished."""
        self.finished.append(hook)
        return hook

    def on_restored(self, hook: RunHook) -> RunHook:
        """Call ``hook`` when a finished run has been restored."""
        self.restored.append(hook)
        return hook

    def on_changed(self, hook: ChangeHook) -> ChangeHook:
        """Call ``hook`` after every stored change of a run (a task checked, a due date set…)."""
        self.changed.append(hook)
        return hook

    def on_update_posted(self, hook: UpdateHook) -> UpdateHook:
        """Call ``hook`` when a status update has been stored (before it is posted anywhere)."""
        self.update_posted.append(hook)
        return hook

    async def status_update_posted(
        self, services: Any, session: AsyncSession, run: Run, update: StatusUpdate
    ) -> None:
        """Tell every ``update_posted`` hook."""
        for hook in self.update_posted:
            await hook(services, session, run, update)

    async def run_started(self, services: Any, session: AsyncSession, run: Run) -> None:
        """Tell every ``started`` hook."""
        for hook in self.started:
            await hook(services, session, run)

    async def run_changed(self, services: Any, session: AsyncSession, before: Run, after: Run) -> None:
        """Tell every ``changed`` hook, and the ``finished`` or ``restored`` hooks when the run's
        status changed."""
        for change_hook in self.changed:
            await change_hook(services, session, before, after)
        if before.is_finished == after.is_finished:
            return
        for hook in self.finished if after.is_finished else self.restored:
            await hook(services, session, after)
