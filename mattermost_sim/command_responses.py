"""Slash-command responses: parsing an integration's reply and posting it as Mattermost does.

Mirrors ``model.CommandResponseFromHTTPBody`` and ``App.HandleCommandResponse``: a JSON
body (``Content-Type: application/json``, parameters ignored) is decoded strictly, any
other body becomes the ``text`` of an ephemeral reply; ``in_channel`` replies are posted
as the invoking user marked ``from_webhook``, ``ephemeral`` (or empty) ones go to the
invoker alone, and each of ``extra_responses`` is handled the same way.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import AppError, invalid_param

if TYPE_CHECKING:
    from .integrations import Integrations
    from .models import Channel, Command, User

IN_CHANNEL = "in_channel"
EPHEMERAL = "ephemeral"
# Props an integration may not set itself (post.go ``ContainsIntegrationsReservedProps``).
RESERVED_PROPS = frozenset(
    {
        "from_webhook",
        "override_username",
        "override_icon_url",
        "override_icon_emoji",
        "webhook_display_name",
        "mm_blocks_actions",
        "from_bot",
        "from_plugin",
    }
)
_STRING_FIELDS = (
    "response_type",
    "text",
    "username",
    "channel_id",
    "icon_url",
    "type",
    "goto_location",
    "trigger_id",
)
_SLACK_LINK = re.compile(r"<([^\n<|>]+)\|([^|\n>]+)>")
_SLACK_SPECIAL_MENTION = re.compile(r"<!(channel|here|all)>")


class CommandResponseError(ValueError):
    """A body Mattermost cannot decode as a ``CommandResponse``."""


@dataclass
class CommandResponse:
    """``model.CommandResponse``: what an integration answers to a command."""

    response_type: str = ""
    text: str = ""
    username: str = ""
    channel_id: str = ""
    icon_url: str = ""
    type: str = ""
    props: dict[str, Any] | None = None
    goto_location: str = ""
    trigger_id: str = ""
    skip_slack_parsing: bool = False
    attachments: list[dict[str, Any]] | None = None
    extra_responses: list[CommandResponse] | None = field(default=None)

    @classmethod
    def from_http_body(cls, content_type: str, body: bytes) -> CommandResponse:
        """Decode a reply as ``CommandResponseFromHTTPBody`` does."""
        if content_type.split(";", 1)[0].strip().lower() != "application/json":
            return cls(text=body.decode("utf-8", errors="replace"))
        try:
            decoded = json.loads(body)
        except (ValueError, UnicodeDecodeError) as error:
            raise CommandResponseError(f"invalid JSON: {error}") from None
        return cls.from_json(decoded, nested=False)

    @classmethod
    def from_json(cls, value: Any, *, nested: bool) -> CommandResponse:
        """Decode a JSON value with Go's type rules (``null`` is the empty response)."""
        if value is None:
            return cls()
        if not isinstance(value, dict):
            raise CommandResponseError(
                f"a command response must be a JSON object, not {type(value).__name__}"
            )
        strings = {}
        for name in _STRING_FIELDS:
            item = value.get(name)
            if item is not None and not isinstance(item, str):
                raise CommandResponseError(f"{name!r} must be a string")
            strings[name] = item or ""
        skip = value.get("skip_slack_parsing")
        if skip is not None and not isinstance(skip, bool):
            raise CommandResponseError("'skip_slack_parsing' must be a boolean")
        props = value.get("props")
        if props is not None and not isinstance(props, dict):
            raise CommandResponseError("'props' must be an object")
        attachments = _attachments(value.get("attachments"))
        extras_value = value.get("extra_responses")
        extras: list[CommandResponse] | None = None
        if extras_value is not None:
            if not isinstance(extras_value, list):
                raise CommandResponseError("'extra_responses' must be an array")
            # Nested extra responses decode, but Mattermost never posts them.
            extras = [cls.from_json(item, nested=True) for item in extras_value] if not nested else None
        return cls(
            **strings,
            props=props,
            skip_slack_parsing=bool(skip),
            attachments=attachments,
            extra_responses=extras,
        )

    def to_json(self) -> dict[str, Any]:
        """The object as ``POST /commands/execute`` returns it (every field, Go-style)."""
        return {
            "response_type": self.response_type,
            "text": self.text,
            "username": self.username,
            "channel_id": self.channel_id,
            "icon_url": self.icon_url,
            "type": self.type,
            "props": self.props,
            "goto_location": self.goto_location,
            "trigger_id": self.trigger_id,
            "skip_slack_parsing": self.skip_slack_parsing,
            "attachments": self.attachments,
            "extra_responses": (
                [extra.to_json() for extra in self.extra_responses]
                if self.extra_responses is not None
                else None
            ),
        }


def _attachments(value: Any) -> list[dict[str, Any]] | None:
    """Message attachments, with field values stringified as ``StringifySlackFieldValue`` does."""
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, dict) or item is None for item in value):
        raise CommandResponseError("'attachments' must be an array of objects")
    attachments = [dict(item) for item in value if item is not None]
    for attachment in attachments:
        fields = attachment.get("fields")
        if isinstance(fields, list):
            attachment["fields"] = [_stringified_field(item) for item in fields]
    return attachments


def _stringified_field(item: Any) -> Any:
    if isinstance(item, dict) and item.get("value") is not None and not isinstance(item["value"], str):
        return {**item, "value": json.dumps(item["value"])}
    return item


def slack_text_to_markdown(text: str) -> str:
    """``<url|label>`` links to Markdown and ``<!channel>``-style mentions to ``@channel``."""
    text = _SLACK_LINK.sub(r"[\2](\1)", text)
    return _SLACK_SPECIAL_MENTION.sub(r"@\1", text)


@dataclass(frozen=True)
class Invocation:
    """Who ran a command, where: what a response is posted against (``CommandArgs``)."""

    command: Command
    user: User
    channel: Channel
    root_id: str = ""


def apply_command_response(
    integrations: Integrations, invocation: Invocation, response: CommandResponse
) -> None:
    """Post a response and its ``extra_responses``; raise ``create_post_failed`` if any failed.

    Each failure is also recorded in :attr:`Integrations.failures`.
    """
    last_error: AppError | None = None
    for reply in [response, *(response.extra_responses or [])]:
        try:
            _post_response(integrations, invocation, reply)
        except AppError as error:
            integrations.record_failure("command", invocation.command.url, error)
            last_error = error
    if last_error is not None:
        trigger = invocation.command.trigger
        raise AppError(
            500,
            "api.command.execute_command.create_post_failed.app_error",
            f"Command '{trigger}' failed to post response. Please contact your System Administrator.",
            f"{last_error.error_id}: {last_error.message}",
        )


def _post_response(integrations: Integrations, invocation: Invocation, response: CommandResponse) -> None:
    """``HandleCommandResponsePost`` + ``CreateCommandPost`` for one response."""
    state = integrations.sim.state
    channel = invocation.channel
    if response.channel_id:
        target = state.channels.get(response.channel_id)
        if target is None or invocation.user.id not in target.members:
            raise AppError(
                403,
                "api.command.command_post.forbidden.app_error",
                "Specified user is not a member of specified channel.",
            )
        channel = target
    props = {key: value for key, value in (response.props or {}).items() if key not in RESERVED_PROPS}
    command = invocation.command
    if integrations.enable_post_username_override and (command.username or response.username):
        props["override_username"] = command.username or response.username
    if integrations.enable_post_icon_override and (command.icon_url or response.icon_url):
        props["override_icon_url"] = command.icon_url or response.icon_url
    props["from_webhook"] = "true"
    if response.type.startswith("system_"):
        raise invalid_param("post.type")
    text = response.text
    attachments = response.attachments
    if not response.skip_slack_parsing:
        text = response.text = slack_text_to_markdown(text)
    post_type = response.type
    if attachments:
        props["attachments"] = attachments
        post_type = "slack_attachment"
    else:
        props.pop("attachments", None)
    if response.response_type == IN_CHANNEL:
        state.create_post(
            invocation.user, channel, text, root_id=invocation.root_id, props=props, post_type=post_type
        )
    elif response.response_type in ("", EPHEMERAL) and (text or attachments is not None):
        state.send_ephemeral(invocation.user.id, channel.id, text, props, root_id=invocation.root_id)
