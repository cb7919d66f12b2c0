"""``/playbook update``, ``follow``, ``unfollow``, ``todo``; the *Post update* and *Snooze* buttons
and the update dialog (``settings digest`` lives with the run's settings, :mod:`handlers.run_settings`).

The reminder, delivery and digest jobs and the run hooks are wired in :mod:`bot.services.wiring`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.callback_data import OpenUpdateForm, SnoozeReminder, UpdateForm
from bot.domain.errors import DomainError
from bot.domain.status import CUSTOM, SNOOZE_CHOICES, reminder_from_form
from bot.render import status as render
from bot.render.buttons import dialog_state
from bot.services import digests, status_updates
from bot.services.context import Services
from bot.services.run_access import RunAction
from bot.services.run_posts import names_for

from .callbacks import STALE_BUTTON, ActionRequest, ActionResult, DialogRequest, DialogResult
from .forms import open_run_form
from .registry import Routers
from .replies import SILENT, Reply
from .slash import CommandCall

GROUP = "Runs"
SNOOZE_SECONDS = {int(delay.total_seconds()) for _, delay in SNOOZE_CHOICES}


def register(routers: Routers) -> None:
    """Add the commands, buttons and dialog of status updates."""
    command = routers.commands.command
    in_run = RunAction.VIEW  # the services check the rest in the transaction that acts
    command(
        "update",
        "",
        "post a status update for the run (and set the next reminder, or finish the run)",
        GROUP,
        needs=in_run,
    )(update)
    command("follow", "", "get the run's status updates by direct message", GROUP, needs=in_run)(follow)
    command("unfollow", "", "stop getting the run's status updates", GROUP, needs=in_run)(unfollow)
    command("todo", "", "your open tasks, the runs overdue for your update, and the runs you are in", GROUP)(
        todo
    )
    routers.actions.action(OpenUpdateForm)(on_post_update)
    routers.actions.action(SnoozeReminder)(on_snooze)
    routers.dialogs.dialog(UpdateForm)(on_submit)


# Updates ----------------------------------------------------------------------------------------


async def update(call: CommandCall) -> Reply:
    """``/playbook update`` in a run channel: open the update dialog."""
    message = await _open(call.services, call.run.id, call.user_id, call.request.trigger_id)
    return Reply(message) if message else SILENT


async def on_post_update(click: ActionRequest, data: OpenUpdateForm, services: Services) -> ActionResult:
    """*Post update* on a reminder or the overview."""
    return ActionResult(ephemeral_text=await _open(services, data.run_id, click.user_id, click.trigger_id))


async def _open(services: Services, run_id: str, user_id: str, trigger_id: str) -> str:
    """Open the dialog for ``user_id``; ``""`` when it opened, else what to tell them."""

    def build(form: status_updates.UpdateFormValues) -> dict[str, Any]:
        state = dialog_state(UpdateForm(run_id=run_id), services.signer)
        return render.update_dialog(
            form.run,
            form.default_message,
            form.interval_value,
            form.custom_value,
            form.broadcast_count,
            state,
        )

    return await open_run_form(
        services,
        trigger_id=trigger_id,
        command="update",
        load=lambda: status_updates.open_form(services, run_id, user_id),
        build=build,
    )


async def on_submit(sub: DialogRequest, form: UpdateForm, services: Services) -> DialogResult:
    """The update dialog submitted: read the interval (errors per field), then post."""
    message = sub.text(render.MESSAGE_FIELD)
    if not message:
        return DialogResult(errors={render.MESSAGE_FIELD: "Write what changed since the last update."})
    choice = sub.text(render.REMINDER_FIELD)
    try:
        interval = reminder_from_form(choice, sub.text(render.CUSTOM_FIELD))
    except DomainError as error:  # StatusUpdateError and its kin: the field the person filled is wrong
        field = render.CUSTOM_FIELD if choice == CUSTOM else render.REMINDER_FIELD
        return DialogResult(errors={field: error.message})
    finish = sub.flag(render.FINISH_FIELD)
    await status_updates.post_update(services, form.run_id, sub.user_id, message, interval, finish=finish)
    return DialogResult()


async def on_snooze(click: ActionRequest, data: SnoozeReminder, services: Services) -> ActionResult:
    """*Snooze 1h/4h/1d* on a reminder: the next reminder moves; the reminder says so."""
    if data.seconds not in SNOOZE_SECONDS:  # only the offered delays are ever signed
        return ActionResult(ephemeral_text=STALE_BUTTON)
    delay = timedelta(seconds=data.seconds)
    run, until = await status_updates.snooze(services, data.run_id, click.user_id, delay)
    names = await names_for(services, [click.user_id])
    return ActionResult(
        update=render.snoozed_post(run, names, click.user_id, until),
        ephemeral_text=render.snoozed_note(until),
    )


# Followers, todo, digest ------------------------------------------------------------------------


async def follow(call: CommandCall) -> Reply:
    """``/playbook follow``: the run's updates by direct message."""
    return await _following(call, follow=True)


async def unfollow(call: CommandCall) -> Reply:
    """``/playbook unfollow``: no more updates by direct message."""
    return await _following(call, follow=False)


async def _following(call: CommandCall, *, follow: bool) -> Reply:
    run, already = await status_updates.set_following(call.services, call.run.id, call.user_id, follow=follow)
    return Reply(render.following_changed(run, follow=follow, already=already))


async def todo(call: CommandCall) -> Reply:
    """``/playbook todo``: runs overdue for your update, and your open tasks, overdue first."""
    services: Services = call.services
    listing = await digests.todo_for(services, call.user_id)
    return Reply(render.todo_text(listing, services.clock()))
