"""Keyword triggers: watch messages for playbook keywords, prompt once per thread, and the
prompt's buttons (*Run <playbook>* opens the start form prefilled; *Ignore this thread*)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from bot.mattermost.errors import MattermostError
from bot.render.dialogs import start_run_dialog
from bot.render.keywords import IGNORE_THREAD_ACTION, RUN_FROM_PROMPT_ACTION, ignored_prompt
from bot.render.runs import truncate
from bot.services.context import Services
from bot.services.keywords import KeywordIndex, ignore_thread, prompt_for_keywords
from storage.repositories.listening import ListeningRepository
from storage.repositories.playbooks import PlaybookRepository

from .callbacks import ActionRequest, ActionResult
from .events import event_data, event_post
from .http import STALE_BUTTON
from .registry import Routers
from .run_start import default_run_name, runnable_playbooks, start_dialog_state

log = logging.getLogger(__name__)

TEAM_CHANNEL_TYPES = ("O", "P")
PLAYBOOK_GONE = "That playbook no longer exists, so it can't be run."
NOT_RUNNABLE = "You may not run the playbook “{title}”."
NO_FORM = "I couldn't open the form to start a run. Please try again."


class KeywordListener:
    """Watches ``posted`` events for keywords, with its own index of the playbooks' keywords."""

    def __init__(self) -> None:
        self.index = KeywordIndex()

    async def on_posted(self, event: Mapping[str, Any], services: Services) -> None:
        """A message in a team channel: prompt if it contains keywords (see
        :func:`~bot.services.keywords.prompt_for_keywords`). The bot's own posts, other bots',
        system messages and direct or group messages are left alone."""
        post, data = event_post(event), event_data(event)
        if post is None or post.type.startswith("system_") or post.is_deleted:
            return
        team_id = data.get("team_id")
        if data.get("channel_type") not in TEAM_CHANNEL_TYPES or team_id not in services.team_ids:
            return
        if post.user_id == services.bot.id or str(post.props.get("from_bot", "")).lower() == "true":
            return
        channel_name = data.get("channel_name")
        if not isinstance(channel_name, str) or not channel_name:
            channel_name = (await services.gateway.channel(post.channel_id)).name
        await prompt_for_keywords(services, self.index, post, team_id=str(team_id), channel_name=channel_name)


def register(routers: Routers) -> None:
    """Watch messages for keywords; add the prompt's buttons."""
    routers.events.on("posted")(KeywordListener().on_posted)
    routers.actions.action(RUN_FROM_PROMPT_ACTION)(run_from_prompt)
    routers.actions.action(IGNORE_THREAD_ACTION)(ignore_from_prompt)


def _thread(payload: Mapping[str, Any]) -> tuple[str, str] | None:
    channel_id, root_id = payload.get("c"), payload.get("r")
    if isinstance(channel_id, str) and isinstance(root_id, str) and channel_id and root_id:
        return channel_id, root_id
    return None


async def run_from_prompt(
    click: ActionRequest, payload: Mapping[str, Any], services: Services
) -> ActionResult:
    """*Run <playbook>*: open the start form with that playbook and the message as the summary;
    submitting it starts the run through the usual start flow."""
    thread, playbook_id = _thread(payload), payload.get("p")
    if thread is None or not isinstance(playbook_id, str):
        return ActionResult(ephemeral_text=STALE_BUTTON)
    async with services.transaction() as session:
        playbook = await PlaybookRepository(session).get(playbook_id)
        prompt = await ListeningRepository(session).prompt(*thread)
    if playbook is None:
        return ActionResult(ephemeral_text=PLAYBOOK_GONE)
    playbooks = await runnable_playbooks(services, click.user_id, playbook.team_id)
    if playbook.id not in {p.id for p in playbooks}:
        return ActionResult(ephemeral_text=NOT_RUNNABLE.format(title=truncate(playbook.title, 100)))
    state = start_dialog_state(services, playbook.id, playbook.team_id)
    summary = prompt.summary if prompt is not None else ""
    dialog = start_run_dialog(playbooks, playbook.id, default_run_name(playbook), summary, state)
    try:
        await services.gateway.open_dialog(click.trigger_id, services.dialog_url, dialog)
    except MattermostError as error:
        log.warning("could not open the start form from a keyword prompt: %s", error)
        return ActionResult(ephemeral_text=NO_FORM)
    return ActionResult()


async def ignore_from_prompt(
    click: ActionRequest, payload: Mapping[str, Any], services: Services
) -> ActionResult:
    """*Ignore this thread*: no more prompts in it (kept across restarts); the prompt says so."""
    thread = _thread(payload)
    if thread is None:
        return ActionResult(ephemeral_text=STALE_BUTTON)
    await ignore_thread(services, *thread, click.user_id)
    username = click.user_name or (await services.people.usernames([click.user_id])).get(click.user_id, "")
    return ActionResult(update=ignored_prompt(username))
