"""A small router for ``/playbook`` sub-commands, with help generated from the routes.

The router is also the middleware of every sub-command: a route may declare what the person must
be allowed to do with the run of the channel (``needs=RunAction.CHANGE``), and the router loads
the run and checks that before the handler runs (the handler finds it as ``call.run``); usage
mistakes (:class:`UsageError`) and domain refusals become the reply here, once.
"""

from __future__ import annotations

import difflib
import re
import shlex
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace

from bot.domain.errors import DomainError
from bot.domain.run import Run
from bot.render.run_replies import NOT_IN_RUN_CHANNEL, for_run, run_chooser
from bot.services.context import Services
from bot.services.run_access import RunAction, RunNotVisibleError, choose_channel_run, chosen_channel_run

from .replies import CommandRequest, Reply

DeferredWork = Callable[[], Awaitable[Reply]]

RUN_NUMBER = re.compile(r"#(\d{1,9})")
"""``#42``: the run a command means, in a channel holding several."""


@dataclass
class CommandCall:
    """One invocation of a sub-command: the request, its arguments, and deferred work."""

    request: CommandRequest
    name: str
    args: list[str]
    services: Services
    deferred: list[DeferredWork] = field(default_factory=list)
    loaded_run: Run | None = None
    run_number: int | None = None
    """The run's number the person gave (``#42``), if any."""
    chosen_run_id: str = ""
    """The run the person chose with a button of :func:`~bot.render.run_replies.run_chooser`."""

    @property
    def run(self) -> Run:
        """The channel's run, loaded and checked by the router (routes with ``needs`` only)."""
        if self.loaded_run is None:
            raise RuntimeError(f"/{self.name} declares no `needs`, so no run was loaded")
        return self.loaded_run

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

    def text_after(self, count: int) -> str:
        """The command's text after its name and first ``count`` arguments, exactly as typed:
        free text keeps its quotation marks and apostrophes (``Call "the vendor"``)."""
        parts = self.request.text.strip().split(None, count + 1)
        return parts[count + 1].strip() if len(parts) > count + 1 else ""

    def later(self, work: DeferredWork) -> None:
        """Run ``work`` after the command is acknowledged; its reply reaches the person later."""
        self.deferred.append(work)

    def usage(self, usage: str, example: str) -> str:
        """How to use this sub-command, with an example."""
        trigger = self.services.command_trigger
        return f"Usage: `/{trigger} {self.name} {usage}` — e.g. `/{trigger} {self.name} {example}`"


class UsageError(DomainError):
    """The command's arguments don't fit; ``message`` shows how to use it."""


def numbers(call: CommandCall, words: list[str], usage: str, example: str) -> list[int]:
    """``words`` as numbers (checklists, tasks, positions), or a :class:`UsageError` naming the word
    that is not one."""
    found = []
    for word in words:
        if not word.isdecimal() or len(word) > 6:
            raise UsageError(f"“{word[:40]}” is not a number. {call.usage(usage, example)}")
        found.append(int(word))
    return found


CommandHandler = Callable[[CommandCall], Awaitable[Reply]]


@dataclass(frozen=True)
class Route:
    """A sub-command: its name, usage and one-line summary."""

    name: str
    usage: str
    summary: str
    handler: CommandHandler
    group: str
    needs: RunAction | None = None
    free_text: bool = False
    run_unless_args: bool = False


class CommandRouter:
    """Maps the first word of ``/playbook …`` to a handler."""

    def __init__(self, trigger: str = "playbook") -> None:
        self.trigger = trigger
        self._routes: dict[str, Route] = {}

    def command(
        self,
        name: str,
        usage: str,
        summary: str,
        group: str = "Runs",
        *,
        needs: RunAction | None = None,
        free_text: bool = False,
        run_unless_args: bool = False,
    ) -> Callable[[CommandHandler], CommandHandler]:
        """Register the decorated coroutine as the handler of ``name``; with ``needs``, it runs
        only in a run's channel, for people who may do that to the run. A ``free_text`` command
        reads its text as typed (:meth:`CommandCall.text_after`), so a lone apostrophe or quotation
        mark in it is no error. With ``run_unless_args``, arguments make the command about
        something else than the channel's run (``restore NAME`` restores a playbook), so ``needs``
        applies only to the call without them."""

        def decorate(handler: CommandHandler) -> CommandHandler:
            if name in self._routes:
                raise ValueError(f"sub-command {name!r} is registered twice")
            route = Route(name, usage, summary, handler, group, needs, free_text, run_unless_args)
            self._routes[name] = route
            return handler

        return decorate

    @property
    def routes(self) -> list[Route]:
        """Every registered route, in registration order."""
        return list(self._routes.values())

    def parse(self, request: CommandRequest, services: Services) -> CommandCall | Reply:
        """Split the request into a sub-command call, or a friendly reply if it can't be parsed."""
        try:
            words = shlex.split(request.text.strip())
        except ValueError:
            words = request.text.split()
            route = self._routes.get(words[0].lower()) if words else None
            if route is None or not route.free_text:
                return Reply(
                    "I couldn't read that command: a quotation mark is not closed. "
                    f"Put quotes in pairs, or try `/{self.trigger} help`."
                )
        if not words:
            return CommandCall(request, "help", [], services)
        name, args = words[0].lower(), words[1:]
        if name not in self._routes:
            return Reply(self.unknown_text(words[0]))
        number = RUN_NUMBER.fullmatch(args[0]) if args and self._routes[name].needs is not None else None
        if number is not None:
            return CommandCall(request, name, args[1:], services, run_number=int(number.group(1)))
        return CommandCall(request, name, args, services)

    def unknown_text(self, word: str) -> str:
        """What to say about a sub-command that does not exist: the closest one, if any is close."""
        shown = word[:40].replace("`", "")
        text = f"`{shown}` is not a `/{self.trigger}` command."
        close = difflib.get_close_matches(word.lower(), self._routes, n=1, cutoff=0.6)
        if close:
            route = self._routes[close[0]]
            usage = f" {route.usage}" if route.usage else ""
            text += f" Did you mean `/{self.trigger} {route.name}{usage}` ({route.summary})?"
        return f"{text} `/{self.trigger} help` lists every command."

    async def dispatch(self, call: CommandCall) -> Reply:
        """Run the handler of a parsed call, loading and checking the channel's run if it needs one."""
        route = self._routes[call.name]
        try:
            if route.needs is None or (route.run_unless_args and call.args):
                return await route.handler(call)
            if call.chosen_run_id:
                call.loaded_run = await chosen_channel_run(
                    call.services, call.chosen_run_id, call.channel_id, call.user_id, route.needs
                )
            else:
                found = await choose_channel_run(
                    call.services, call.channel_id, call.user_id, route.needs, call.run_number
                )
                if isinstance(found, list):
                    return self._which_run(call, found)
                call.loaded_run = found
            reply = await route.handler(call)
            if call.run_number is None and not call.chosen_run_id:
                return reply
            # The channel holds several runs: the answer says which one it is about.
            return replace(reply, text=for_run(call.loaded_run, reply.text))
        except RunNotVisibleError:
            # Nobody learns that a hidden run exists: to them this is not a run's channel.
            return Reply(NOT_IN_RUN_CHANNEL)
        except DomainError as error:
            return Reply(error.message)

    def _which_run(self, call: CommandCall, runs: list[Run]) -> Reply:
        """Ask which run the command means, with a button per run."""
        services = call.services
        attachments = run_chooser(
            runs, call.request.text, call.request.response_url, services.signer, services.action_url
        )
        return Reply(attachments=attachments)

    def help_text(self) -> str:
        """Markdown help listing every sub-command, grouped."""
        lines = [
            f"**/{self.trigger}** — run playbooks from chat. Numbers of checklists and items start at 1; "
            "in a channel with several runs, name the run after the command (`check #2 1 1`)."
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
