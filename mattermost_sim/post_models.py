"""Posts, reactions and files as Mattermost stores and serialises them.

:func:`normalize_attachments` is what ``Post.GenerateActionIds`` does on every save: each
attachment is decoded into Go's ``SlackAttachment`` and written back, so every field is present
(``fields``/``ts`` null when absent), unknown keys are dropped, actions keep only their non-empty
``PostAction`` fields and get an id when they have none. Clients never see an action's
``integration`` (:func:`strip_integrations`); a post's ``metadata`` carries its attachments' embed,
its files and its reactions.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any

from .ids import new_id

_ATTACHMENT_STRINGS = (
    "fallback", "color", "pretext", "author_name", "author_link", "author_icon", "title", "title_link",
    "text",
)  # fmt: skip
_ATTACHMENT_TAIL_STRINGS = ("image_url", "thumb_url", "footer", "footer_icon")
_ACTION_STRINGS = ("id", "type", "name", "style", "data_source", "default_option", "cookie")


def _string(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _action(raw: dict[str, Any]) -> dict[str, Any]:
    """A ``PostAction`` as Go re-encodes it: only its non-empty fields (all ``omitempty``)."""
    action: dict[str, Any] = {key: raw[key] for key in _ACTION_STRINGS if _string(raw.get(key))}
    if not action.get("id"):
        action["id"] = new_id()
    if raw.get("disabled") is True:
        action["disabled"] = True
    options = raw.get("options")
    if isinstance(options, list) and options:
        action["options"] = [
            {"text": _string(option.get("text")), "value": _string(option.get("value"))}
            for option in options
            if isinstance(option, dict)
        ]
    integration = raw.get("integration")
    if isinstance(integration, dict):
        action["integration"] = {key: integration[key] for key in ("url", "context") if integration.get(key)}
    return action


def _attachment(raw: dict[str, Any]) -> dict[str, Any]:
    """A ``SlackAttachment`` as Go re-encodes it: every field, in Go's order."""
    attachment: dict[str, Any] = {"id": raw["id"] if isinstance(raw.get("id"), int) else 0}
    attachment.update({key: _string(raw.get(key)) for key in _ATTACHMENT_STRINGS})
    fields = raw.get("fields")
    attachment["fields"] = (
        [
            {
                "title": _string(item.get("title")),
                "value": item.get("value"),
                "short": bool(item.get("short")),
            }
            for item in fields
            if isinstance(item, dict)
        ]
        if isinstance(fields, list)
        else None
    )
    attachment.update({key: _string(raw.get(key)) for key in _ATTACHMENT_TAIL_STRINGS})
    attachment["ts"] = raw.get("ts")
    actions = [_action(action) for action in raw.get("actions") or [] if isinstance(action, dict)]
    if actions:
        attachment["actions"] = actions
    return attachment


def normalize_attachments(props: dict[str, Any]) -> dict[str, Any]:
    """``props`` with ``attachments`` re-encoded as the server stores them (see the module doc)."""
    attachments = props.get("attachments")
    if not isinstance(attachments, list):
        return props
    return {**props, "attachments": [_attachment(item) for item in attachments if isinstance(item, dict)]}


def strip_integrations(props: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of ``props`` with every action's ``integration`` removed.

    Mattermost strips integration URLs and contexts from every post it serialises
    for clients (``StripActionIntegrations``); only the server and the bot see them.
    """
    cleaned = copy.deepcopy(props)
    attachments = cleaned.get("attachments")
    if isinstance(attachments, list):
        for attachment in attachments:
            if not isinstance(attachment, dict):
                continue
            for action in attachment.get("actions") or []:
                if isinstance(action, dict):
                    action.pop("integration", None)
    return cleaned


@dataclass
class Reaction:
    """An emoji reaction on a post."""

    user_id: str
    post_id: str
    emoji_name: str
    create_at: int
    channel_id: str = ""

    def to_json(self) -> dict[str, Any]:
        """The ``Reaction`` object as the REST API returns it."""
        return {
            "user_id": self.user_id,
            "post_id": self.post_id,
            "emoji_name": self.emoji_name,
            "create_at": self.create_at,
            "update_at": self.create_at,
            "delete_at": 0,
            "remote_id": "",
            "channel_id": self.channel_id,
        }


@dataclass
class FileInfo:
    """An uploaded file and its bytes."""

    id: str
    user_id: str
    channel_id: str
    name: str
    mime_type: str
    data: bytes
    create_at: int
    post_id: str = ""

    @property
    def extension(self) -> str:
        """The file name's extension without the dot, lower-cased."""
        return self.name.rsplit(".", 1)[-1].lower() if "." in self.name else ""

    def to_json(self) -> dict[str, Any]:
        """The ``FileInfo`` object as the REST API returns it (``post_id`` once attached)."""
        body: dict[str, Any] = {
            "id": self.id,
            "user_id": self.user_id,
            "channel_id": self.channel_id,
            "create_at": self.create_at,
            "update_at": self.create_at,
            "delete_at": 0,
            "name": self.name,
            "extension": self.extension,
            "size": len(self.data),
            "mime_type": self.mime_type,
            "remote_id": "",
            "archived": False,
            "mini_preview": None,
        }
        if self.post_id:
            body["post_id"] = self.post_id
        return body


@dataclass
class Post:
    """A post, stored with its action integrations, its reactions and its files."""

    id: str
    channel_id: str
    user_id: str
    message: str
    create_at: int
    root_id: str = ""
    type: str = ""
    props: dict[str, Any] = field(default_factory=dict)
    file_ids: list[str] = field(default_factory=list)
    update_at: int = 0
    edit_at: int = 0
    delete_at: int = 0
    is_pinned: bool = False
    has_reactions: bool = False
    pending_post_id: str = ""
    ephemeral: bool = False
    # "" for posts clients made through REST; None (left out) for those the server made itself.
    remote_id: str | None = None
    # Set on the copy an edit keeps of the post as it was (a deleted post): the edited post's id.
    original_id: str = ""
    # Insertion order: the real store lists posts with the same create_at newest-inserted first.
    seq: int = 0
    reactions: list[Reaction] = field(default_factory=list)
    files: list[FileInfo] = field(default_factory=list)

    def action(self, action_id: str) -> dict[str, Any] | None:
        """The stored action (with its integration) whose id is ``action_id``."""
        for attachment in self.props.get("attachments") or []:
            if not isinstance(attachment, dict):
                continue
            for action in attachment.get("actions") or []:
                if isinstance(action, dict) and action.get("id") == action_id:
                    return action
        return None

    def metadata(self) -> dict[str, Any]:
        """``PostMetadata``: the attachments' embed, the files, the reactions (when there are any)."""
        metadata: dict[str, Any] = {}
        if self.props.get("attachments"):
            metadata["embeds"] = [{"type": "message_attachment"}]
        if self.files:
            metadata["files"] = [info.to_json() for info in self.files]
        if self.reactions:
            metadata["reactions"] = [reaction.to_json() for reaction in self.reactions]
        return metadata

    def to_json(self, *, pending_post_id: bool = False) -> dict[str, Any]:
        """The ``Post`` object as clients see it: integrations stripped.

        ``pending_post_id`` is not stored: only the answer to the create request (and its
        ``posted`` event) carries the one the client sent.
        """
        body: dict[str, Any] = {
            "id": self.id,
            "create_at": self.create_at,
            "update_at": self.update_at or self.create_at,
            "edit_at": self.edit_at,
            "delete_at": self.delete_at,
            "is_pinned": self.is_pinned,
            "user_id": self.user_id,
            "channel_id": self.channel_id,
            "root_id": self.root_id,
            "original_id": self.original_id,
            "message": self.message,
            "type": self.type,
            "props": strip_integrations(self.props),
            "hashtags": "",
            # Ephemeral posts are never stored: Go's zero values (nil file ids, no remote id).
            "file_ids": list(self.file_ids) if self.file_ids or not self.ephemeral else None,
            "pending_post_id": self.pending_post_id if pending_post_id else "",
            "reply_count": 0,
            "last_reply_at": 0,
            "participants": None,
            "metadata": self.metadata(),
        }
        if self.remote_id is not None:
            body["remote_id"] = self.remote_id
        if self.has_reactions:
            body["has_reactions"] = True
        return body

    def to_json_string(self, *, pending_post_id: bool = False) -> str:
        """The client JSON as a string, as websocket events carry posts."""
        return json.dumps(self.to_json(pending_post_id=pending_post_id))
