"""``/playbook help``."""

from __future__ import annotations

from .registry import Routers
from .replies import Reply
from .slash import CommandCall


def register(routers: Routers) -> None:
    """Add ``help``."""
    commands = routers.commands

    async def show_help(call: CommandCall) -> Reply:
        return Reply(commands.help_text())

    commands.command("help", "", "what every command does", group="Help")(show_help)
