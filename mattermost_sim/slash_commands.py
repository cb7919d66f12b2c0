"""Running custom slash commands: ``POST /api/v4/commands/execute`` and ``response_url`` hooks.

The simulated server builds the form Mattermost sends (``tryExecuteCustomCommand``),
calls the command's URL through :meth:`Integrations.send`, and applies the reply with
:func:`apply_command_response`. ``POST /hooks/commands/{hook_id}`` accepts delayed
replies for 30 minutes and at most five times, as Mattermost's command webhooks do.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from aiohttp import web

from .app import current_user, sim_of
from .command_responses import CommandResponse, CommandResponseError, Invocation, apply_command_response
from .errors import AppError, forbidden
from .ids import is_valid_id, new_id
from .integrations import IntegrationReply, Integrations, json_response, read_json_object
from .models import Channel, Command, CommandHook, Team, User
from .state import SimState

MAX_TRIGGER_IN_ERRORS = 512
# model.possibleAtMentions / model.ChannelMentions
_AT_MENTION = re.compile(r"\B@[A-Za-z0-9][A-Za-z0-9.\-_:]*")
_CHANNEL_MENTION = re.compile(r"\B~[A-Za-z0-9\-_]+")
_USERNAME_SPECIAL_CHARS = ".-_"


def _failed(trigger: str, detail: str) -> AppError:
    return AppError(
        500,
        "api.command.execute_command.failed.app_error",
        f"Command with a trigger of '{trigger}' failed.",
        detail,
    )


async def execute_command(request: web.Request) -> web.Response:
    """``POST /api/v4/commands/execute``: run a custom command as the session's user."""
    user = current_user(request)
    sim = sim_of(request)
    state = sim.state
    body = await read_json_object(request, "command_args")
    command_line = body.get("command")
    channel_id = body.get("channel_id")
    if (
        not isinstance(command_line, str)
        or len(command_line) <= 1
        or not command_line.startswith("/")
        or not isinstance(channel_id, str)
        or not is_valid_id(channel_id)
    ):
        raise AppError(400, "api.command.execute_command.start.app_error", "No command trigger found.")
    channel = state.channels.get(channel_id)
    if channel is None:
        if user.is_system_admin:
            state.get_channel(channel_id)
        raise forbidden("create_post")
    state.require_post_channel(user, channel)
    if channel.delete_at:
        raise AppError(
            400,
            "api.command.execute_command.deleted.error",
            "Cannot execute commands in an archived channel.",
        )
    team_id = channel.team_id
    if channel.type in ("D", "G"):
        # In a DM/GM the client names the team; the user must belong to it.
        requested = body.get("team_id")
        team_id = requested if isinstance(requested, str) else ""
        if not state.is_team_member(user, team_id) and not user.is_system_admin:
            raise forbidden("create_post")
    root_id = body.get("root_id")
    root_id = root_id if isinstance(root_id, str) else ""
    response = await run_command(sim.integrations, user, channel, team_id, command_line, root_id)
    return json_response(response.to_json())


def split_command(command_line: str) -> tuple[str, str]:
    """``("/Trigger", "the rest")``: split at the first whitespace character, text untouched."""
    for index, char in enumerate(command_line):
        if char.isspace():
            return command_line[:index], command_line[index + 1 :]
    return command_line, ""


async def run_command(
    integrations: Integrations,
    user: User,
    channel: Channel,
    team_id: str,
    command_line: str,
    root_id: str = "",
) -> CommandResponse:
    """Find the team's command, call its URL, post its reply; return the reply for the client."""
    state = integrations.sim.state
    head, text = split_command(command_line)
    trigger = head.lower().removeprefix("/")
    team = state.teams.get(team_id)
    if team is None:
        raise AppError(404, "app.team.get.find.app_error", "Unable to find the existing team.")
    command = state.command_by_trigger(team.id, trigger)
    if command is None:
        shown = trigger if len(trigger) <= MAX_TRIGGER_IN_ERRORS else trigger[:MAX_TRIGGER_IN_ERRORS] + "..."
        raise AppError(
            404,
            "api.command.execute_command.not_found.app_error",
            f"Command with a trigger of '{shown}' not found. To send a message beginning with \"/\", "
            "try adding an empty space at the beginning of the message.",
        )
    grant = state.issue_trigger(user)
    hook = CommandHook(
        id=new_id(),
        command_id=command.id,
        user_id=user.id,
        channel_id=channel.id,
        create_at=state.clock(),
        root_id=root_id,
    )
    state.hooks[hook.id] = hook
    form = command_form(state, command, team, channel, user, trigger, text, grant.id, root_id)
    form.append(("response_url", f"{integrations.sim.url}/hooks/commands/{hook.id}"))
    reply = await _call_command(integrations, command, form)
    response = _decode_reply(integrations, command, reply)
    response.trigger_id = grant.id
    apply_command_response(integrations, Invocation(command, user, channel, root_id), response)
    return response


def command_form(
    state: SimState,
    command: Command,
    team: Team,
    channel: Channel,
    user: User,
    trigger: str,
    text: str,
    trigger_id: str,
    root_id: str = "",
) -> list[tuple[str, str]]:
    """The §1.1 form fields (``root_id`` too, empty outside a thread), mention lists included when
    there are mentions."""
    form = [
        ("token", command.token),
        ("team_id", command.team_id),
        ("team_domain", team.name),
        ("channel_id", channel.id),
        ("channel_name", channel.name),
        ("user_id", user.id),
        ("user_name", user.username),
        ("command", "/" + trigger),
        ("text", text),
        ("trigger_id", trigger_id),
        ("root_id", root_id),
    ]
    for name, user_id in _user_mentions(state, text, team.id):
        form += [("user_mentions", name), ("user_mentions_ids", user_id)]
    for name, channel_id in _channel_mentions(state, text, team.id):
        form += [("channel_mentions", name), ("channel_mentions_ids", channel_id)]
    return form


def _user_mentions(state: SimState, text: str, team_id: str) -> list[tuple[str, str]]:
    """@-mentioned usernames of team members (trailing ``.-_`` trimmed when needed)."""
    found: dict[str, str] = {}
    for match in _AT_MENTION.findall(text):
        name = match[1:].lower()
        while name:
            mentioned = state.user_by_username(name)
            if mentioned is not None:
                if state.is_team_member(mentioned, team_id):
                    found.setdefault(name, mentioned.id)
                break
            if name[-1] not in _USERNAME_SPECIAL_CHARS:
                break
            name = name[:-1]
    return list(found.items())


def _channel_mentions(state: SimState, text: str, team_id: str) -> list[tuple[str, str]]:
    """~-mentioned public channels of the team."""
    found: dict[str, str] = {}
    for match in _CHANNEL_MENTION.findall(text):
        mentioned = state.channel_by_name(team_id, match[1:])
        if mentioned is not None and mentioned.type == "O":
            found.setdefault(mentioned.name, mentioned.id)
    return list(found.items())


async def _call_command(
    integrations: Integrations, command: Command, form: list[tuple[str, str]]
) -> IntegrationReply:
    """POST the form (or GET with it in the query) as ``DoCommandRequest`` does."""
    # url.Values.Encode sorts by key, keeping the order of repeated keys.
    encoded = urlencode(sorted(form, key=lambda pair: pair[0]))
    headers = {"Authorization": f"Token {command.token}"} if command.token else {}
    if command.method == "G":
        address, _, fragment = command.url.partition("#")
        path, _, query = address.partition("?")
        url = f"{path}?{query}&{encoded}" if query else f"{path}?{encoded}"
        if fragment:
            url += "#" + fragment
        return await integrations.send("command", "GET", url, payload=form, headers=headers)
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    return await integrations.send(
        "command", "POST", command.url, payload=form, body=encoded.encode(), headers=headers
    )


def _decode_reply(integrations: Integrations, command: Command, reply: IntegrationReply) -> CommandResponse:
    """The integration's reply as a response, or the 500 Mattermost answers (recorded)."""
    if reply.error:
        raise integrations.record_failure("command", command.url, _failed(command.trigger, reply.error))
    if reply.status != 200:
        error = AppError(
            500,
            "api.command.execute_command.failed_resp.app_error",
            f"Command with a trigger of '{command.trigger}' returned response {reply.status_line}.",
            reply.body.decode("utf-8", errors="replace"),
        )
        raise integrations.record_failure("command", command.url, error)
    try:
        return CommandResponse.from_http_body(reply.content_type, reply.body)
    except CommandResponseError as problem:
        raise integrations.record_failure(
            "command", command.url, _failed(command.trigger, str(problem))
        ) from None


async def command_webhook(request: web.Request) -> web.Response:
    """``POST /hooks/commands/{hook_id}``: a delayed reply through a ``response_url``."""
    sim = sim_of(request)
    integrations = sim.integrations
    state = sim.state
    hook_id = request.match_info["hook_id"]
    try:
        response = CommandResponse.from_http_body(
            request.headers.get("Content-Type", ""), await request.read()
        )
    except CommandResponseError as problem:
        raise AppError(
            400, "web.command_webhook.parse.app_error", "Unable to parse incoming data.", str(problem)
        ) from None
    try:
        hook = _usable_hook(integrations, hook_id)
    except AppError as error:
        # commandWebhook wraps whatever HandleCommandWebhook refused, keeping its status.
        raise AppError(
            error.status,
            "web.command_webhook.general.app_error",
            f"Failed to handle command webhook {hook_id}.",
            f"{error.error_id}: {error.detailed_error}",
        ) from None
    hook.uses += 1
    command = state.commands[hook.command_id]
    user = state.get_user(hook.user_id)
    channel = state.get_channel(hook.channel_id)
    apply_command_response(integrations, Invocation(command, user, channel, hook.root_id), response)
    return web.Response(body=b"ok", content_type="text/plain")  # exactly, no charset


def _usable_hook(integrations: Integrations, hook_id: str) -> CommandHook:
    """A live hook with uses left (``HandleCommandWebhook``'s checks), or its AppError."""
    state = integrations.sim.state
    hook = state.hooks.get(hook_id)
    lifetime_ms = integrations.response_url_lifetime * 1000
    if hook is None or state.clock() - hook.create_at > lifetime_ms:
        raise AppError(
            404, "app.command_webhook.get.missing", "Unable to find the webhook.", f"hook_id={hook_id}"
        )
    command = state.commands.get(hook.command_id)
    if command is None or command.delete_at:
        raise AppError(
            400, "web.command_webhook.command.app_error", "Couldn't find the command.", f"hook_id={hook_id}"
        )
    if hook.uses >= integrations.response_url_max_uses:
        raise AppError(400, "app.command_webhook.try_use.invalid", "Invalid webhook.", f"hook_id={hook_id}")
    return hook


def register(app: web.Application) -> None:
    """Add the command execution and ``response_url`` routes."""
    app.router.add_post("/api/v4/commands/execute", execute_command)
    app.router.add_post("/hooks/commands/{hook_id:[A-Za-z0-9]+}", command_webhook)
