"""Saving a change to a run: the compare-and-set, the one retry, and the refresh of its posts.

:func:`save_change` loads the run, checks the person may do this (:mod:`bot.services.run_access`),
applies a pure operation of :mod:`bot.domain.run`, saves it and records its timeline events in the
same transaction. A change that touches one task is saved with the task's revision
(``RunRepository.save_item_if_revision``), anything else with the run's. When someone else saved
first, the change is re-applied once to the fresh run; losing twice is reported as
:class:`ConcurrentChangeError`. After the commit the changed posts are refreshed in the background
(:mod:`bot.services.run_refresh`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, replace

from bot.domain import run as domain
from bot.domain.errors import DomainError
from bot.domain.run import Run, RunChange, RunItem
from bot.services import run_refresh
from bot.services.context import Services
from bot.services.run_access import RunAction, RunNotVisibleError, require
from storage.errors import StaleRevisionError
from storage.repositories.runs import RunRepository

Operation = Callable[[Run], RunChange]


class ConcurrentChangeError(DomainError):
    """Two people changed the run at the same moment, twice in a row."""

    def __init__(self) -> None:
        super().__init__("Someone changed this run at the same time, so nothing was done. Please try again.")


@dataclass(frozen=True, slots=True)
class ChangeResult:
    """What a change did: the run before and after, and whether it was already so."""

    before: Run
    run: Run
    change: RunChange

    @property
    def already(self) -> bool:
        """Nothing needed doing: the run was already as asked."""
        return self.change.already


class _LostRaceError(Exception):
    """Someone saved the run between our read and our write."""


async def save_change(
    services: Services,
    run_id: str,
    actor_id: str,
    action: RunAction | None,
    operation: Operation,
    *,
    skip_checklists: Collection[str] = (),
    all_checklists: bool = False,
) -> ChangeResult:
    """Apply ``operation`` to the run as ``actor_id``, allowed ``action``, and save it
    (``action`` ``None``: Mattermost told the service what happened, nobody asks for it).

    Then refresh the posts of the checklists that changed (all of them with ``all_checklists``)
    except ``skip_checklists``. A finish or restore calls the run's lifecycle hooks in the change's
    transaction.
    """
    for _attempt in range(2):
        try:
            result = await _apply_once(services, run_id, actor_id, action, operation)
        except _LostRaceError:
            continue
        if not result.already:
            checklists = (
                [c.id for c in result.run.checklists]
                if all_checklists
                else _changed_checklists(result.before, result.run)
            )
            run_refresh.schedule_refresh(
                services, run_id, [c for c in checklists if c not in skip_checklists]
            )
        return result
    raise ConcurrentChangeError()


async def _apply_once(
    services: Services,
    run_id: str,
    actor_id: str,
    action: RunAction | None,
    operation: Operation,
) -> ChangeResult:
    async with services.transaction() as session:
        runs = RunRepository(session)
        before = await runs.get(run_id)
        if before is None:
            raise RunNotVisibleError()
        joined = RunChange(before, already=True)
        if action is not None:
            facts = await require(services, session, before, actor_id, action)
            if facts.is_channel_member:
                # Just added to the channel, before the bot heard of it: the join comes first.
                joined = domain.join_channel(before, actor_id, at=services.clock())
        change = operation(joined.run)
        if not joined.already:
            after = replace(change.run, revision=before.revision + 1)
            change = RunChange(after, joined.events + change.events)
        if change.already:
            return ChangeResult(before, before, change)
        item = _single_changed_item(before, change.run)
        if item is not None:
            if not await runs.save_item_if_revision(run_id, item[1], item[0].revision):
                raise _LostRaceError()
        else:
            try:
                await runs.save(change.run, expected_revision=before.revision)
            except StaleRevisionError as error:
                raise _LostRaceError() from error
        await runs.add_timeline_events(run_id, change.events)
        await services.lifecycle.run_changed(services, session, before, change.run)
        return ChangeResult(before, change.run, change)


def _single_changed_item(before: Run, after: Run) -> tuple[RunItem, RunItem] | None:
    """The one task that changed (old, new), when nothing else about the run did."""
    if replace(before, checklists=(), revision=0) != replace(after, checklists=(), revision=0):
        return None
    if [(c.id, c.title, [i.id for i in c.items]) for c in before.checklists] != [
        (c.id, c.title, [i.id for i in c.items]) for c in after.checklists
    ]:
        return None
    pairs = [
        (old, new)
        for old_list, new_list in zip(before.checklists, after.checklists, strict=True)
        for old, new in zip(old_list.items, new_list.items, strict=True)
        if old != new
    ]
    return pairs[0] if len(pairs) == 1 else None


def _changed_checklists(before: Run, after: Run) -> list[str]:
    old = {c.id: c for c in before.checklists}
    return [c.id for c in after.checklists if old.get(c.id) != c]
