"""``/playbook retro``, the reminder's *Fill in the retrospective* button, the dialog, the reminder job."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.domain.errors import DomainError
from bot.render import retrospectives as render
from bot.render.buttons import dialog_state
from bot.render.run_replies import NOT_IN_RUN_CHANNEL
from bot.services import retrospectives
from bot.services.context import Services
from storage.repositories.runs import RunRepository

from .callbacks import ActionRequest, ActionResult, DialogRequest, DialogResult
from .forms import open_run_form
from .http import STALE_BUTTON
from .registry import Routers
from .replies import SILENT, Reply
from .slash import CommandCall


def register(routers: Routers) -> None:
    """Add ``retro``, its button, its dialog and the reminder job."""
    routers.commands.command(
        "retro", "", "fill in (or update) the finished run's retrospective and key metrics", "Runs"
    )(retro)
    routers.actions.action(render.RETRO_ACTION)(on_fill_in)
    routers.dialogs.dialog(render.RETRO_DIALOG)(on_submit)
    routers.jobs.on(retrospectives.REMINDER_KIND)(retrospectives.remind)
    routers.lifecycle.on_finished(retrospectives.start_after_finish)


async def retro(call: CommandCall) -> Reply:
    """``/playbook retro`` in a run channel: open the retrospective form."""
    services: Services = call.services
    async with services.transaction() as session:
        run = await RunRepository(session).get_by_channel(call.channel_id)
    if run is None:
        return Reply(NOT_IN_RUN_CHANNEL)
    message = await _open(services, run.id, call.user_id, call.request.trigger_id)
    return Reply(message) if message else SILENT


async def on_fill_in(click: ActionRequest, payload: Mapping[str, Any], services: Services) -> ActionResult:
    """*Fill in the retrospective* on a reminder."""
    run_id = payload.get("r")
    if not isinstance(run_id, str) or not run_id:
        return ActionResult(ephemeral_text=STALE_BUTTON)
    return ActionResult(ephemeral_text=await _open(services, run_id, click.user_id, click.trigger_id))


async def _open(services: Services, run_id: str, user_id: str, trigger_id: str) -> str:
    """Open the form for ``user_id``; ``""`` when it opened, else what to tell them."""

    def build(form: retrospectives.RetroForm) -> dict[str, Any]:
        state = dialog_state(render.RETRO_DIALOG, {"r": run_id}, services.signer)
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


async def on_submit(sub: DialogRequest, state: Mapping[str, Any], services: Services) -> DialogResult:
    """The form submitted: metric values read (errors per field), then published."""
    run_id = state.get("r")
    if not isinstance(run_id, str) or not run_id:
        return DialogResult(error="This form is not one of mine. Please open it again.")
    raw = {name: sub.text(name) for name in sub.submission if name.startswith("metric_")}
    try:
        await retrospectives.publish(
            services, run_id, sub.user_id, report=sub.text(render.REPORT_FIELD), raw_values=raw
        )
    except retrospectives.MetricFieldsError as error:
        return DialogResult(errors=error.errors)
    except DomainError as error:
        return DialogResult(error=error.message)
    return DialogResult()
