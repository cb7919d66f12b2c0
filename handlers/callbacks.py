"""Routers for button clicks and dialog submissions, keyed by the signed context's action."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .replies import MAX_FIELD_LENGTH, MalformedRequestError


@dataclass(frozen=True)
class ActionRequest:
    """A button click as Mattermost forwards it (mattermost-wire.md §2.2)."""

    user_id: str
    user_name: str
    channel_id: str
    team_id: str
    post_id: str
    trigger_id: str
    context: Mapping[str, Any]

    @classmethod
    def from_json(cls, body: Any) -> ActionRequest:
        """Parse the decoded JSON body; :class:`MalformedRequestError` if it is not a click."""
        if not isinstance(body, dict):
            raise MalformedRequestError("the body is not a JSON object")
        context = body.get("context")
        if not isinstance(context, dict):
            raise MalformedRequestError("the click carries no context")
        return cls(
            user_id=_string(body, "user_id"),
            user_name=_string(body, "user_name", required=False),
            channel_id=_string(body, "channel_id", required=False),
            team_id=_string(body, "team_id", required=False),
            post_id=_string(body, "post_id", required=False),
            trigger_id=_string(body, "trigger_id", required=False),
            context=context,
        )


@dataclass(frozen=True)
class DialogRequest:
    """A dialog submission as Mattermost forwards it (mattermost-wire.md §3.3)."""

    user_id: str
    channel_id: str
    team_id: str
    callback_id: str
    state: str
    submission: Mapping[str, Any]
    cancelled: bool

    @classmethod
    def from_json(cls, body: Any) -> DialogRequest:
        """Parse the decoded JSON body; :class:`MalformedRequestError` if it is not a submission."""
        if not isinstance(body, dict):
            raise MalformedRequestError("the body is not a JSON object")
        submission = body.get("submission") or {}
        if not isinstance(submission, dict):
            raise MalformedRequestError("the submission is not an object")
        return cls(
            user_id=_string(body, "user_id"),
            channel_id=_string(body, "channel_id", required=False),
            team_id=_string(body, "team_id", required=False),
            callback_id=_string(body, "callback_id", required=False),
            state=_string(body, "state", required=False),
            submission=submission,
            cancelled=body.get("cancelled") is True,
        )

    def text(self, name: str) -> str:
        """A submitted value as trimmed text ('' when absent or null)."""
        value = self.submission.get(name)
        return "" if value is None else str(value).strip()


def _string(body: Mapping[str, Any], name: str, required: bool = True) -> str:
    value = body.get(name, "")
    if value is None:
        value = ""
    if not isinstance(value, str) or len(value) > MAX_FIELD_LENGTH:
        raise MalformedRequestError(f"field {name!r} is not a string")
    if required and not value:
        raise MalformedRequestError(f"missing field {name!r}")
    return value


@dataclass(frozen=True)
class ActionResult:
    """What a click answers: the clicked post's new content and/or a note to the clicker."""

    update: Mapping[str, Any] | None = None
    ephemeral_text: str = ""

    def to_json(self) -> dict[str, Any]:
        """The integration response body (mattermost-wire.md §2.3)."""
        body: dict[str, Any] = {}
        if self.update is not None:
            body["update"] = dict(self.update)
        if self.ephemeral_text:
            body["ephemeral_text"] = self.ephemeral_text
            body["skip_slack_parsing"] = True
        return body


@dataclass(frozen=True)
class DialogResult:
    """What a submission answers: field errors keep the dialog open; nothing closes it."""

    errors: Mapping[str, str] = field(default_factory=dict)
    error: str = ""

    def to_json(self) -> dict[str, Any]:
        """The submission response body (mattermost-wire.md §3.3)."""
        body: dict[str, Any] = {}
        if self.errors:
            body["errors"] = dict(self.errors)
        if self.error:
            body["error"] = self.error
        return body


ActionHandler = Callable[[ActionRequest, Mapping[str, Any], Any], Awaitable[ActionResult]]
DialogHandler = Callable[[DialogRequest, Mapping[str, Any], Any], Awaitable[DialogResult]]


class ActionRouter:
    """Maps a verified context's ``a`` (action name) to its handler."""

    def __init__(self) -> None:
        self.handlers: dict[str, ActionHandler] = {}

    def action(self, name: str) -> Callable[[ActionHandler], ActionHandler]:
        """Register the decorated coroutine for action ``name``."""

        def decorate(handler: ActionHandler) -> ActionHandler:
            self.handlers[name] = handler
            return handler

        return decorate


class DialogRouter:
    """Maps a dialog's callback id to its handler."""

    def __init__(self) -> None:
        self.handlers: dict[str, DialogHandler] = {}

    def dialog(self, callback_id: str) -> Callable[[DialogHandler], DialogHandler]:
        """Register the decorated coroutine for dialogs opened with ``callback_id``."""

        def decorate(handler: DialogHandler) -> DialogHandler:
            self.handlers[callback_id] = handler
            return handler

        return decorate
