"""A small router for ``/playbook`` sub-commands, with help generated from the routes."""

from __future__ import annotations

import shlex
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from .replies import CommandRequest, Reply

DeferredWork = Callable[[], Awaitable[Reply]]


@dataclass
class CommandCall:
    """One invocation of a sub-command: the request, its arguments, and deferred work."""

    request: CommandRequest
    name: str
    args: list[str]
    services: Any
    deferred: list[DeferredWork] = field(default_factory=list)

    @property
    def user_id(self) -> str:
        """Who ran the command."""
        return self.request.user_id

    @property
    def channel_id(self) -> str:
        """Where the command was run."""
        return self.request.channel_id

    @property
    def team_id(self) -> str:
        """The team the command belongs to."""
        return self.request.team_id

    @property
    def rest(self) -> str:
        """The arguments as one string (for free text such as a run name)."""
        return " ".join(self.args)

    def later(self, work: DeferredWork) -> None:
        """Run ``work`` after the command is acknowledged; its reply reaches the person later."""
        self.deferred.append(work)


CommandHandler = Callable[[CommandCall], Awaitable[Reply]]


@dataclass(frozen=True)
class Route:
    """A sub-command: its name, usage and one-line summary."""

    name: str
    usage: str
    summary: str
    handler: CommandHandler
    group: str


class CommandRouter:
    """Maps the first word of ``/playbook …`` to a handler."""

    def __init__(self, trigger: str = "playbook") -> None:
        self.trigger = trigger
        self._routes: dict[str, Route] = {}

    def command(
        self, name: str, usage: str, summary: str, group: str = "Runs"
    ) -> Callable[[CommandHandler], CommandHandler]:
        """Register the decorated coroutine as the handler of ``name``."""

        def decorate(handler: CommandHandler) -> CommandHandler:
            if name in self._routes:
                raise ValueError(f"sub-command {name!r} is registered twice")
            self._routes[name] = Route(name, usage, summary, handler, group)
            return handler

        return decorate

    @property
    def routes(self) -> list[Route]:
        """Every registered route, in registration order."""
        return list(self._routes.values())

    def parse(self, request: CommandRequest, services: Any) -> CommandCall | Reply:
        """Split the request into a sub-command call, or a friendly reply if it can't be parsed."""
        try:
            words = shlex.split(request.text.strip())
        except ValueError:
            return Reply(
                f"I couldn't read that command: a quotation mark is not closed. Try `/{self.trigger} help`."
            )
        if not words:
            return CommandCall(request, "help", [], services)
        name, args = words[0].lower(), words[1:]
        if name not in self._routes:
            return Reply(f"`{words[0]}` is not a `/{self.trigger}` command.\n\n{self.help_text()}")
        return CommandCall(request, name, args, services)

    async def dispatch(self, call: CommandCall) -> Reply:
        """Run the handler of a parsed call."""
        return await self._routes[call.name].handler(call)

    def help_text(self) -> str:
        """Markdown help listing every sub-command, grouped."""
        lines = [
            f"**/{self.trigger}** — run playbooks from chat. Numbers of checklists and items start at 1."
        ]
        groups: dict[str, list[Route]] = {}
        for route in self._routes.values():
            groups.setdefault(route.group, []).append(route)
        for group, routes in groups.items():
            lines.append(f"\n**{group}**")
            for route in routes:
                usage = f" {route.usage}" if route.usage else ""
                lines.append(f"- `/{self.trigger} {route.name}{usage}` — {route.summary}")
        return "\n".join(lines)
