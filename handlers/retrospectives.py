"""``/playbook retro``, the reminder's *Fill in the retrospective* button and the dialog.

The reminder job and the hook that starts it are wired in :mod:`bot.services.wiring`.
"""

from __future__ import annotations

from typing import Any

from bot.callback_data import OpenRetrospective, RetrospectiveForm
from bot.render import retrospectives as render
from bot.render.buttons import dialog_state
from bot.services import retrospectives
from bot.services.context import Services
from bot.services.run_access import RunAction

from .callbacks import ActionRequest, ActionResult, DialogRequest, DialogResult
from .forms import open_run_form
from .registry import Routers
from .replies import SILENT, Reply
from .slash import CommandCall


def register(routers: Routers) -> None:
    """Add ``retro``, its button and its dialog."""
    routers.commands.command(
        "retro",
        "",
        "fill in (or update) the finished run's retrospective and key metrics",
        "Runs",
        needs=RunAction.VIEW,
    )(retro)
    routers.actions.action(OpenRetrospective)(on_fill_in)
    routers.dialogs.dialog(RetrospectiveForm)(on_submit)


async def retro(call: CommandCall) -> Reply:
    """``/playbook retro`` in a run channel: open the retrospective form."""
    message = await _open(call.services, call.run.id, call.user_id, call.request.trigger_id)
    return Reply(message) if message else SILENT


async def on_fill_in(click: ActionRequest, data: OpenRetrospective, services: Services) -> ActionResult:
    """*Fill in the retrospective* on a reminder."""
    return ActionResult(ephemeral_text=await _open(services, data.run_id, click.user_id, click.trigger_id))


async def _open(services: Services, run_id: str, user_id: str, trigger_id: str) -> str:
    """Open the form for ``user_id``; ``""`` when it opened, else what to tell them."""

    def build(form: retrospectives.RetroForm) -> dict[str, Any]:
        state = dialog_state(RetrospectiveForm(run_id), services.signer)
        return render.retrospective_dialog(
            form.run, form.playbook.metrics, form.playbook.retrospective.template, form.current, state
        )

    return await open_run_form(
        services,
        trigger_id=trigger_id,
        command="retro",
        load=lambda: retrospectives.open_form(services, run_id, user_id),
        build=build,
    )


async def on_submit(sub: DialogRequest, data: RetrospectiveForm, services: Services) -> DialogResult:
    """The form submitted: metric values read (errors per field), then published."""
    raw = {name: sub.text(name) for name in sub.submission if name.startswith("metric_")}
    await retrospectives.publish(
        services, data.run_id, sub.user_id, report=sub.text(render.REPORT_FIELD), raw_values=raw
    )
    return DialogResult()
