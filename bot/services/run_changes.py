"""Changing a run that has started: one function per thing a person does to it.

Each function names the pure operation of :mod:`bot.domain.run` it applies and hands it to
:func:`bot.services.run_saving.save_change`, which checks the person may do this, saves it with a
compare-and-set (retrying once, then :class:`~bot.services.run_saving.ConcurrentChangeError`),
records its timeline events and refreshes the run's posts in the background.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from bot.domain import run as domain
from bot.domain.run import ItemRef, ItemState, Run, RunChange, StaleClickError
from bot.domain.run_checklists import check_task_text
from bot.mattermost.errors import MattermostError
from bot.services import run_refresh
from bot.services.context import Services
from bot.services.run_access import RunAction
from bot.services.run_saving import ChangeResult, save_change


@dataclass(frozen=True, slots=True)
class ItemAt:
    """A task as people name it in slash commands: 1-based checklist and task numbers."""

    checklist_no: int
    item_no: int


@dataclass(frozen=True, slots=True)
class ItemWithId:
    """A task as buttons name it: its checklist's id and its own."""

    checklist_id: str
    item_id: str


ItemKey = ItemAt | ItemWithId


def resolve(run: Run, key: ItemKey) -> ItemRef:
    """The task ``key`` names in ``run`` (a :class:`~bot.domain.run.RunError` if there is none)."""
    if isinstance(key, ItemAt):
        return domain.locate(run, key.checklist_no, key.item_no)
    return domain.find_item(run, key.checklist_id, key.item_id)


log = logging.getLogger(__name__)

BOT_CANNOT_OWN = "A bot can't own a run: pick a person to be its owner."
BOT_CANNOT_BE_ASSIGNED = "A bot can't work on a task: assign it to a person."


async def refuse_bots(services: Services, user_id: str | None, message: str) -> None:
    """Runs are owned and tasks done by people: refuse this bot or any other bot account."""
    if user_id and (user_id == services.bot.id or (await services.people.user(user_id)).is_bot):
        raise domain.InvalidChangeError(message)


def _ids(run: Run, key: ItemKey) -> tuple[str, str]:
    ref = resolve(run, key)
    return ref.checklist.id, ref.item.id


# Tasks ----------------------------------------------------------------------------------------


async def set_item_state(
    services: Services, run_id: str, key: ItemKey, target: ItemState, *, actor_id: str
) -> ChangeResult:
    """Put a task into ``target`` (open, in progress, closed or skipped); never a toggle."""

    def operation(run: Run) -> RunChange:
        return domain.set_item_state(run, *_ids(run, key), target, actor_id=actor_id, at=services.clock())

    return await save_change(services, run_id, actor_id, RunAction.CHANGE, operation)


async def skip_item(services: Services, run_id: str, key: ItemKey, *, actor_id: str) -> ChangeResult:
    """Skip a task: it no longer needs doing."""
    return await set_item_state(services, run_id, key, ItemState.SKIPPED, actor_id=actor_id)


async def restore_item(services: Services, run_id: str, key: ItemKey, *, actor_id: str) -> ChangeResult:
    """Reopen a skipped (or checked) task."""
    return await set_item_state(services, run_id, key, ItemState.OPEN, actor_id=actor_id)


async def click_item(
    services: Services,
    run_id: str,
    key: ItemWithId,
    target: ItemState,
    signed_revision: int,
    *,
    actor_id: str,
    refresh_checklist: bool = False,
) -> ChangeResult:
    """A Check/Uncheck/Skip/Restore button: ``target`` as signed at ``signed_revision``.

    A repeated click is ``already`` done; a click on a task changed since raises
    :class:`~bot.domain.run.StaleClickError`. The clicked checklist is left to the caller, which
    answers the click with it, unless ``refresh_checklist``.
    """

    def operation(run: Run) -> RunChange:
        ids = key.checklist_id, key.item_id
        return domain.apply_click(run, *ids, target, signed_revision, actor_id=actor_id, at=services.clock())

    skip = () if refresh_checklist else (key.checklist_id,)
    return await save_change(services, run_id, actor_id, RunAction.CHANGE, operation, skip_checklists=skip)


async def toggle_item(services: Services, run_id: str, key: ItemKey, *, actor_id: str) -> ChangeResult:
    """``/playbook check``: an open task is checked, any other is reopened (as the plugin does)."""

    def operation(run: Run) -> RunChange:
        ref = resolve(run, key)
        target = ItemState.CLOSED if ref.item.state is ItemState.OPEN else ItemState.OPEN
        return domain.set_item_state(
            run, ref.checklist.id, ref.item.id, target, actor_id=actor_id, at=services.clock()
        )

    return await save_change(services, run_id, actor_id, RunAction.CHANGE, operation)


async def assign_item(
    services: Services,
    run_id: str,
    key: ItemKey,
    assignee_id: str | None,
    *,
    actor_id: str,
    signed_revision: int | None = None,
    skip_checklists: Collection[str] = (),
) -> ChangeResult:
    """Assign a task (``None`` unassigns). An assignee who is not yet a participant joins the run
    and its channel, so they can check their task. With ``signed_revision`` (a button), a task
    changed since is refused as stale unless it already has this assignee."""
    await refuse_bots(services, assignee_id, BOT_CANNOT_BE_ASSIGNED)

    def operation(run: Run) -> RunChange:
        ref = resolve(run, key)
        if signed_revision is not None and ref.item.revision != signed_revision:
            if ref.item.assignee_id == (assignee_id or None):
                return RunChange(run, already=True)
            raise StaleClickError(ref.item.title)
        at = services.clock()
        change = domain.assign_item(run, ref.checklist.id, ref.item.id, assignee_id, actor_id=actor_id, at=at)
        if change.already or not assignee_id or assignee_id in run.participant_ids:
            return change
        joined = domain.add_participants(change.run, (assignee_id,), actor_id=actor_id, at=at)
        return RunChange(one_revision(run, joined.run), change.events + joined.events)

    result = await save_change(
        services, run_id, actor_id, RunAction.CHANGE, operation, skip_checklists=skip_checklists
    )
    await join_channel(services, result)
    return result


async def copy_item_command(
    services: Services, run_id: str, key: ItemKey, *, actor_id: str, skip_checklists: Collection[str] = ()
) -> tuple[ChangeResult, str]:
    """Record that the person was handed a task's slash command to copy; the result and the command.

    The bot cannot run a command as someone else, so the caller shows it ready to copy and the
    timeline says just that.
    """

    def operation(run: Run) -> RunChange:
        return domain.record_command_copied(run, *_ids(run, key), actor_id=actor_id, at=services.clock())

    result = await save_change(
        services, run_id, actor_id, RunAction.CHANGE, operation, skip_checklists=skip_checklists
    )
    command = str(result.change.events[0].details.get("command", "")) if result.change.events else ""
    return result, command


async def add_item(
    services: Services,
    run_id: str,
    checklist_no: int,
    title: str,
    *,
    actor_id: str,
    description: str = "",
    command: str = "",
    assignee_id: str | None = None,
    due_at: datetime | None = None,
) -> ChangeResult:
    """Append a task to the checklist numbered ``checklist_no``; an assignee joins the run."""
    await refuse_bots(services, assignee_id, BOT_CANNOT_BE_ASSIGNED)
    item_id = uuid.uuid4().hex

    def operation(run: Run) -> RunChange:
        checklist = domain.locate_checklist(run, checklist_no)
        check_task_text(description.strip(), command.strip())
        at = services.clock()
        change = domain.add_item(
            run,
            checklist.id,
            title,
            item_id=item_id,
            actor_id=actor_id,
            at=at,
            description=description.strip(),
            command=command.strip(),
            assignee_id=assignee_id,
            due_at=due_at,
        )
        if not assignee_id or assignee_id in run.participant_ids:
            return change
        joined = domain.add_participants(change.run, (assignee_id,), actor_id=actor_id, at=at)
        return RunChange(one_revision(run, joined.run), change.events + joined.events)

    result = await save_change(services, run_id, actor_id, RunAction.CHANGE, operation)
    await join_channel(services, result)
    return result


async def remove_item(services: Services, run_id: str, key: ItemKey, *, actor_id: str) -> ChangeResult:
    """Remove a task from its checklist."""

    def operation(run: Run) -> RunChange:
        return domain.remove_item(run, *_ids(run, key), actor_id=actor_id, at=services.clock())

    return await save_change(services, run_id, actor_id, RunAction.CHANGE, operation)


async def rename_item(
    services: Services, run_id: str, key: ItemKey, title: str, *, actor_id: str
) -> ChangeResult:
    """Give a task a new title."""

    def operation(run: Run) -> RunChange:
        return domain.rename_item(run, *_ids(run, key), title, actor_id=actor_id, at=services.clock())

    return await save_change(services, run_id, actor_id, RunAction.CHANGE, operation)


# People ---------------------------------------------------------------------------------------


async def change_owner(services: Services, run_id: str, new_owner_id: str, *, actor_id: str) -> ChangeResult:
    """Hand the run to ``new_owner_id``, who joins it (and its channel) if need be."""
    await refuse_bots(services, new_owner_id, BOT_CANNOT_OWN)

    def operation(run: Run) -> RunChange:
        return domain.change_owner(run, new_owner_id, actor_id=actor_id, at=services.clock())

    result = await save_change(services, run_id, actor_id, RunAction.CHANGE_OWNER, operation)
    await join_channel(services, result)
    return result


async def add_participants(
    services: Services, run_id: str, user_ids: Iterable[str], *, actor_id: str
) -> ChangeResult:
    """Add people to the run; they are also added to the run's channel."""
    wanted = tuple(user_ids)

    def operation(run: Run) -> RunChange:
        return domain.add_participants(run, wanted, actor_id=actor_id, at=services.clock())

    result = await save_change(services, run_id, actor_id, RunAction.CHANGE, operation)
    await join_channel(services, result)
    return result


async def remove_participants(
    services: Services, run_id: str, user_ids: Iterable[str], *, actor_id: str
) -> ChangeResult:
    """Remove people from the run (not the owner), and so from its channel: its members are its
    participants."""
    wanted = tuple(user_ids)

    def operation(run: Run) -> RunChange:
        return domain.remove_participants(run, wanted, actor_id=actor_id, at=services.clock())

    result = await save_change(services, run_id, actor_id, RunAction.CHANGE, operation)
    for user_id in (u for u in result.before.participant_ids if u not in result.run.participant_ids):
        try:
            await services.gateway.remove_channel_member(result.run.channel_id, user_id)
        except MattermostError as error:  # gone already, or a channel nobody may leave
            log.warning("could not remove %s from run %s's channel: %s", user_id, run_id, error)
    return result


# Finishing ------------------------------------------------------------------------------------


async def finish_run(
    services: Services, run_id: str, *, actor_id: str, confirmed: bool = False
) -> ChangeResult:
    """Finish the run. With tasks open this raises
    :class:`~bot.domain.run.FinishNeedsConfirmationError` unless ``confirmed``. Every post loses
    its buttons, and a summary goes to the run channel and, when enabled, the broadcast channels."""

    def operation(run: Run) -> RunChange:
        return domain.finish_run(run, actor_id=actor_id, at=services.clock(), confirmed=confirmed)

    result = await save_change(services, run_id, actor_id, RunAction.FINISH, operation, all_checklists=True)
    run_refresh.spawn(
        services,
        run_refresh.announce(services, result.run, actor_id, finished=True),
        f"announce-finish-{run_id}",
    )
    return result


async def restore_run(services: Services, run_id: str, *, actor_id: str) -> ChangeResult:
    """Bring a finished run back in progress; its posts get their buttons back."""

    def operation(run: Run) -> RunChange:
        return domain.restore_run(run, actor_id=actor_id, at=services.clock())

    result = await save_change(services, run_id, actor_id, RunAction.FINISH, operation, all_checklists=True)
    run_refresh.spawn(
        services,
        run_refresh.announce(services, result.run, actor_id, finished=False),
        f"announce-restore-{run_id}",
    )
    return result


# Loading ----------------------------------------------------------------------------------------


# Internals ----------------------------------------------------------------------------------------


def one_revision(before: Run, after: Run) -> Run:
    """Two domain steps made one change: the run moves on by a single revision."""
    return replace(after, revision=before.revision + 1)


async def join_channel(services: Services, result: ChangeResult) -> None:
    """Bring people who just joined the run (assignees, new owners, added people) into its channel."""
    joined = [u for u in result.run.participant_ids if u not in result.before.participant_ids]
    if joined:
        await services.gateway.add_channel_members(result.run.channel_id, joined)
