"""The buttons of a run's posts: Check, Uncheck, Skip, Restore, Assign to me, Run /command, Finish
and Restore run, and the *Confirm finish* dialog.

The http layer has verified the signed context before a handler runs. A click on a task answers
with the checklist post re-rendered (Mattermost edits it in place); the overview's progress is
refreshed in the background so the click never waits for a second round trip to Mattermost.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.domain.errors import DomainError
from bot.domain.run import FinishNeedsConfirmationError, ItemState, StaleClickError, find_item
from bot.mattermost.errors import MattermostError
from bot.render import run_replies
from bot.render.buttons import dialog_state
from bot.services import run_changes
from bot.services.context import Services
from bot.services.run_access import RunNotVisibleError
from bot.services.run_changes import ItemWithId
from bot.services.run_posts import names_for, render_checklist_update

from .callbacks import ActionRequest, ActionResult, DialogRequest, DialogResult
from .http import STALE_BUTTON
from .registry import Routers


def register(routers: Routers) -> None:
    """Add the run buttons and the finish dialog."""
    actions = routers.actions
    actions.action("item")(on_item)
    actions.action("assign_me")(on_assign_me)
    actions.action("run_cmd")(on_run_command)
    actions.action("finish")(on_finish)
    actions.action("restore")(on_restore)
    actions.action("dismiss")(on_dismiss)
    routers.dialogs.dialog(run_replies.FINISH_DIALOG)(on_finish_dialog)


class _BadPayloadError(Exception):
    """A signed context without the fields its action needs (from an older version, say)."""


def _text(payload: Mapping[str, Any], name: str) -> str:
    value = payload.get(name)
    if not isinstance(value, str) or not value:
        raise _BadPayloadError(name)
    return value


def _revision(payload: Mapping[str, Any]) -> int:
    value = payload.get("v")
    if not isinstance(value, int) or isinstance(value, bool):
        raise _BadPayloadError("v")
    return value


def _item_key(payload: Mapping[str, Any]) -> tuple[str, ItemWithId, int]:
    return _text(payload, "r"), ItemWithId(_text(payload, "c"), _text(payload, "i")), _revision(payload)


async def on_item(click: ActionRequest, payload: Mapping[str, Any], services: Services) -> ActionResult:
    """Check, Uncheck, Skip or Restore a task: put it into the signed target state."""
    try:
        run_id, key, revision = _item_key(payload)
        target = ItemState.parse(payload.get("t"))
    except (_BadPayloadError, DomainError):
        return ActionResult(ephemeral_text=STALE_BUTTON)
    try:
        result = await run_changes.click_item(services, run_id, key, target, revision, actor_id=click.user_id)
    except StaleClickError:
        return await _current_checklist(
            services, run_id, key.checklist_id, click.user_id, run_replies.ITEM_CHANGED
        )
    except RunNotVisibleError as error:
        return ActionResult(ephemeral_text=error.message)
    except DomainError as error:
        return await _current_checklist(services, run_id, key.checklist_id, click.user_id, error.message)
    ref = find_item(result.run, key.checklist_id, key.item_id)
    previous = find_item(result.before, key.checklist_id, key.item_id).item.state
    update = await render_checklist_update(services, result.run, key.checklist_id)
    note = run_replies.item_state_changed(ref, previous, already=True) if result.already else ""
    return ActionResult(update=update, ephemeral_text=note)


async def on_assign_me(click: ActionRequest, payload: Mapping[str, Any], services: Services) -> ActionResult:
    """Assign the task to the person who clicked."""
    try:
        run_id, key, revision = _item_key(payload)
    except _BadPayloadError:
        return ActionResult(ephemeral_text=STALE_BUTTON)
    try:
        result = await run_changes.assign_item(
            services,
            run_id,
            key,
            click.user_id,
            actor_id=click.user_id,
            signed_revision=revision,
            skip_checklists=(key.checklist_id,),
        )
    except StaleClickError:
        return await _current_checklist(
            services, run_id, key.checklist_id, click.user_id, run_replies.ITEM_CHANGED
        )
    except RunNotVisibleError as error:
        return ActionResult(ephemeral_text=error.message)
    except DomainError as error:
        return await _current_checklist(services, run_id, key.checklist_id, click.user_id, error.message)
    ref = find_item(result.run, key.checklist_id, key.item_id)
    update = await render_checklist_update(services, result.run, key.checklist_id)
    note = ""
    if result.already:
        note = run_replies.item_assigned(ref, await names_for(services, [click.user_id]), already=True)
    return ActionResult(update=update, ephemeral_text=note)


async def on_run_command(
    click: ActionRequest, payload: Mapping[str, Any], services: Services
) -> ActionResult:
    """Show the task's slash command ready to copy, and note on the timeline that it ran.

    Mattermost lets no one run a slash command as another person, so the bot hands it over.
    """
    try:
        run_id, key, _ = _item_key(payload)
    except _BadPayloadError:
        return ActionResult(ephemeral_text=STALE_BUTTON)
    try:
        result, command = await run_changes.run_item_command(
            services, run_id, key, actor_id=click.user_id, skip_checklists=(key.checklist_id,)
        )
    except RunNotVisibleError as error:
        return ActionResult(ephemeral_text=error.message)
    except DomainError as error:
        return await _current_checklist(services, run_id, key.checklist_id, click.user_id, error.message)
    ref = find_item(result.run, key.checklist_id, key.item_id)
    update = await render_checklist_update(services, result.run, key.checklist_id)
    return ActionResult(update=update, ephemeral_text=run_replies.command_to_copy(ref, command))


async def on_finish(click: ActionRequest, payload: Mapping[str, Any], services: Services) -> ActionResult:
    """*Finish run* (or *Finish anyway*). With tasks open, the person confirms first."""
    try:
        run_id = _text(payload, "r")
    except _BadPayloadError:
        return ActionResult(ephemeral_text=STALE_BUTTON)
    confirmed = payload.get("confirm") == 1
    try:
        result = await run_changes.finish_run(services, run_id, actor_id=click.user_id, confirmed=confirmed)
    except FinishNeedsConfirmationError as question:
        return await _ask_to_confirm_finish(click, run_id, question, services)
    except DomainError as error:
        return ActionResult(ephemeral_text=error.message)
    return ActionResult(ephemeral_text=run_replies.finished(result.run))


async def _ask_to_confirm_finish(
    click: ActionRequest, run_id: str, question: FinishNeedsConfirmationError, services: Services
) -> ActionResult:
    # A click's answer can carry text but no buttons, and the bot may not post ephemeral messages
    # itself; the plugin's *Confirm finish* dialog asks instead.
    try:
        run = await run_changes.load_visible_run(services, run_id, click.user_id)
    except DomainError as error:
        return ActionResult(ephemeral_text=error.message)
    state = dialog_state(run_replies.FINISH_DIALOG, {"r": run_id}, services.signer)
    if click.trigger_id:
        try:
            await services.gateway.open_dialog(
                click.trigger_id, services.dialog_url, run_replies.finish_dialog(run, question, state)
            )
        except MattermostError:
            pass
        else:
            return ActionResult()
    return ActionResult(
        ephemeral_text=f"{question.message} To finish anyway, send `/{services.command_trigger} finish` here."
    )


async def on_finish_dialog(sub: DialogRequest, state: Mapping[str, Any], services: Services) -> DialogResult:
    """*Confirm finish* submitted: finish despite the open tasks."""
    run_id = state.get("r")
    if not isinstance(run_id, str) or not run_id:
        return DialogResult(error="This form is not one of mine. Please open it again.")
    try:
        await run_changes.finish_run(services, run_id, actor_id=sub.user_id, confirmed=True)
    except DomainError as error:
        return DialogResult(error=error.message)
    return DialogResult()


async def on_restore(click: ActionRequest, payload: Mapping[str, Any], services: Services) -> ActionResult:
    """*Restore run* on a finished run's overview."""
    try:
        run_id = _text(payload, "r")
    except _BadPayloadError:
        return ActionResult(ephemeral_text=STALE_BUTTON)
    try:
        result = await run_changes.restore_run(services, run_id, actor_id=click.user_id)
    except DomainError as error:
        return ActionResult(ephemeral_text=error.message)
    return ActionResult(ephemeral_text=run_replies.restored(result.run))


async def on_dismiss(click: ActionRequest, payload: Mapping[str, Any], services: Services) -> ActionResult:
    """*Cancel* on the finish question: nothing changes."""
    return ActionResult(ephemeral_text=run_replies.FINISH_CANCELLED)


async def _current_checklist(
    services: Services, run_id: str, checklist_id: str, user_id: str, message: str
) -> ActionResult:
    """``message`` for the clicker, with the checklist as it is now when they may see it."""
    try:
        run = await run_changes.load_visible_run(services, run_id, user_id)
        update = await render_checklist_update(services, run, checklist_id)
    except DomainError:
        return ActionResult(ephemeral_text=message)
    return ActionResult(update=update, ephemeral_text=message)
