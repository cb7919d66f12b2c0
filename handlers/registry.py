"""All the routers of the bot, filled by the handler modules.

Scheduled jobs and run-lifecycle hooks are not handlers of a request: :mod:`bot.services.wiring`
registers them, for the service and the CLI alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .callbacks import ActionRouter, DialogRouter
from .events import EventRouter
from .slash import CommandRouter


@dataclass
class Routers:
    """The slash-command, button, dialog and websocket-event routers."""

    commands: CommandRouter
    actions: ActionRouter = field(default_factory=ActionRouter)
    dialogs: DialogRouter = field(default_factory=DialogRouter)
    events: EventRouter = field(default_factory=EventRouter)


def build_routers(trigger: str = "playbook") -> Routers:
    """Routers with every handler module registered, in the order help lists them."""
    from . import (
        channel_settings,
        checklist_editing,
        keywords,
        listening,
        playbook_editing,
        playbooks,
        retrospectives,
        run_actions,
        run_choice,
        run_commands,
        run_insights,
        run_settings,
        run_start,
        schedules,
        status_updates,
        webhooks,
    )
    from . import help as help_commands

    routers = Routers(commands=CommandRouter(trigger))
    for module in (
        help_commands,
        playbooks,
        playbook_editing,
        run_start,
        run_commands,
        checklist_editing,
        run_actions,
        run_choice,
        retrospectives,
        run_insights,
        keywords,
        listening,
        channel_settings,
        status_updates,
        run_settings,
        webhooks,
        schedules,
    ):
        module.register(routers)
    return routers
