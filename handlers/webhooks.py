"""``/playbook webhooks``: recent webhook deliveries.

The hooks and job that queue and send them are wired in :mod:`bot.services.wiring`.
"""

from __future__ import annotations

from bot.domain.errors import DomainError
from bot.render.webhooks import deliveries_text, no_run_here, playbook_subject, run_subject
from bot.services import webhooks
from bot.services.context import Services

from .registry import Routers
from .replies import Reply
from .slash import CommandCall

GROUP = "Playbooks"


def register(routers: Routers) -> None:
    """Add ``webhooks``."""
    routers.commands.command(
        "webhooks",
        "[PLAYBOOK]",
        "recent webhook deliveries of this run, or of a playbook you administer",
        group=GROUP,
    )(webhooks_command)


async def webhooks_command(call: CommandCall) -> Reply:
    """``/playbook webhooks [PLAYBOOK]``: the latest deliveries with status, attempts and last error."""
    services: Services = call.services
    try:
        if call.args:
            playbook, deliveries = await webhooks.deliveries_of_playbook(
                services, call.user_id, call.team_id, call.rest
            )
            subject = playbook_subject(playbook)
        else:
            found = await webhooks.deliveries_of_channel_run(services, call.user_id, call.channel_id)
            if found is None:
                return Reply(no_run_here(services.command_trigger))
            run, deliveries = found
            subject = run_subject(run)
    except DomainError as error:
        return Reply(error.message)
    return Reply(deliveries_text(subject, deliveries))
