"""Opening a run's form (status update, retrospective) as a dialog, with the same answers everywhere."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from bot.domain.errors import DomainError
from bot.mattermost.errors import MattermostError
from bot.render.run_replies import NOT_IN_RUN_CHANNEL
from bot.services.context import Services
from bot.services.run_access import RunNotVisibleError

Form = TypeVar("Form")

NO_TRIGGER = "I couldn't open the form here. Please send `/{trigger} {command}` in the run's channel."


async def open_run_form(
    services: Services,
    *,
    trigger_id: str,
    command: str,
    load: Callable[[], Awaitable[Form]],
    build: Callable[[Form], Mapping[str, Any]],
) -> str:
    """Load the form's data, then open its dialog for the person whose action gave ``trigger_id``.

    Returns ``""`` when the dialog opened, otherwise what to tell the person: the run is not
    theirs to see, a domain rule refused, or Mattermost could not open a dialog from here (then
    ``/playbook <command>`` in the run channel is the way in).
    """
    try:
        form = await load()
    except RunNotVisibleError:
        return NOT_IN_RUN_CHANNEL
    except DomainError as error:
        return error.message
    no_dialog = NO_TRIGGER.format(trigger=services.command_trigger, command=command)
    if not trigger_id:
        return no_dialog
    try:
        await services.gateway.open_dialog(trigger_id, services.dialog_url, build(form))
    except MattermostError:
        return no_dialog
    return ""
