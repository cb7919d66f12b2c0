"""The buttons of a run's posts: Check, Uncheck, Skip, Restore, Assign to me, Run /command, Finish
and Restore run, and the *Confirm finish* dialog.

The http layer has verified the signed context before a handler runs. A click on a task answers
with the checklist post re-rendered (Mattermost edits it in place); the overview's progress is
refreshed in the background so the click never waits for a second round trip to Mattermost.
"""

from __future__ import annotations

from bot.callback_data import (
    AssignToMe,
    DismissFinish,
    FinishForm,
    FinishRun,
    ItemClick,
    RestoreRun,
    RunTaskCommand,
    TaskButton,
)
from bot.domain.errors import DomainError
from bot.domain.run import FinishNeedsConfirmationError, StaleClickError, find_item
from bot.render import run_replies
from bot.render.buttons import dialog_state
from bot.services import run_changes
from bot.services.context import Services
from bot.services.run_access import RunAction, RunNotVisibleError, load_run
from bot.services.run_changes import ItemWithId
from bot.services.run_posts import names_for, render_checklist_update

from .callbacks import ActionRequest, ActionResult, DialogRequest, DialogResult
from .forms import open_dialog
from .registry import Routers


def register(routers: Routers) -> None:
    """Add the run buttons and the finish dialog."""
    actions = routers.actions
    actions.action(ItemClick, on_error=current_checklist)(on_item)
    actions.action(AssignToMe, on_error=current_checklist)(on_assign_me)
    actions.action(RunTaskCommand, on_error=current_checklist)(on_run_command)
    # The finish question shows the run as it is: the router loads it; the service checks finishing.
    actions.action(FinishRun, needs=RunAction.VIEW)(on_finish)
    actions.action(RestoreRun)(on_restore)
    actions.action(DismissFinish)(on_dismiss)
    routers.dialogs.dialog(FinishForm)(on_finish_dialog)


def _key(task: TaskButton) -> ItemWithId:
    return ItemWithId(task.checklist_id, task.item_id)


async def on_item(click: ActionRequest, data: ItemClick, services: Services) -> ActionResult:
    """Check, Uncheck, Skip or Restore a task: put it into the signed target state."""
    key = _key(data)
    result = await run_changes.click_item(
        services, data.run_id, key, data.target, data.revision, actor_id=click.user_id
    )
    ref = find_item(result.run, key.checklist_id, key.item_id)
    previous = find_item(result.before, key.checklist_id, key.item_id).item.state
    update = await render_checklist_update(services, result.run, key.checklist_id)
    note = run_replies.item_state_changed(ref, previous, already=True) if result.already else ""
    return ActionResult(update=update, ephemeral_text=note)


async def on_assign_me(click: ActionRequest, data: AssignToMe, services: Services) -> ActionResult:
    """Assign the task to the person who clicked."""
    key = _key(data)
    result = await run_changes.assign_item(
        services,
        data.run_id,
        key,
        click.user_id,
        actor_id=click.user_id,
        signed_revision=data.revision,
        skip_checklists=(key.checklist_id,),
    )
    ref = find_item(result.run, key.checklist_id, key.item_id)
    update = await render_checklist_update(services, result.run, key.checklist_id)
    note = ""
    if result.already:
        note = run_replies.item_assigned(ref, await names_for(services, [click.user_id]), already=True)
    return ActionResult(update=update, ephemeral_text=note)


async def on_run_command(click: ActionRequest, data: RunTaskCommand, services: Services) -> ActionResult:
    """Show the task's slash command ready to copy, and note on the timeline that it was copied.

    Mattermost lets no one run a slash command as another person, so the bot hands it over.
    """
    key = _key(data)
    result, command = await run_changes.copy_item_command(
        services, data.run_id, key, actor_id=click.user_id, skip_checklists=(key.checklist_id,)
    )
    ref = find_item(result.run, key.checklist_id, key.item_id)
    update = await render_checklist_update(services, result.run, key.checklist_id)
    return ActionResult(update=update, ephemeral_text=run_replies.command_to_copy(ref, command))


async def current_checklist(
    click: ActionRequest, data: TaskButton, services: Services, error: DomainError
) -> ActionResult:
    """A refused task button: why, for the clicker, with the checklist as it is now when they may
    see it (so a click on a task changed since its post was rendered shows the current post)."""
    message = run_replies.ITEM_CHANGED if isinstance(error, StaleClickError) else error.message
    try:
        run = await load_run(services, data.run_id, click.user_id, RunAction.VIEW)
    except RunNotVisibleError as hidden:
        return ActionResult(ephemeral_text=hidden.message)
    except DomainError:
        return ActionResult(ephemeral_text=message)
    update = await render_checklist_update(services, run, data.checklist_id)
    return ActionResult(update=update, ephemeral_text=message)


async def on_finish(click: ActionRequest, data: FinishRun, services: Services) -> ActionResult:
    """*Finish run* (or *Finish anyway*). With tasks open, the person confirms first."""
    try:
        result = await run_changes.finish_run(
            services, data.run_id, actor_id=click.user_id, confirmed=data.confirmed
        )
    except FinishNeedsConfirmationError as question:
        return await _ask_to_confirm_finish(click, question, services)
    return ActionResult(ephemeral_text=run_replies.finished(result.run))


async def _ask_to_confirm_finish(
    click: ActionRequest, question: FinishNeedsConfirmationError, services: Services
) -> ActionResult:
    # A click's answer can carry text but no buttons, and the bot may not post ephemeral messages
    # itself; the plugin's *Confirm finish* dialog asks instead.
    run = click.run
    state = dialog_state(FinishForm(run.id), services.signer)
    dialog = run_replies.finish_dialog(run, question, state)
    if click.trigger_id and await open_dialog(services, click.trigger_id, dialog, what="finish"):
        return ActionResult()
    return ActionResult(ephemeral_text=run_replies.finish_by_command(question, services.command_trigger))


async def on_finish_dialog(sub: DialogRequest, data: FinishForm, services: Services) -> DialogResult:
    """*Confirm finish* submitted: finish despite the open tasks."""
    await run_changes.finish_run(services, data.run_id, actor_id=sub.user_id, confirmed=True)
    return DialogResult()


async def on_restore(click: ActionRequest, data: RestoreRun, services: Services) -> ActionResult:
    """*Restore run* on a finished run's overview."""
    result = await run_changes.restore_run(services, data.run_id, actor_id=click.user_id)
    return ActionResult(ephemeral_text=run_replies.restored(result.run))


async def on_dismiss(click: ActionRequest, data: DismissFinish, services: Services) -> ActionResult:
    """*Cancel* on the finish question: nothing changes."""
    return ActionResult(ephemeral_text=run_replies.FINISH_CANCELLED)
