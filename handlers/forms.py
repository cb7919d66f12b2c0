"""Opening a run's form (status update, retrospective) as a dialog, with the same answers everywhere."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from bot.domain.errors import DomainError
from bot.mattermost.errors import MattermostError
from bot.render.run_replies import NOT_IN_RUN_CHANNEL
from bot.services.context import Services
from bot.services.run_access import RunNotVisibleError

log = logging.getLogger(__name__)

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
    return "" if await open_dialog(services, trigger_id, build(form), what=command) else no_dialog


async def open_dialog(services: Services, trigger_id: str, dialog: Mapping[str, Any], *, what: str) -> bool:
    """Open ``dialog`` for the action that gave ``trigger_id``; ``False`` (logged, naming ``what``)
    when Mattermost could not, for the caller to say so."""
    try:
        await services.gateway.open_dialog(trigger_id, services.dialog_url, dialog)
    except MattermostError as error:
        log.warning("could not open the %s form: %s", what, error)
        return False
    return True
