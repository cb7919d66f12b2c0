"""The gateway's integration calls: files, dialogs, delayed command responses, slash commands.

:class:`GatewayIntegrations` is a mixin of :class:`~bot.mattermost.gateway.MattermostGateway`,
which provides what :class:`~bot.mattermost.gateway_part.GatewayPart` declares (the driver, its
client and the bounded call).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from .errors import MalformedResponse
from .gateway_part import GatewayPart
from .transport import json_body, parse, parse_list, present
from .types import MMCommand, MMFileInfo

log = logging.getLogger(__name__)

# Mattermost's ids are 26 characters of [a-z0-9]; its router takes /hooks/commands/{id:[A-Za-z0-9]+}.
_COMMAND_HOOK = re.compile(r"(?:/[^?#]*)?/hooks/commands/(?P<id>[A-Za-z0-9]{26})")


def command_hook_path(response_url: str) -> str:
    """The path of a slash command's ``response_url`` hook on the bot's own server
    (``/hooks/commands/<id>``); :class:`ValueError` if the URL is not shaped like one."""
    hook = urlsplit(response_url)
    matched = _COMMAND_HOOK.fullmatch(hook.path)
    if hook.scheme not in ("http", "https") or not hook.netloc or matched is None or hook.query:
        raise ValueError("response_url is not a Mattermost command hook (http(s)://…/hooks/commands/<id>)")
    return f"/hooks/commands/{matched['id']}"


class GatewayIntegrations(GatewayPart):
    """Files, interactive dialogs, ``response_url`` replies and the bot's slash commands."""

    # -- files --------------------------------------------------------------------

    async def upload_file(self, channel_id: str, filename: str, data: bytes) -> str:
        """Upload a file for a later post in the channel; returns its file id."""
        # No ``filename`` query parameter: with it Mattermost takes the raw body as the file.
        result = await self._call(
            "upload file",
            lambda: self._driver.files.upload_file(files=(filename, data), channel_id=channel_id),
        )
        body = json_body(result, "upload file")
        infos = body.get("file_infos") if isinstance(body, dict) else None
        if not isinstance(infos, list) or not infos:
            raise MalformedResponse(201, "", "upload file: expected 'file_infos' with one entry")
        return parse(MMFileInfo.from_json, infos[0], "upload file").id

    async def download_file(self, file_id: str) -> bytes:
        """A file's bytes."""
        # The raw request: the driver's ``get`` would decode a file whose type is JSON.
        response = await self._call(
            "download file", lambda: self._client.make_request("get", f"/api/v4/files/{file_id}")
        )
        if not isinstance(response, httpx.Response):
            raise MalformedResponse(200, "", "download file: no response body")
        return response.content

    async def file_info(self, file_id: str) -> MMFileInfo:
        """An uploaded file's metadata."""
        result = await self._call("get file info", lambda: self._driver.files.get_file_info(file_id))
        return parse(MMFileInfo.from_json, result, "get file info")

    # -- interactivity ------------------------------------------------------------

    async def open_dialog(self, trigger_id: str, url: str, dialog: Mapping[str, Any]) -> None:
        """Open an interactive dialog for the user who caused ``trigger_id`` (not replayed:
        a second open would show the dialog twice)."""
        await self._call(
            "open dialog",
            lambda: self._driver.integration_actions.open_interactive_dialog(trigger_id, url, dict(dialog)),
        )

    async def respond_to_command(self, response_url: str, response: Mapping[str, Any]) -> None:
        """Send a delayed slash-command response through its ``response_url`` hook.

        The hook is called on the server the bot talks to, whatever host the URL names: Mattermost
        builds ``response_url`` from the address the person's client used (or its SiteURL), often a
        public name the bot need not reach, while the hook id is all that identifies the hook. So
        only the id is taken from the URL, which must look like Mattermost's own
        (``http(s)://…/hooks/commands/<26-character id>``), and it is never sent anywhere else.
        Raises :class:`ValueError` for a URL of another shape.
        """
        await self._call(
            "respond to command",
            lambda: self._client.make_request(
                "post", command_hook_path(response_url), options=dict(response)
            ),
        )

    # -- slash commands -----------------------------------------------------------

    async def list_commands(self, team_id: str) -> list[MMCommand]:
        """The team's custom slash commands the bot may manage (tokens included)."""
        result = await self._call(
            "list commands", lambda: self._driver.commands.list_commands(team_id=team_id, custom_only=True)
        )
        return parse_list(MMCommand.from_json, result, "list commands")

    async def create_command(self, team_id: str, trigger: str, url: str, **fields: Any) -> MMCommand:
        """Register a custom slash command; ``fields`` are further ``Command`` fields
        (``method`` defaults to ``"P"``; ``auto_complete``, ``auto_complete_desc``, …)."""
        body = {"method": "P", **present(**fields), "team_id": team_id, "trigger": trigger, "url": url}
        # Through the driver's client: its ``create_command`` accepts only team, method, trigger and url.
        result = await self._call(
            "create command", lambda: self._client.post("/api/v4/commands", options=body)
        )
        return parse(MMCommand.from_json, result, "create command")

    async def update_command(self, command: MMCommand) -> MMCommand:
        """Replace a command's settings with ``command`` (the server keeps its token and creator)."""
        result = await self._call(
            "update command", lambda: self._driver.commands.update_command(command.id, command.to_json())
        )
        return parse(MMCommand.from_json, result, "update command")

    async def regen_command_token(self, command_id: str) -> str:
        """Issue a new token for a command and return it."""
        result = await self._call(
            "regenerate command token", lambda: self._driver.commands.regen_command_token(command_id)
        )
        body = json_body(result, "regenerate command token")
        token = body.get("token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise MalformedResponse(200, "", "regenerate command token: no 'token' in the answer")
        return token

    async def ensure_slash_command(
        self,
        team_id: str,
        trigger: str,
        url: str,
        description: str,
        hint: str,
        *,
        display_name: str = "",
    ) -> str:
        """Register the bot's ``/trigger`` command in a team, idempotently; returns its token.

        An existing command of the bot's with this trigger is kept (and its token with it),
        its URL and texts updated when they changed. A command someone else (an administrator)
        made with this trigger and ``url`` is the bot's command too: its token is used and the
        command left as they made it. Otherwise the command is created. Needs
        ``manage_slash_commands`` on the team (team admins, by default): without it Mattermost
        answers :class:`~bot.mattermost.errors.Forbidden`.
        """
        me = await self.me()
        wanted = trigger.strip().removeprefix("/").lower()
        settings: dict[str, Any] = {
            "url": url,
            "method": "P",
            "auto_complete": True,
            "auto_complete_desc": description,
            "auto_complete_hint": hint,
            "description": description,
            "display_name": display_name or wanted.capitalize(),
        }
        commands = [c for c in await self.list_commands(team_id) if c.trigger == wanted]
        for command in commands:
            if command.creator_id != me.id:
                continue
            current = command.to_json()
            if any(current[key] != value for key, value in settings.items()):
                log.info("updating the /%s command in team %s", wanted, team_id)
                updated = await self.update_command(MMCommand.from_json({**current, **settings}))
                return updated.token or command.token
            return command.token
        for command in commands:
            if same_url(command.url, url) and command.token:
                log.info("using the /%s command an administrator made in team %s", wanted, team_id)
                return command.token
        log.info("registering the /%s command in team %s", wanted, team_id)
        created = await self.create_command(team_id, wanted, **settings)
        return created.token

    async def visible_command_triggers(self, team_id: str) -> set[str]:
        """The triggers of the team's commands that anyone on it sees in autocomplete.

        What a bot without ``manage_slash_commands`` can learn of the team's commands: Mattermost
        lists them sanitized (no URL, no token) and only those with autocomplete on
        (``ListAutocompleteCommands`` in app/command.go).
        """
        result = await self._call(
            "list commands", lambda: self._driver.commands.list_commands(team_id=team_id, custom_only=False)
        )
        body = json_body(result, "list commands")
        if not isinstance(body, list):
            raise MalformedResponse(200, "", "list commands: expected a JSON array")
        return {c["trigger"] for c in body if isinstance(c, dict) and isinstance(c.get("trigger"), str)}


def same_url(first: str, second: str) -> bool:
    """Whether two command URLs name the same endpoint (ignoring case of scheme and host and a
    trailing slash)."""

    def normal(url: str) -> tuple[str, str, str]:
        parts = urlsplit(url.strip())
        return parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/")

    return normal(first) == normal(second)
