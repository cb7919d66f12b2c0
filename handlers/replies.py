"""What a handler answers: a reply to one person, and the requests it answers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

# Mattermost's request bodies are all strings; anything this long is not a real request.
MAX_FIELD_LENGTH = 20_000


@dataclass(frozen=True)
class Reply:
    """A message for the person who acted: ephemeral unless ``in_channel``."""

    text: str = ""
    attachments: Sequence[Mapping[str, Any]] = ()
    in_channel: bool = False

    def to_command_response(self) -> dict[str, Any]:
        """The JSON body of a slash-command response (mattermost-wire.md §1.2)."""
        body: dict[str, Any] = {
            "response_type": "in_channel" if self.in_channel else "ephemeral",
            "text": self.text,
            "skip_slack_parsing": True,
        }
        if self.attachments:
            body["attachments"] = [dict(a) for a in self.attachments]
        return body


SILENT = Reply()


class MalformedRequestError(Exception):
    """A request that is not a well-formed Mattermost callback."""


@dataclass(frozen=True)
class CommandRequest:
    """A slash-command request as Mattermost sends it (mattermost-wire.md §1.1)."""

    token: str
    team_id: str
    team_domain: str
    channel_id: str
    channel_name: str
    user_id: str
    user_name: str
    command: str
    text: str
    trigger_id: str
    response_url: str
    user_mentions: tuple[str, ...] = field(default_factory=tuple)
    user_mention_ids: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def from_form(cls, form: Mapping[str, Sequence[str]]) -> CommandRequest:
        """Parse a decoded form (each key to its list of values).

        Raises :class:`MalformedRequestError` when a field is missing or oversized.
        """

        def one(name: str, required: bool = True) -> str:
            values = form.get(name) or []
            if not values:
                if required:
                    raise MalformedRequestError(f"missing field {name!r}")
                return ""
            value = values[0]
            if len(value) > MAX_FIELD_LENGTH:
                raise MalformedRequestError(f"field {name!r} is too long")
            return value

        return cls(
            token=one("token"),
            team_id=one("team_id"),
            team_domain=one("team_domain", required=False),
            channel_id=one("channel_id"),
            channel_name=one("channel_name", required=False),
            user_id=one("user_id"),
            user_name=one("user_name", required=False),
            command=one("command"),
            text=one("text", required=False),
            trigger_id=one("trigger_id", required=False),
            response_url=one("response_url", required=False),
            user_mentions=tuple(form.get("user_mentions") or ()),
            user_mention_ids=tuple(form.get("user_mentions_ids") or ()),
        )

    @classmethod
    def from_body(cls, body: str) -> CommandRequest:
        """Parse an ``application/x-www-form-urlencoded`` body."""
        return cls.from_form(parse_qs(body, keep_blank_values=True))
