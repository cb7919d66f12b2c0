"""The simulator's records: users, teams, channels, posts and the rest, as Mattermost serialises them."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any

# Post types a client may not set itself, and prefixes it may use.
SYSTEM_POST_PREFIX = "system_"


@dataclass
class User:
    """A Mattermost user (human or bot)."""

    id: str
    username: str
    token: str
    create_at: int
    is_bot: bool = False
    roles: set[str] = field(default_factory=lambda: {"system_user"})
    first_name: str = ""
    last_name: str = ""
    nickname: str = ""
    email: str = ""
    locale: str = "en"
    timezone: str = "UTC"
    delete_at: int = 0

    @property
    def is_system_admin(self) -> bool:
        """Whether the user holds the ``system_admin`` role."""
        return "system_admin" in self.roles

    def to_json(self) -> dict[str, Any]:
        """The ``User`` object as the REST API returns it."""
        body: dict[str, Any] = {
            "id": self.id,
            "create_at": self.create_at,
            "update_at": self.create_at,
            "delete_at": self.delete_at,
            "username": self.username,
            "auth_data": "",
            "auth_service": "",
            "email": self.email or f"{self.username}@example.com",
            "nickname": self.nickname,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "position": "",
            "roles": " ".join(sorted(self.roles)),
            "locale": self.locale,
            "timezone": {
                "automaticTimezone": "",
                "manualTimezone": self.timezone,
                "useAutomaticTimezone": "false",
            },
            "disable_welcome_email": False,
        }
        if self.is_bot:
            body["is_bot"] = True
            body["bot_description"] = ""
        return body


@dataclass
class Team:
    """A team and its members (user ids)."""

    id: str
    name: str
    display_name: str
    create_at: int
    type: str = "O"
    members: set[str] = field(default_factory=set)

    def to_json(self) -> dict[str, Any]:
        """The ``Team`` object as the REST API returns it."""
        return {
            "id": self.id,
            "create_at": self.create_at,
            "update_at": self.create_at,
            "delete_at": 0,
            "display_name": self.display_name,
            "name": self.name,
            "description": "",
            "email": "",
            "type": self.type,
            "company_name": "",
            "allowed_domains": "",
            "invite_id": "",
            "allow_open_invite": self.type == "O",
            "scheme_id": None,
            "group_constrained": None,
            "policy_id": None,
        }


@dataclass
class ChannelMember:
    """A user's membership of a channel."""

    channel_id: str
    user_id: str
    last_update_at: int
    roles: str = "channel_user"

    def to_json(self) -> dict[str, Any]:
        """The ``ChannelMember`` object as the REST API returns it."""
        return {
            "channel_id": self.channel_id,
            "user_id": self.user_id,
            "roles": self.roles,
            "last_viewed_at": 0,
            "msg_count": 0,
            "mention_count": 0,
            "mention_count_root": 0,
            "urgent_mention_count": 0,
            "msg_count_root": 0,
            "notify_props": {
                "desktop": "default",
                "email": "default",
                "mark_unread": "all",
                "push": "default",
                "ignore_channel_mentions": "default",
            },
            "last_update_at": self.last_update_at,
            "scheme_guest": False,
            "scheme_user": True,
            "scheme_admin": self.roles.endswith("channel_admin"),
            "explicit_roles": "",
        }


@dataclass
class Channel:
    """A channel: public ``O``, private ``P``, direct ``D`` or group ``G``."""

    id: str
    team_id: str
    type: str
    name: str
    display_name: str
    creator_id: str
    create_at: int
    header: str = ""
    purpose: str = ""
    update_at: int = 0
    delete_at: int = 0
    last_post_at: int = 0
    total_msg_count: int = 0
    members: dict[str, ChannelMember] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The ``Channel`` object as the REST API returns it."""
        return {
            "id": self.id,
            "create_at": self.create_at,
            "update_at": self.update_at or self.create_at,
            "delete_at": self.delete_at,
            "team_id": self.team_id,
            "type": self.type,
            "display_name": self.display_name,
            "name": self.name,
            "header": self.header,
            "purpose": self.purpose,
            "last_post_at": self.last_post_at,
            "last_root_post_at": self.last_post_at,
            "total_msg_count": self.total_msg_count,
            "total_msg_count_root": self.total_msg_count,
            "extra_update_at": 0,
            "creator_id": self.creator_id,
            "scheme_id": None,
            "props": None,
            "group_constrained": None,
            "shared": None,
            "policy_id": None,
        }


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
class Post:
    """A post, stored with its action integrations."""

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

    def action(self, action_id: str) -> dict[str, Any] | None:
        """The stored action (with its integration) whose id is ``action_id``."""
        for attachment in self.props.get("attachments") or []:
            if not isinstance(attachment, dict):
                continue
            for action in attachment.get("actions") or []:
                if isinstance(action, dict) and action.get("id") == action_id:
                    return action
        return None

    def to_json(self) -> dict[str, Any]:
        """The ``Post`` object as clients see it: integrations stripped."""
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
            "original_id": "",
            "message": self.message,
            "type": self.type,
            "props": strip_integrations(self.props),
            "hashtags": "",
            "pending_post_id": self.pending_post_id,
            "reply_count": 0,
            "last_reply_at": 0,
            "participants": None,
            "metadata": {},
        }
        if self.file_ids:
            body["file_ids"] = list(self.file_ids)
        if self.has_reactions:
            body["has_reactions"] = True
        return body

    def to_json_string(self) -> str:
        """The client JSON as a string, as websocket events carry posts."""
        return json.dumps(self.to_json())


@dataclass
class Reaction:
    """An emoji reaction on a post."""

    user_id: str
    post_id: str
    emoji_name: str
    create_at: int

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
            "channel_id": "",
        }


@dataclass
class Command:
    """A custom slash command registered through ``POST /commands``."""

    id: str
    token: str
    team_id: str
    trigger: str
    method: str
    url: str
    creator_id: str
    create_at: int
    update_at: int = 0
    delete_at: int = 0
    display_name: str = ""
    description: str = ""
    auto_complete: bool = False
    auto_complete_desc: str = ""
    auto_complete_hint: str = ""
    username: str = ""
    icon_url: str = ""

    def to_json(self) -> dict[str, Any]:
        """The ``Command`` object as the REST API returns it (token included)."""
        return {
            "id": self.id,
            "token": self.token,
            "create_at": self.create_at,
            "update_at": self.update_at or self.create_at,
            "delete_at": self.delete_at,
            "creator_id": self.creator_id,
            "team_id": self.team_id,
            "trigger": self.trigger,
            "method": self.method,
            "username": self.username,
            "icon_url": self.icon_url,
            "auto_complete": self.auto_complete,
            "auto_complete_desc": self.auto_complete_desc,
            "auto_complete_hint": self.auto_complete_hint,
            "display_name": self.display_name,
            "description": self.description,
            "url": self.url,
            "plugin_id": "",
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
        """The ``FileInfo`` object as the REST API returns it."""
        return {
            "id": self.id,
            "user_id": self.user_id,
            "channel_id": self.channel_id,
            "post_id": self.post_id,
            "create_at": self.create_at,
            "update_at": self.create_at,
            "delete_at": 0,
            "name": self.name,
            "extension": self.extension,
            "size": len(self.data),
            "mime_type": self.mime_type,
            "width": 0,
            "height": 0,
            "has_preview_image": False,
        }


@dataclass
class CommandHook:
    """A ``response_url`` hook issued with a slash-command request."""

    id: str
    command_id: str
    user_id: str
    channel_id: str
    create_at: int
    root_id: str = ""
    uses: int = 0


@dataclass
class TriggerGrant:
    """A ``trigger_id`` issued with a command or action request, and who it is for."""

    id: str
    user_id: str
    create_at: int
