"""Small typed views of the Mattermost objects the bot reads, parsed from REST or websocket JSON.

Each view keeps only the fields the bot uses. ``from_json`` accepts the object as Mattermost
serialises it (unknown keys are ignored, missing optional keys take Mattermost's zero value)
and raises :class:`ValueError` naming the object and field when a required field is absent or
has the wrong type.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


def _require_mapping(data: object, kind: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise ValueError(f"{kind}: expected a JSON object, got {type(data).__name__}")
    return data


def _str(data: Mapping[str, Any], key: str, kind: str, *, required: bool = False) -> str:
    value = data.get(key)
    if value is None:
        if required:
            raise ValueError(f"{kind}: missing {key!r}")
        return ""
    if not isinstance(value, str):
        raise ValueError(f"{kind}: {key!r} must be a string, got {type(value).__name__}")
    return value


def _int(data: Mapping[str, Any], key: str, kind: str) -> int:
    value = data.get(key)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{kind}: {key!r} must be an integer, got {type(value).__name__}")
    return value


def _bool(data: Mapping[str, Any], key: str, kind: str) -> bool:
    value = data.get(key)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise ValueError(f"{kind}: {key!r} must be a boolean, got {type(value).__name__}")
    return value


def _user_timezone(value: object) -> str:
    """The IANA zone a user's ``timezone`` object selects ("" when the user set none).

    Mattermost stores ``{"useAutomaticTimezone": "true"|"false", "automaticTimezone": …,
    "manualTimezone": …}`` with the flag as a *string*.
    """
    if not isinstance(value, Mapping):
        return ""
    automatic = str(value.get("useAutomaticTimezone", "")).lower() == "true"
    chosen = value.get("automaticTimezone" if automatic else "manualTimezone")
    return chosen if isinstance(chosen, str) else ""


@dataclass(frozen=True, slots=True)
class MMUser:
    """A user: ``timezone`` is the effective IANA zone name, or "" when the user chose none."""

    id: str
    username: str
    is_bot: bool = False
    is_system_admin: bool = False
    timezone: str = ""

    @classmethod
    def from_json(cls, data: object) -> MMUser:
        """Parse a ``User`` object."""
        body = _require_mapping(data, "User")
        roles = _str(body, "roles", "User").split()
        return cls(
            id=_str(body, "id", "User", required=True),
            username=_str(body, "username", "User", required=True),
            is_bot=_bool(body, "is_bot", "User"),
            is_system_admin="system_admin" in roles,
            timezone=_user_timezone(body.get("timezone")),
        )


@dataclass(frozen=True, slots=True)
class MMTeam:
    """A team."""

    id: str
    name: str
    display_name: str = ""

    @classmethod
    def from_json(cls, data: object) -> MMTeam:
        """Parse a ``Team`` object."""
        body = _require_mapping(data, "Team")
        return cls(
            id=_str(body, "id", "Team", required=True),
            name=_str(body, "name", "Team", required=True),
            display_name=_str(body, "display_name", "Team"),
        )


@dataclass(frozen=True, slots=True)
class MMChannel:
    """A channel; ``type`` is ``O`` (public), ``P`` (private), ``D`` (direct) or ``G`` (group)."""

    id: str
    team_id: str
    type: str
    name: str
    display_name: str = ""
    header: str = ""
    purpose: str = ""
    delete_at: int = 0
    creator_id: str = ""

    @property
    def is_archived(self) -> bool:
        """Whether the channel has been archived."""
        return self.delete_at > 0

    @classmethod
    def from_json(cls, data: object) -> MMChannel:
        """Parse a ``Channel`` object."""
        body = _require_mapping(data, "Channel")
        return cls(
            id=_str(body, "id", "Channel", required=True),
            team_id=_str(body, "team_id", "Channel"),
            type=_str(body, "type", "Channel", required=True),
            name=_str(body, "name", "Channel", required=True),
            display_name=_str(body, "display_name", "Channel"),
            header=_str(body, "header", "Channel"),
            purpose=_str(body, "purpose", "Channel"),
            delete_at=_int(body, "delete_at", "Channel"),
            creator_id=_str(body, "creator_id", "Channel"),
        )


@dataclass(frozen=True, slots=True)
class MMPost:
    """A post. ``props`` is the post's property bag (attachments, ``from_bot`` …)."""

    id: str
    channel_id: str
    user_id: str
    root_id: str = ""
    message: str = ""
    props: Mapping[str, Any] = field(default_factory=dict)
    file_ids: tuple[str, ...] = ()
    create_at: int = 0
    type: str = ""
    update_at: int = 0
    delete_at: int = 0
    pending_post_id: str = ""

    @property
    def is_deleted(self) -> bool:
        """Whether the post has been deleted (``since`` queries return deleted posts too)."""
        return self.delete_at > 0

    @classmethod
    def from_json(cls, data: object) -> MMPost:
        """Parse a ``Post`` object (a REST body, or a websocket ``post`` string once decoded)."""
        body = _require_mapping(data, "Post")
        props = body.get("props") or {}
        if not isinstance(props, Mapping):
            raise ValueError(f"Post: 'props' must be an object, got {type(props).__name__}")
        file_ids = body.get("file_ids") or []
        if not isinstance(file_ids, list) or not all(isinstance(i, str) for i in file_ids):
            raise ValueError("Post: 'file_ids' must be a list of strings")
        return cls(
            id=_str(body, "id", "Post", required=True),
            channel_id=_str(body, "channel_id", "Post", required=True),
            user_id=_str(body, "user_id", "Post"),
            root_id=_str(body, "root_id", "Post"),
            message=_str(body, "message", "Post"),
            props=dict(props),
            file_ids=tuple(file_ids),
            create_at=_int(body, "create_at", "Post"),
            type=_str(body, "type", "Post"),
            update_at=_int(body, "update_at", "Post"),
            delete_at=_int(body, "delete_at", "Post"),
            pending_post_id=_str(body, "pending_post_id", "Post"),
        )


@dataclass(frozen=True, slots=True)
class MMReaction:
    """An emoji reaction: who reacted to which post with what, and when (ms)."""

    user_id: str
    post_id: str
    emoji_name: str
    create_at: int = 0

    @classmethod
    def from_json(cls, data: object) -> MMReaction:
        """Parse a ``Reaction`` object (a REST body, or a websocket ``reaction`` string once decoded)."""
        body = _require_mapping(data, "Reaction")
        return cls(
            user_id=_str(body, "user_id", "Reaction", required=True),
            post_id=_str(body, "post_id", "Reaction", required=True),
            emoji_name=_str(body, "emoji_name", "Reaction", required=True),
            create_at=_int(body, "create_at", "Reaction"),
        )


@dataclass(frozen=True, slots=True)
class MMFileInfo:
    """Metadata of an uploaded file."""

    id: str
    name: str
    size: int = 0
    mime_type: str = ""
    extension: str = ""
    channel_id: str = ""
    post_id: str = ""
    user_id: str = ""

    @classmethod
    def from_json(cls, data: object) -> MMFileInfo:
        """Parse a ``FileInfo`` object."""
        body = _require_mapping(data, "FileInfo")
        return cls(
            id=_str(body, "id", "FileInfo", required=True),
            name=_str(body, "name", "FileInfo"),
            size=_int(body, "size", "FileInfo"),
            mime_type=_str(body, "mime_type", "FileInfo"),
            extension=_str(body, "extension", "FileInfo"),
            channel_id=_str(body, "channel_id", "FileInfo"),
            post_id=_str(body, "post_id", "FileInfo"),
            user_id=_str(body, "user_id", "FileInfo"),
        )


@dataclass(frozen=True, slots=True)
class MMCommand:
    """A custom slash command, with every field ``PUT /commands/{id}`` needs to send back."""

    id: str
    team_id: str
    trigger: str
    url: str
    method: str = "P"
    token: str = ""
    creator_id: str = ""
    display_name: str = ""
    description: str = ""
    auto_complete: bool = False
    auto_complete_desc: str = ""
    auto_complete_hint: str = ""
    username: str = ""
    icon_url: str = ""

    @classmethod
    def from_json(cls, data: object) -> MMCommand:
        """Parse a ``Command`` object."""
        body = _require_mapping(data, "Command")
        return cls(
            id=_str(body, "id", "Command", required=True),
            team_id=_str(body, "team_id", "Command", required=True),
            trigger=_str(body, "trigger", "Command", required=True),
            url=_str(body, "url", "Command"),
            method=_str(body, "method", "Command") or "P",
            token=_str(body, "token", "Command"),
            creator_id=_str(body, "creator_id", "Command"),
            display_name=_str(body, "display_name", "Command"),
            description=_str(body, "description", "Command"),
            auto_complete=_bool(body, "auto_complete", "Command"),
            auto_complete_desc=_str(body, "auto_complete_desc", "Command"),
            auto_complete_hint=_str(body, "auto_complete_hint", "Command"),
            username=_str(body, "username", "Command"),
            icon_url=_str(body, "icon_url", "Command"),
        )

    def to_json(self) -> dict[str, Any]:
        """The full ``Command`` body for an update (the server keeps its own token and creator)."""
        return {
            "id": self.id,
            "team_id": self.team_id,
            "trigger": self.trigger,
            "url": self.url,
            "method": self.method,
            "token": self.token,
            "creator_id": self.creator_id,
            "display_name": self.display_name,
            "description": self.description,
            "auto_complete": self.auto_complete,
            "auto_complete_desc": self.auto_complete_desc,
            "auto_complete_hint": self.auto_complete_hint,
            "username": self.username,
            "icon_url": self.icon_url,
        }
