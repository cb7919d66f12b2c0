"""``/playbook update``, ``follow``, ``unfollow``, ``todo``, ``settings digest``; the *Post update*
and *Snooze* buttons, the update dialog, and the reminder, delivery and digest jobs."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from bot.domain.errors import DomainError
from bot.domain.status import CUSTOM, NONE, SNOOZE_CHOICES, InvalidIntervalError, parse_interval
from bot.render import status as render
from bot.render.buttons import dialog_state
from bot.render.run_replies import NOT_IN_RUN_CHANNEL
from bot.render.runs import format_time, run_label
from bot.services import digests, status_updates
from bot.services.context import Services
from bot.services.run_access import RunNotVisibleError
from bot.services.run_posts import names_for
from storage.repositories.runs import RunRepository

from .callbacks import ActionRequest, ActionResult, DialogRequest, DialogResult
from .forms import open_run_form
from .http import STALE_BUTTON
from .registry import Routers
from .replies import SILENT, Reply
from .slash import CommandCall

GROUP = "Runs"
SNOOZE_SECONDS = {int(delay.total_seconds()) for _, delay in SNOOZE_CHOICES}


def register(routers: Routers) -> None:
    """Add the commands, buttons, dialog, jobs and lifecycle hooks of status updates."""
    command = routers.commands.command
    command("update", "", "post a status update for the run (and set the next reminder)", GROUP)(update)
    command("follow", "", "get the run's status updates by direct message", GROUP)(follow)
    command("unfollow", "", "stop getting the run's status updates", GROUP)(unfollow)
    command("todo", "", "your open tasks and the runs overdue for your update", GROUP)(todo)
    command("settings", "digest on|off", "a daily digest of your to-do list, each morning at 08:00", GROUP)(
        settings
    )
    routers.actions.action(render.OPEN_ACTION)(on_post_update)
    routers.actions.action(render.SNOOZE_ACTION)(on_snooze)
    routers.dialogs.dialog(render.UPDATE_DIALOG)(on_submit)
    routers.jobs.on(status_updates.REMINDER_KIND)(status_updates.remind)
    routers.jobs.on(status_updates.DELIVERY_KIND)(status_updates.deliver_job)
    routers.jobs.on(digests.DIGEST_KIND)(digests.send_digest)
    routers.lifecycle.on_started(status_updates.on_run_started)
    routers.lifecycle.on_finished(status_updates.on_run_finished)
    routers.lifecycle.on_restored(status_updates.on_run_restored)


# Updates ----------------------------------------------------------------------------------------


async def update(call: CommandCall) -> Reply:
    """``/playbook update`` in a run channel: open the update dialog."""
    services: Services = call.services
    async with services.transaction() as session:
        run = await RunRepository(session).get_by_channel(call.channel_id)
    if run is None:
        return Reply(NOT_IN_RUN_CHANNEL)
    message = await _open(services, run.id, call.user_id, call.request.trigger_id)
    return Reply(message) if message else SILENT


async def on_post_update(
    click: ActionRequest, payload: Mapping[str, Any], services: Services
) -> ActionResult:
    """*Post update* on a reminder or the overview."""
    run_id = payload.get("r")
    if not isinstance(run_id, str) or not run_id:
        return ActionResult(ephemeral_text=STALE_BUTTON)
    return ActionResult(ephemeral_text=await _open(services, run_id, click.user_id, click.trigger_id))


async def _open(services: Services, run_id: str, user_id: str, trigger_id: str) -> str:
    """Open the dialog for ``user_id``; ``""`` when it opened, else what to tell them."""

    def build(form: status_updates.UpdateForm) -> dict[str, Any]:
        state = dialog_state(render.UPDATE_DIALOG, {"r": run_id}, services.signer)
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


async def on_submit(sub: DialogRequest, state: Mapping[str, Any], services: Services) -> DialogResult:
    """The update dialog submitted: read the interval (errors per field), then post."""
    run_id = state.get("r")
    if not isinstance(run_id, str) or not run_id:
        return DialogResult(error="This form is not one of mine. Please open it again.")
    message = sub.text(render.MESSAGE_FIELD)
    if not message:
        return DialogResult(errors={render.MESSAGE_FIELD: "Write what changed since the last update."})
    choice = sub.text(render.REMINDER_FIELD) or NONE
    field = render.CUSTOM_FIELD if choice == CUSTOM else render.REMINDER_FIELD
    written = sub.text(render.CUSTOM_FIELD) if choice == CUSTOM else choice
    if choice == CUSTOM and not written:
        return DialogResult(errors={field: "Write the interval, like 90m or 2h30m."})
    try:
        interval = parse_interval(written)
    except InvalidIntervalError as error:
        return DialogResult(errors={field: error.message})
    except DomainError as error:
        return DialogResult(errors={field: error.message})
    try:
        await status_updates.post_update(services, run_id, sub.user_id, message, interval)
    except DomainError as error:
        return DialogResult(error=error.message)
    return DialogResult()


async def on_snooze(click: ActionRequest, payload: Mapping[str, Any], services: Services) -> ActionResult:
    """*Snooze 1h/4h/1d* on a reminder: the next reminder moves; the reminder says so."""
    run_id, seconds = payload.get("r"), payload.get("s")
    if not isinstance(run_id, str) or not run_id or seconds not in SNOOZE_SECONDS:
        return ActionResult(ephemeral_text=STALE_BUTTON)
    assert isinstance(seconds, int)
    try:
        run, until = await status_updates.snooze(services, run_id, click.user_id, timedelta(seconds=seconds))
    except DomainError as error:
        return ActionResult(ephemeral_text=error.message)
    names = await names_for(services, [click.user_id])
    return ActionResult(
        update=render.snoozed_post(run, names, click.user_id, until),
        ephemeral_text=f"Snoozed: I'll ask again {format_time(until)}.",
    )


# Followers, todo, digest ------------------------------------------------------------------------


async def follow(call: CommandCall) -> Reply:
    """``/playbook follow``: the run's updates by direct message."""
    return await _following(call, follow=True)


async def unfollow(call: CommandCall) -> Reply:
    """``/playbook unfollow``: no more updates by direct message."""
    return await _following(call, follow=False)


async def _following(call: CommandCall, *, follow: bool) -> Reply:
    services: Services = call.services
    async with services.transaction() as session:
        run = await RunRepository(session).get_by_channel(call.channel_id)
    if run is None:
        return Reply(NOT_IN_RUN_CHANNEL)
    try:
        run, already = await status_updates.set_following(services, run.id, call.user_id, follow=follow)
    except RunNotVisibleError:
        return Reply(NOT_IN_RUN_CHANNEL)
    except DomainError as error:
        return Reply(error.message)
    name = f"**{run_label(run)}**"
    if follow:
        if already:
            return Reply(f"You already follow {name}.")
        return Reply(f"You now follow {name}: its status updates come to you by direct message.")
    if already:
        return Reply(f"You don't follow {name}.")
    return Reply(f"You no longer follow {name}.")


async def todo(call: CommandCall) -> Reply:
    """``/playbook todo``: runs overdue for your update, and your open tasks, overdue first."""
    services: Services = call.services
    listing = await digests.todo_for(services, call.user_id)
    return Reply(render.todo_text(listing, services.clock()))


async def settings(call: CommandCall) -> Reply:
    """``/playbook settings digest on|off``."""
    services: Services = call.services
    words = [word.lower() for word in call.args]
    if len(words) != 2 or words[0] != "digest" or words[1] not in ("on", "off"):
        return Reply(f"Usage: `/{services.command_trigger} settings digest on|off`")
    on = words[1] == "on"
    due, zone_name = await digests.set_digest(services, call.user_id, on=on)
    if due is None:
        return Reply("Your daily digest is off.")
    return Reply(
        f"Your daily digest is on: it comes by direct message at 08:00 ({zone_name}), "
        f"first on {format_time(due)}."
    )
