"""REST routes: custom slash command management (``/api/v4/commands``).

Rules follow ``api4/command.go`` and ``model.Command.IsValid``, with Mattermost's default roles:
``manage_own_slash_commands`` and ``manage_others_slash_commands`` belong to team admins (and
system admins), so people without them get 403 (creating, listing custom commands) or 404
(reading, changing one: Mattermost hides their existence). Listing with ``custom_only=false``
shows the built-in commands too, and to people without the permission only commands with
autocomplete on.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from ..app import current_user, sim_of
from ..builtin_commands import BUILT_IN_COMMANDS, BUILT_IN_TRIGGERS, built_in_commands_json
from ..errors import AppError, forbidden, invalid_param, invalid_url_param
from ..ids import is_valid_id, new_id
from ..models import Command, User
from ..permissions import team_grants
from ..state import SimState

TRIGGER_MIN_LENGTH = 1
TRIGGER_MAX_LENGTH = 128
URL_MAX_LENGTH = 1024
DISPLAY_NAME_MAX_LENGTH = 64
DESCRIPTION_MAX_LENGTH = 128
_STRING_FIELDS = (
    "team_id", "trigger", "method", "url", "display_name", "description", "username", "icon_url",
    "auto_complete_desc", "auto_complete_hint", "creator_id", "id",
)  # fmt: skip


def _json(body: Any, status: int = 200) -> web.Response:
    return web.Response(status=status, body=json.dumps(body).encode(), content_type="application/json")


def _command_not_found() -> AppError:
    return AppError(404, "store.sql_command.save.get.app_error", "Unable to get the command.")


def _invalid(field: str) -> AppError:
    return AppError(400, f"model.command.is_valid.{field}.app_error", f"Invalid {field.replace('_', ' ')}.")


async def _command_body(request: web.Request) -> dict[str, Any]:
    """The request's ``Command`` JSON, with Go's decoding rules (400 ``command`` otherwise)."""
    try:
        body = json.loads(await request.read() or b"null")
    except (ValueError, UnicodeDecodeError):
        raise invalid_param("command") from None
    if not isinstance(body, dict):
        raise invalid_param("command")
    for name in _STRING_FIELDS:
        if body.get(name) is not None and not isinstance(body[name], str):
            raise invalid_param("command")
    if body.get("auto_complete") is not None and not isinstance(body["auto_complete"], bool):
        raise invalid_param("command")
    return body


def _may_manage_team_commands(state: SimState, user: User, team_id: str) -> bool:
    """``manage_own_slash_commands`` on the team."""
    return team_grants(state, user, team_id, "manage_own_slash_commands")


def _may_manage_others(state: SimState, user: User, team_id: str) -> bool:
    """``manage_others_slash_commands`` on the team."""
    return team_grants(state, user, team_id, "manage_others_slash_commands")


def _may_manage(state: SimState, user: User, command: Command) -> bool:
    """Whether ``user`` may see and change ``command`` (own, or anyone's with the others permission)."""
    return _may_manage_team_commands(state, user, command.team_id) and (
        command.creator_id == user.id or _may_manage_others(state, user, command.team_id)
    )


def _validate(state: SimState, command: Command) -> None:
    """Trigger uniqueness, then ``Command.IsValid`` — in Mattermost's order."""
    if command.trigger in BUILT_IN_TRIGGERS or any(
        other.trigger == command.trigger and other.id != command.id and not other.delete_at
        for other in state.commands.values()
        if other.team_id == command.team_id
    ):
        raise AppError(
            400,
            "api.command.duplicate_trigger.app_error",
            "This trigger word is already in use. Please choose another word.",
        )
    if not is_valid_id(command.team_id):
        raise _invalid("team_id")
    trigger = command.trigger
    if (
        not TRIGGER_MIN_LENGTH <= len(trigger) <= TRIGGER_MAX_LENGTH
        or trigger.startswith("/")
        or " " in trigger
    ):
        raise _invalid("trigger")
    if not command.url or len(command.url) > URL_MAX_LENGTH:
        raise _invalid("url")
    parts = urlsplit(command.url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise _invalid("url_http")
    if command.method not in ("P", "G"):
        raise _invalid("method")
    if len(command.display_name) > DISPLAY_NAME_MAX_LENGTH:
        raise _invalid("display_name")
    if len(command.description) > DESCRIPTION_MAX_LENGTH:
        raise _invalid("description")


def _apply_fields(command: Command, body: dict[str, Any]) -> None:
    """Copy the writable fields of a ``Command`` body (absent ones become empty, as in Go)."""
    command.trigger = str(body.get("trigger") or "").lower()
    command.method = str(body.get("method") or "")
    command.url = str(body.get("url") or "")
    command.display_name = str(body.get("display_name") or "")
    command.description = str(body.get("description") or "")
    command.username = str(body.get("username") or "")
    command.icon_url = str(body.get("icon_url") or "")
    command.auto_complete = bool(body.get("auto_complete"))
    command.auto_complete_desc = str(body.get("auto_complete_desc") or "")
    command.auto_complete_hint = str(body.get("auto_complete_hint") or "")


def _sanitized(command: Command) -> dict[str, Any]:
    """``Command.Sanitize``: what callers see of commands listed with the built-in ones."""
    body = command.to_json()
    body.update(token="", creator_id="", method="", url="", username="", icon_url="")
    return body


async def create_command(request: web.Request) -> web.Response:
    """``POST /api/v4/commands``: register a custom slash command (201)."""
    user = current_user(request)
    state = sim_of(request).state
    body = await _command_body(request)
    team_id = str(body.get("team_id") or "")
    if not _may_manage_team_commands(state, user, team_id):
        raise forbidden("manage_own_slash_commands")
    creator_id = str(body.get("creator_id") or "") or user.id
    if creator_id != user.id:
        if not _may_manage_others(state, user, team_id):
            raise forbidden("manage_others_slash_commands")
        state.get_user(creator_id)
    now = state.clock()
    command = Command(
        id=new_id(),
        token=new_id(),
        team_id=team_id,
        trigger="",
        method="",
        url="",
        creator_id=creator_id,
        create_at=now,
        update_at=now,
    )
    _apply_fields(command, body)
    _validate(state, command)
    state.commands[command.id] = command
    return _json(command.to_json(), status=201)


async def list_commands(request: web.Request) -> web.Response:
    """``GET /api/v4/commands?team_id=&custom_only=``: the team's commands the caller may see.

    ``custom_only=true`` (``manage_own_slash_commands``): the custom commands the caller manages,
    whole (token included). Otherwise the built-in commands and the custom ones, sanitized: those
    the caller manages, or for people without the permission those with autocomplete on.
    """
    user = current_user(request)
    state = sim_of(request).state
    team_id = request.query.get("team_id", "")
    if not team_id:
        raise invalid_param("team_id")
    if not team_grants(state, user, team_id, "view_team"):
        raise forbidden("view_team")
    custom_only = request.query.get("custom_only", "").lower() in ("1", "t", "true")
    manages = _may_manage_team_commands(state, user, team_id)
    if custom_only and not manages:
        raise forbidden("manage_own_slash_commands")
    team_commands = sorted(
        (c for c in state.commands.values() if c.team_id == team_id and not c.delete_at),
        key=lambda c: (c.create_at, c.id),
    )
    if custom_only:
        return _json([c.to_json() for c in team_commands if _may_manage(state, user, c)])
    visible = [c for c in team_commands if (_may_manage(state, user, c) if manages else c.auto_complete)]
    taken = {trigger for trigger, *_ in BUILT_IN_COMMANDS}
    custom = [_sanitized(c) for c in visible if c.trigger not in taken]
    return _json(built_in_commands_json() + custom)


def _managed_command(request: web.Request, user: User) -> Command:
    """The path's command if ``user`` may manage it: 400 bad id, 404 unseen, 403 someone else's."""
    command_id = request.match_info["command_id"]
    if not is_valid_id(command_id):
        raise invalid_url_param("command_id")
    state = sim_of(request).state
    command = state.commands.get(command_id)
    if command is None or command.delete_at or not _may_manage_team_commands(state, user, command.team_id):
        raise _command_not_found()
    if not _may_manage(state, user, command):
        raise forbidden("manage_others_slash_commands")
    return command


async def get_command(request: web.Request) -> web.Response:
    """``GET /api/v4/commands/{command_id}`` (someone else's command is hidden: 404)."""
    user = current_user(request)
    try:
        command = _managed_command(request, user)
    except AppError as error:
        if error.status == 403:
            raise _command_not_found() from None
        raise
    return _json(command.to_json())


async def update_command(request: web.Request) -> web.Response:
    """``PUT /api/v4/commands/{command_id}``: replace a command with the full body given."""
    user = current_user(request)
    state = sim_of(request).state
    command_id = request.match_info["command_id"]
    if not is_valid_id(command_id):
        raise invalid_url_param("command_id")
    body = await _command_body(request)
    if body.get("id") != command_id:
        raise invalid_param("command")
    command = _managed_command(request, user)
    if str(body.get("team_id") or "") != command.team_id:
        raise AppError(400, "api.command.team_mismatch.app_error", "Unable to update commands across teams.")
    updated = dataclasses.replace(command, update_at=state.clock())
    _apply_fields(updated, body)
    _validate(state, updated)
    state.commands[updated.id] = updated
    return _json(updated.to_json())


async def delete_command(request: web.Request) -> web.Response:
    """``DELETE /api/v4/commands/{command_id}``."""
    user = current_user(request)
    state = sim_of(request).state
    command = _managed_command(request, user)
    command.delete_at = command.update_at = state.clock()
    return _json({"status": "OK"})


async def regen_command_token(request: web.Request) -> web.Response:
    """``PUT /api/v4/commands/{command_id}/regen_token``: a new token, ``{"token": …}``."""
    user = current_user(request)
    state = sim_of(request).state
    command = _managed_command(request, user)
    command.token = new_id()
    command.update_at = state.clock()
    return _json({"token": command.token})


def register(app: web.Application) -> None:
    """Add the command management routes."""
    app.router.add_post("/api/v4/commands", create_command)
    app.router.add_get("/api/v4/commands", list_commands)
    # Mattermost's router takes {command_id:[A-Za-z0-9]+}: anything else is not a route (404).
    command = "/api/v4/commands/{command_id:[A-Za-z0-9]+}"
    app.router.add_get(command, get_command)
    app.router.add_put(command, update_command)
    app.router.add_delete(command, delete_command)
    app.router.add_put(f"{command}/regen_token", regen_command_token)
