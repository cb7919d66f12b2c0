"""Keyword triggers: the prompt's buttons (*Run <playbook>* opens the start form prefilled; *Ignore
this thread*). Watching messages for keywords is in :mod:`handlers.listening`."""

from __future__ import annotations

from bot.callback_data import IgnoreThread, RunFromPrompt
from bot.render.dialogs import start_run_dialog
from bot.render.keywords import ignored_prompt
from bot.services.context import Services
from bot.services.keywords import ignore_thread, start_from_prompt
from bot.services.run_start import default_run_name

from .callbacks import ActionRequest, ActionResult
from .forms import open_dialog
from .registry import Routers
from .run_start import start_dialog_state

NO_FORM = "I couldn't open the form to start a run. Please try again."


def register(routers: Routers) -> None:
    """Add the keyword prompt's buttons."""
    routers.actions.action(RunFromPrompt)(run_from_prompt)
    routers.actions.action(IgnoreThread)(ignore_from_prompt)


async def run_from_prompt(click: ActionRequest, data: RunFromPrompt, services: Services) -> ActionResult:
    """*Run <playbook>*: open the start form with that playbook and the message as the summary;
    submitting it starts the run through the usual start flow."""
    start = await start_from_prompt(services, data.channel_id, data.root_id, data.playbook_id, click.user_id)
    playbook = start.playbook
    state = start_dialog_state(services, playbook.id, playbook.team_id)
    dialog = start_run_dialog(start.runnable, playbook.id, default_run_name(playbook), start.summary, state)
    if not await open_dialog(services, click.trigger_id, dialog, what="keyword prompt's start"):
        return ActionResult(ephemeral_text=NO_FORM)
    return ActionResult()


async def ignore_from_prompt(click: ActionRequest, data: IgnoreThread, services: Services) -> ActionResult:
    """*Ignore this thread*: no more prompts in it (kept across restarts); the prompt says so."""
    await ignore_thread(services, data.channel_id, data.root_id, click.user_id)
    username = click.user_name or (await services.people.usernames([click.user_id])).get(click.user_id, "")
    return ActionResult(update=ignored_prompt(username))
