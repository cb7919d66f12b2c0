"""``/playbook settings``: in a run channel, the run's switches as a form (status updates,
broadcasts, the retrospective); anywhere, ``settings digest on|off`` for your morning digest."""

from __future__ import annotations

from typing import Any

from bot.callback_data import RunSettingsForm
from bot.domain.run_settings import RunSwitches
from bot.render import run_settings as render
from bot.render import status as status_render
from bot.render.buttons import dialog_state
from bot.services import digests, run_settings
from bot.services.context import Services
from bot.services.run_access import RunAction

from .callbacks import DialogRequest, DialogResult
from .forms import open_run_form
from .registry import Routers
from .replies import SILENT, Reply
from .slash import CommandCall


def register(routers: Routers) -> None:
    """Add ``settings`` and the run settings form."""
    routers.commands.command(
        "settings",
        "[digest on|off]",
        "in a run's channel, turn its status updates, broadcasts and retrospective on or off; "
        "`digest on|off`: your to-do list by direct message each morning at 08:00",
        "Runs",
        needs=RunAction.VIEW,
        run_unless_args=True,
    )(settings)
    routers.dialogs.dialog(RunSettingsForm)(on_submit)


async def settings(call: CommandCall) -> Reply:
    """``/playbook settings`` opens the run's form; ``/playbook settings digest on|off``."""
    services: Services = call.services
    if not call.args:
        message = await _open(services, call.run.id, call.user_id, call.request.trigger_id)
        return Reply(message) if message else SILENT
    return await _digest(call)


async def _open(services: Services, run_id: str, user_id: str, trigger_id: str) -> str:
    """Open the form for ``user_id``; ``""`` when it opened, else what to tell them."""

    def build(form: run_settings.SettingsForm) -> dict[str, Any]:
        state = dialog_state(RunSettingsForm(run_id), services.signer)
        return render.settings_dialog(form.run, form.switches, form.playbook, form.broadcast_channels, state)

    return await open_run_form(
        services,
        trigger_id=trigger_id,
        command="settings",
        load=lambda: run_settings.open_form(services, run_id, user_id),
        build=build,
    )


async def on_submit(sub: DialogRequest, form: RunSettingsForm, services: Services) -> DialogResult:
    """The form submitted: the run's switches as ticked."""
    wanted = RunSwitches(
        status_updates=sub.flag(render.STATUS_UPDATES_FIELD),
        broadcasts=sub.flag(render.BROADCASTS_FIELD),
        retrospective=sub.flag(render.RETROSPECTIVE_FIELD),
    )
    await run_settings.change(services, form.run_id, sub.user_id, wanted)
    return DialogResult()


async def _digest(call: CommandCall) -> Reply:
    """``/playbook settings digest on|off``."""
    services: Services = call.services
    words = [word.lower() for word in call.args]
    if len(words) != 2 or words[0] != "digest" or words[1] not in ("on", "off"):
        return Reply(status_render.digest_usage(services.command_trigger))
    due, zone_name = await digests.set_digest(services, call.user_id, on=words[1] == "on")
    return Reply(status_render.digest_changed(due, zone_name))
