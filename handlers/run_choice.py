"""The answer to "which run?": a click on one run's button carries the command out for that run.

A command in a channel holding several runs, without the run's number, is answered with a
button per run (:func:`~bot.render.run_replies.run_chooser`). The click runs the same command
through the command router as if the person had named the run, so every rule of the command
applies unchanged; its answers go back through the command's ``response_url``, so a reply with
buttons (the finish question) keeps them.
"""

from __future__ import annotations

from bot.callback_data import ChooseRun
from bot.mattermost.errors import MattermostError
from bot.services.context import Services

from .callbacks import ActionRequest, ActionResult
from .registry import Routers
from .replies import CommandRequest, Reply


def register(routers: Routers) -> None:
    """The run buttons of the "which run?" question."""
    commands = routers.commands

    async def on_choose(click: ActionRequest, data: ChooseRun, services: Services) -> ActionResult:
        """Carry ``data.command`` out for ``data.run_id``, as the clicker."""
        request = CommandRequest(
            token="",
            team_id=click.team_id,
            team_domain="",
            channel_id=click.channel_id,
            channel_name="",
            user_id=click.user_id,
            user_name=click.user_name,
            command=f"/{commands.trigger}",
            text=data.command,
            trigger_id=click.trigger_id,
            response_url=data.response_url,
        )
        call = commands.parse(request, services)
        if isinstance(call, Reply):
            return ActionResult(ephemeral_text=call.text)
        call.chosen_run_id = data.run_id
        replies = [await commands.dispatch(call)]
        replies += [await work() for work in call.deferred]
        unsent = [reply for reply in replies if reply.text or reply.attachments]
        try:
            for reply in unsent:
                await services.gateway.respond_to_command(data.response_url, reply.to_command_response())
        except (ValueError, MattermostError):
            # The command's hook expired (30 minutes, 5 answers): the text alone, as the click's note.
            return ActionResult(ephemeral_text="\n\n".join(_as_text(reply) for reply in unsent))
        return ActionResult()

    routers.actions.action(ChooseRun)(on_choose)


def _as_text(reply: Reply) -> str:
    return "\n".join([reply.text, *(str(a.get("text", "")) for a in reply.attachments)]).strip()
