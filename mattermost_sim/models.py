"""The simulator's records: users, teams, channels, posts and the rest, as Mattermost serialises them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .post_models import FileInfo, Post, Reaction, strip_integrations

__all__ = [
    "Channel", "ChannelMember", "Command", "CommandHook", "FileInfo", "Post", "Reaction", "Team",
    "TriggerGrant", "User", "strip_integrations",
]  # fmt: skip

# Post types a client may not set itself, and prefixes it may use.
SYSTEM_POST_PREFIX = "system_"
DEFAULT_USER_NOTIFY_PROPS = {
    "channel": "true", "comments": "never", "desktop": "mention", "desktop_sound": "true",
    "desktop_threads": "all", "email": "true", "email_threads": "all", "first_name": "false",
    "mention_keys": "", "push": "mention", "push_status": "online", "push_threads": "all",
}  # fmt: skip


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
    timezone_props: dict[str, str] | None = None  # as the person last patched it, verbatim
    delete_at: int = 0

    @property
    def is_system_admin(self) -> bool:
        """Whether the user holds the ``system_admin`` role."""
        return "system_admin" in self.roles

    def timezone_json(self) -> dict[str, str]:
        """The ``timezone`` string map: as last patched; else a manual zone as seeded, or, for UTC,
        Mattermost's default for a new account (automatic, with no zone detected yet)."""
        if self.timezone_props is not None:
            return dict(self.timezone_props)
        if self.timezone == "UTC":
            return {"automaticTimezone": "", "manualTimezone": "", "useAutomaticTimezone": "true"}
        return {"automaticTimezone": "", "manualTimezone": self.timezone, "useAutomaticTimezone": "false"}

    def to_json(self, *, full: bool = False) -> dict[str, Any]:
        """The ``User`` object as the REST API returns it.

        ``full`` is the view of the user themself or a system admin (``SanitizeProfile``): it adds
        ``notify_props`` and ``last_password_update``; others get ``auth_data`` blanked instead.
        People carry ``remote_id``; bot accounts do not, and say ``is_bot``.
        """
        body: dict[str, Any] = {
            "id": self.id,
            "create_at": self.create_at,
            "update_at": self.create_at,
            "delete_at": self.delete_at,
            "username": self.username,
            "auth_service": "",
            "email": self.email
            or (f"{self.username}@localhost" if self.is_bot else f"{self.username}@example.com"),
            "nickname": self.nickname,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "position": "",
            "roles": " ".join(sorted(self.roles, key=lambda role: (role != "system_user", role))),
            "locale": self.locale,
            "timezone": self.timezone_json(),
            "disable_welcome_email": False,
        }
        if full:
            body["notify_props"] = dict(DEFAULT_USER_NOTIFY_PROPS)
            body["last_password_update"] = self.create_at
        else:
            body["auth_data"] = ""
        if self.is_bot:
            body["is_bot"] = True
        else:
            body["remote_id"] = ""
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
    # Members who also hold ``team_admin`` (``scheme_admin``).
    admins: set[str] = field(default_factory=set)
    allow_open_invite: bool = False
    invite_id: str = ""

    def member_roles(self, user_id: str) -> str:
        """The roles of a member's team membership, as ``TeamMember.roles`` lists them."""
        return "team_user team_admin" if user_id in self.admins else "team_user"

    def member_json(self, user_id: str) -> dict[str, Any]:
        """The ``TeamMember`` object as the REST API returns it."""
        return {
            "team_id": self.id,
            "user_id": user_id,
            "roles": self.member_roles(user_id),
            "delete_at": 0,
            "scheme_guest": False,
            "scheme_user": True,
            "scheme_admin": user_id in self.admins,
            "explicit_roles": "",
        }

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
            "invite_id": self.invite_id,
            "allow_open_invite": self.allow_open_invite,
            "scheme_id": None,
            "group_constrained": None,
            "policy_id": None,
            "cloud_limits_archived": False,
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
                "channel_auto_follow_threads": "off",
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
            "shared": False if self.type in ("D", "G") else None,
            "policy_id": None,
            "policy_enforced": False,
            "policy_is_active": False,
            "default_category_name": "",
            "autotranslation": False,
            "banner_info": None,
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
