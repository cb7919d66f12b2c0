"""The HTTP endpoints Mattermost calls: slash commands, button clicks, dialog submissions.

Every request is verified (command token or signed context), answered fast, and any
slow work continues in the background, its result reaching the person through the
command's ``response_url``. Each call is timed (``playbooks_callback_seconds``) and logs
with its kind, user and run bound to the log context.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.callback_codec import ACTION_KEY
from bot.logging_setup import bind_log_context, log_context
from bot.render.buttons import NONCE_KEY
from bot.security import ContextSigner, ExpiredContext, ForgedContext, constant_time_equals
from bot.services.context import Services
from bot.services.idempotency import claim_once, release

from .callbacks import (
    NOT_MY_FORM,
    STALE_BUTTON,
    ActionRequest,
    ActionResult,
    ActionRouter,
    DialogRequest,
    DialogResult,
    DialogRouter,
)
from .replies import CommandRequest, MalformedRequestError, Reply
from .slash import CommandCall, CommandRouter

if TYPE_CHECKING:
    from bot.observability import CallbackKind, Metrics

log = logging.getLogger(__name__)

# Slash-command forms, clicks and submissions are small; refuse anything larger early.
MAX_BODY_BYTES = 256 * 1024
COMMAND_PATH = "/mattermost/command"
ACTION_PATH = "/mattermost/action"
DIALOG_PATH = "/mattermost/dialog"

ResponseUrlPoster = Callable[[str, Reply, str], Awaitable[None]]
"""Sends a deferred reply: ``(response_url, reply, user_id)``."""

SOMETHING_WENT_WRONG = "Sorry, something went wrong on my side; nothing was changed. Please try again."
TOO_LARGE = f"The request is too large: the limit is {MAX_BODY_BYTES // 1024} KiB."


class RequestTooLargeError(MalformedRequestError):
    """A request body over :data:`MAX_BODY_BYTES`."""

    def __init__(self) -> None:
        super().__init__(TOO_LARGE)


@web.middleware
async def limit_body_size(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Refuse, on every route, a request that announces a body over :data:`MAX_BODY_BYTES` (413)
    before anything reads it; bodies of unannounced length are bounded where they are read."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        return web.json_response({"error": TOO_LARGE}, status=413)
    return await handler(request)


@dataclass
class CommandTokens:
    """The ``/playbook`` command token of each team, checked in constant time.

    ``not_connected`` holds the configured teams whose command token the bot could not get (see
    :mod:`bot.command_setup`): a command from one of them is answered with ``not_connected_text``
    and nothing else, since without the token the request cannot be told from a forgery.
    """

    by_team: dict[str, str] = field(default_factory=dict)
    not_connected: set[str] = field(default_factory=set)
    not_connected_text: str = ""

    def verify(self, team_id: str, token: str) -> bool:
        """Whether ``token`` is the command token registered for ``team_id``."""
        expected = self.by_team.get(team_id)
        return expected is not None and constant_time_equals(expected, token)


@dataclass
class BackgroundWork:
    """Tracks work that continues after a request was answered, so shutdown can wait for it."""

    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def spawn(self, work: Awaitable[None], name: str) -> None:
        """Run ``work`` in the background, logging (never raising) its failure."""

        async def guarded() -> None:
            try:
                await work
            except Exception:
                log.exception("background work %s failed", name)

        task = asyncio.create_task(guarded(), name=name)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def drain(self, grace: float = 10.0) -> None:
        """Wait for running work to finish (up to ``grace`` seconds), then cancel the rest."""
        if not self.tasks:
            return
        _, pending = await asyncio.wait(set(self.tasks), timeout=grace)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)


@dataclass
class CallbackServer:
    """Verifies and dispatches Mattermost's calls to the bot."""

    tokens: CommandTokens
    signer: ContextSigner
    commands: CommandRouter
    actions: ActionRouter
    dialogs: DialogRouter
    services: Services
    respond_later: ResponseUrlPoster
    background: BackgroundWork = field(default_factory=BackgroundWork)
    metrics: Metrics | None = None

    def register(self, app: web.Application) -> None:
        """Add the callback routes to ``app``."""
        app.router.add_post(COMMAND_PATH, self.handle_command)
        app.router.add_post(ACTION_PATH, self.handle_action)
        app.router.add_post(DIALOG_PATH, self.handle_dialog)

    @contextmanager
    def _observed(self, kind: CallbackKind) -> Iterator[None]:
        """Time the callback and bind its kind to the log context for its duration."""
        with log_context(kind=kind):
            if self.metrics is None:
                yield
            else:
                with self.metrics.time_callback(kind):
                    yield

    async def handle_command(self, request: web.Request) -> web.Response:
        """A slash command: verify its token, run the sub-command, answer at once."""
        with self._observed("command"):
            return await self._command(request)

    async def handle_action(self, request: web.Request) -> web.Response:
        """A button click: verify its signed context, apply it, answer with the updated post."""
        with self._observed("action"):
            return await self._action(request)

    async def handle_dialog(self, request: web.Request) -> web.Response:
        """A dialog submission: verify its signed state, apply it, answer errors or close."""
        with self._observed("dialog"):
            return await self._dialog(request)

    async def _command(self, request: web.Request) -> web.Response:
        try:
            body = await _read_body(request)
            command = CommandRequest.from_body(body)
        except MalformedRequestError as error:
            return _refusal(error)
        bind_log_context(user_id=command.user_id, team_id=command.team_id, channel_id=command.channel_id)
        if not self.tokens.verify(command.team_id, command.token):
            if command.team_id in self.tokens.not_connected:
                reply = Reply(self.tokens.not_connected_text)
                return web.json_response(reply.to_command_response())
            log.warning("refused a slash command with a wrong token for team %s", command.team_id)
            return web.json_response({"error": "invalid command token"}, status=401)
        parsed = self.commands.parse(command, self.services)
        if isinstance(parsed, Reply):
            return web.json_response(parsed.to_command_response())
        try:
            reply = await self.commands.dispatch(parsed)
        except Exception:
            log.exception("/%s %s failed", self.commands.trigger, parsed.name)
            reply = Reply(SOMETHING_WENT_WRONG)
        self._continue_later(parsed)
        return web.json_response(reply.to_command_response())

    def _continue_later(self, call: CommandCall) -> None:
        response_url, user_id = call.request.response_url, call.request.user_id
        for work in call.deferred:

            async def run(work: Callable[[], Awaitable[Reply]] = work) -> None:
                try:
                    reply = await work()
                except Exception:
                    log.exception("deferred work of /%s %s failed", self.commands.trigger, call.name)
                    reply = Reply(SOMETHING_WENT_WRONG)
                if reply.text or reply.attachments:  # no usable response_url: a DM instead
                    await self.respond_later(response_url, reply, user_id)

            self.background.spawn(run(), name=f"command-{call.name}")

    async def _action(self, request: web.Request) -> web.Response:
        try:
            click = ActionRequest.from_json(_parse_json(await _read_body(request)))
        except MalformedRequestError as error:
            return _refusal(error)
        bind_log_context(user_id=click.user_id, channel_id=click.channel_id)
        try:
            payload = self.signer.verify(click.context)
        except (ForgedContext, ExpiredContext):
            log.warning("refused a click with a forged or expired context from %s", click.user_id)
            return web.json_response(ActionResult(ephemeral_text=STALE_BUTTON).to_json())
        bind_log_context(run_id=str(payload.get("r", "")), action=str(payload.get(ACTION_KEY, "")))
        try:
            result = await self.actions.dispatch(click, payload, self.services)
        except Exception:
            log.exception("click %s failed", payload.get(ACTION_KEY))
            result = ActionResult(ephemeral_text=SOMETHING_WENT_WRONG)
        return web.json_response(result.to_json())

    async def _dialog(self, request: web.Request) -> web.Response:
        try:
            submission = DialogRequest.from_json(_parse_json(await _read_body(request)))
        except MalformedRequestError as error:
            return _refusal(error)
        bind_log_context(user_id=submission.user_id, channel_id=submission.channel_id)
        if submission.cancelled:
            return web.json_response({})
        try:
            state = self.signer.verify(_parse_state(submission.state))
        except (ForgedContext, ExpiredContext):
            return web.json_response({"error": "This form has expired. Please open it again."})
        bind_log_context(run_id=str(state.get("r", "")), dialog=submission.callback_id)
        if submission.callback_id not in self.dialogs.names:
            return web.json_response(DialogResult(error=NOT_MY_FORM).to_json())
        # One opened dialog is one request: a double or retried submission is carried out once.
        # The claim is given back when the form is refused, so the person can correct it.
        nonce = state.get(NONCE_KEY)
        claim = f"dialog:{nonce}" if isinstance(nonce, str) else None
        if claim is not None and not await claim_once(self.services, claim):
            log.info("ignored a repeated submission of dialog %s", submission.callback_id)
            return web.json_response({})
        try:
            result = await self.dialogs.dispatch(submission, state, self.services)
        except Exception:
            log.exception("dialog %s failed", submission.callback_id)
            result = DialogResult(error=SOMETHING_WENT_WRONG)
        if claim is not None and (result.errors or result.error):
            await release(self.services, claim)
        return web.json_response(result.to_json())


def _refusal(error: MalformedRequestError) -> web.Response:
    status = 413 if isinstance(error, RequestTooLargeError) else 400
    return web.json_response({"error": str(error)}, status=status)


async def _read_body(request: web.Request) -> str:
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise RequestTooLargeError()
    # read(n) returns what has arrived so far, at most n bytes: collect until the end or the limit.
    raw = bytearray()
    while chunk := await request.content.read(MAX_BODY_BYTES + 1 - len(raw)):
        raw += chunk
        if len(raw) > MAX_BODY_BYTES:
            raise RequestTooLargeError()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise MalformedRequestError("the request is not UTF-8") from error


def _parse_json(body: str) -> Any:
    try:
        return json.loads(body)
    except json.JSONDecodeError as error:
        raise MalformedRequestError("the request is not valid JSON") from error


def _parse_state(state: str) -> Mapping[str, Any]:
    try:
        value = json.loads(state) if state else {}
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}
