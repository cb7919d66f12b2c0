"""The simulator's in-memory server state and the model rules Mattermost applies to it.

Routes stay thin: they authenticate, check permissions with the helpers here, and call
these methods, which validate like Mattermost's model layer and raise :class:`AppError`.
Every change that Mattermost announces over the websocket is published to ``events``.
"""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .errors import AppError, forbidden, not_found
from .ids import new_id, now_ms
from .models import (
    Channel,
    ChannelMember,
    Command,
    CommandHook,
    FileInfo,
    Post,
    Reaction,
    Team,
    TriggerGrant,
    User,
)

POST_MESSAGE_MAX_RUNES = 16383
POST_PROPS_MAX_RUNES = 800000
CHANNEL_NAME_MAX_LENGTH = 64
CHANNEL_DISPLAY_NAME_MAX_RUNES = 64
CHANNEL_HEADER_MAX_RUNES = 1024
CHANNEL_PURPOSE_MAX_RUNES = 250
EPHEMERAL_POSTS_KEPT = 1000
_CHANNEL_NAME_RE = re.compile(r"^[a-z0-9]+([a-z\-_0-9]+|(__)?)[a-z0-9]*$")
_DM_NAME_RE = re.compile(r"^[a-z0-9]{26}__[a-z0-9]{26}$")
_GM_NAME_RE = re.compile(r"^[a-f0-9]{40}$")


@dataclass(frozen=True)
class Broadcast:
    """Who receives a websocket event: one user, a channel's members, or a team's members."""

    user_id: str = ""
    channel_id: str = ""
    team_id: str = ""
    omit_users: frozenset[str] = frozenset()

    def to_json(self) -> dict[str, Any]:
        """The envelope's ``broadcast`` object (``omit_users`` is a map or null)."""
        return {
            "omit_users": {uid: True for uid in sorted(self.omit_users)} or None,
            "user_id": self.user_id,
            "channel_id": self.channel_id,
            "team_id": self.team_id,
            "connection_id": "",
            "omit_connection_id": "",
        }


@dataclass(frozen=True)
class Event:
    """A websocket event before it is addressed to a connection (no ``seq`` yet)."""

    event: str
    data: dict[str, Any]
    broadcast: Broadcast


EventSink = Callable[[Event], None]


@dataclass
class SimState:
    """Everything the simulated server knows."""

    users: dict[str, User] = field(default_factory=dict)
    teams: dict[str, Team] = field(default_factory=dict)
    channels: dict[str, Channel] = field(default_factory=dict)
    posts: dict[str, Post] = field(default_factory=dict)
    reactions: list[Reaction] = field(default_factory=list)
    commands: dict[str, Command] = field(default_factory=dict)
    files: dict[str, FileInfo] = field(default_factory=dict)
    hooks: dict[str, CommandHook] = field(default_factory=dict)
    triggers: dict[str, TriggerGrant] = field(default_factory=dict)
    # Ephemeral posts are never stored, but their buttons must still work: keep the latest.
    ephemeral_posts: OrderedDict[str, Post] = field(default_factory=OrderedDict)
    clock: Callable[[], int] = now_ms
    sinks: list[EventSink] = field(default_factory=list)

    # -- events ---------------------------------------------------------------

    def publish(self, event: str, data: dict[str, Any], broadcast: Broadcast) -> None:
        """Hand an event to every subscriber (the websocket hub, test recorders)."""
        message = Event(event, data, broadcast)
        for sink in list(self.sinks):
            sink(message)

    # -- users and teams ------------------------------------------------------

    def add_user(
        self,
        username: str,
        token: str,
        *,
        is_bot: bool = False,
        roles: set[str] | None = None,
        timezone: str = "UTC",
    ) -> User:
        """Create a user; ``roles`` adds to ``system_user``."""
        user = User(
            id=new_id(),
            username=username,
            token=token,
            create_at=self.clock(),
            is_bot=is_bot,
            roles={"system_user", *(roles or set())},
            timezone=timezone,
        )
        self.users[user.id] = user
        return user

    def user_by_token(self, token: str) -> User | None:
        """The active user a token authenticates, if any."""
        for user in self.users.values():
            if user.token and user.token == token and not user.delete_at:
                return user
        return None

    def user_by_username(self, username: str) -> User | None:
        """The user with this username (case-insensitive, as Mattermost stores lower case)."""
        wanted = username.lower()
        for user in self.users.values():
            if user.username.lower() == wanted:
                return user
        return None

    def get_user(self, user_id: str) -> User:
        """The user with this id, or 404."""
        user = self.users.get(user_id)
        if user is None:
            raise not_found("app.user.missing_account.const", "Unable to find the user.")
        return user

    def add_team(self, name: str, display_name: str) -> Team:
        """Create a team."""
        team = Team(id=new_id(), name=name, display_name=display_name, create_at=self.clock())
        self.teams[team.id] = team
        return team

    def team_by_name(self, name: str) -> Team | None:
        """The team with this name, if any."""
        for team in self.teams.values():
            if team.name == name:
                return team
        return None

    def get_team(self, team_id: str) -> Team:
        """The team with this id, or 404."""
        team = self.teams.get(team_id)
        if team is None:
            raise not_found("app.team.get.find.app_error", "Unable to find the existing team.")
        return team

    def add_team_member(self, team: Team, user: User) -> None:
        """Put a user on a team."""
        team.members.add(user.id)

    # -- permissions ----------------------------------------------------------

    def is_team_member(self, user: User, team_id: str) -> bool:
        """Whether the user is on the team."""
        team = self.teams.get(team_id)
        return team is not None and user.id in team.members

    def can_read_channel(self, user: User, channel: Channel) -> bool:
        """Mattermost's ``read_channel``: members, or (public channels) any team member.

        System admins may read every channel.
        """
        if user.is_system_admin or user.id in channel.members:
            return True
        return channel.type == "O" and self.is_team_member(user, channel.team_id)

    def require_read_channel(self, user: User, channel: Channel) -> None:
        """403 unless the user may read the channel."""
        if not self.can_read_channel(user, channel):
            raise forbidden("read_channel")

    def require_post_channel(self, user: User, channel: Channel) -> None:
        """403 unless the user may post in the channel (member, or admin)."""
        if user.is_system_admin or user.id in channel.members:
            return
        raise forbidden("create_post")

    # -- channels -------------------------------------------------------------

    def get_channel(self, channel_id: str) -> Channel:
        """The channel with this id, or 404."""
        channel = self.channels.get(channel_id)
        if channel is None:
            raise not_found("app.channel.get.existing.app_error", "Unable to find the existing channel.")
        return channel

    def channel_by_name(self, team_id: str, name: str, include_deleted: bool = False) -> Channel | None:
        """The channel of a team with this name, if any."""
        for channel in self.channels.values():
            if channel.team_id == team_id and channel.name == name:
                if channel.delete_at and not include_deleted:
                    continue
                return channel
        return None

    def validate_channel(
        self, name: str, display_name: str, channel_type: str, header: str, purpose: str
    ) -> None:
        """``Channel.IsValid`` for open and private channels: 400 with Mattermost's error ids."""
        if channel_type not in ("O", "P"):
            raise AppError(400, "model.channel.is_valid.type.app_error", "Invalid type.")
        if not name or len(name) > CHANNEL_NAME_MAX_LENGTH or not _CHANNEL_NAME_RE.match(name):
            raise AppError(
                400,
                "model.channel.is_valid.2_or_more.app_error",
                "Name must be 2 or more lowercase alphanumeric characters.",
            )
        if _DM_NAME_RE.match(name) or _GM_NAME_RE.match(name):
            raise AppError(400, "model.channel.is_valid.name.app_error", "Invalid channel name.")
        if not display_name.strip() or len(display_name) > CHANNEL_DISPLAY_NAME_MAX_RUNES:
            raise AppError(400, "model.channel.is_valid.display_name.app_error", "Invalid display name.")
        if len(header) > CHANNEL_HEADER_MAX_RUNES:
            raise AppError(400, "model.channel.is_valid.header.app_error", "Invalid header.")
        if len(purpose) > CHANNEL_PURPOSE_MAX_RUNES:
            raise AppError(400, "model.channel.is_valid.purpose.app_error", "Invalid purpose.")

    def create_channel(
        self,
        creator: User,
        team_id: str,
        name: str,
        display_name: str,
        channel_type: str,
        header: str = "",
        purpose: str = "",
    ) -> Channel:
        """Create an open or private channel, its creator as first member; announce it."""
        self.get_team(team_id)
        self.validate_channel(name, display_name, channel_type, header, purpose)
        if self.channel_by_name(team_id, name, include_deleted=True) is not None:
            raise AppError(
                400,
                "store.sql_channel.save_channel.exists.app_error",
                "A channel with that name already exists on the same team.",
            )
        channel = Channel(
            id=new_id(),
            team_id=team_id,
            type=channel_type,
            name=name,
            display_name=display_name.strip(),
            creator_id=creator.id,
            create_at=self.clock(),
            header=header,
            purpose=purpose,
        )
        self.channels[channel.id] = channel
        self.add_channel_member(channel, creator, announce=False)
        self.publish(
            "channel_created",
            {"channel_id": channel.id, "team_id": team_id},
            Broadcast(user_id=creator.id),
        )
        return channel

    def add_channel_member(self, channel: Channel, user: User, announce: bool = True) -> ChannelMember:
        """Add a user to a channel (idempotent) and announce ``user_added``."""
        existing = channel.members.get(user.id)
        if existing is not None:
            return existing
        member = ChannelMember(channel_id=channel.id, user_id=user.id, last_update_at=self.clock())
        channel.members[user.id] = member
        if announce:
            self.publish(
                "user_added",
                {"user_id": user.id, "team_id": channel.team_id},
                Broadcast(channel_id=channel.id),
            )
        return member

    def remove_channel_member(self, channel: Channel, user: User) -> None:
        """Remove a user from a channel and announce ``user_removed``."""
        if channel.members.pop(user.id, None) is None:
            return
        data = {"channel_id": channel.id, "remover_id": user.id, "user_id": user.id}
        self.publish("user_removed", data, Broadcast(channel_id=channel.id))
        self.publish("user_removed", data, Broadcast(user_id=user.id))

    def direct_channel(self, creator: User, other: User) -> Channel:
        """The direct channel between two users, created on first use."""
        name = "__".join(sorted((creator.id, other.id)))
        for channel in self.channels.values():
            if channel.type == "D" and channel.name == name:
                return channel
        channel = Channel(
            id=new_id(),
            team_id="",
            type="D",
            name=name,
            display_name="",
            creator_id=creator.id,
            create_at=self.clock(),
        )
        self.channels[channel.id] = channel
        for user in {creator.id: creator, other.id: other}.values():
            channel.members[user.id] = ChannelMember(channel.id, user.id, self.clock())
        self.publish(
            "direct_added",
            {"creator_id": creator.id, "teammate_id": other.id},
            Broadcast(channel_id=channel.id),
        )
        return channel

    def patch_channel(
        self,
        channel: Channel,
        *,
        display_name: str | None = None,
        header: str | None = None,
        purpose: str | None = None,
    ) -> Channel:
        """Apply a ``ChannelPatch`` after ``Channel.IsValid``; broadcast ``channel_updated``."""
        new_display = channel.display_name if display_name is None else display_name.strip()
        new_header = channel.header if header is None else header
        new_purpose = channel.purpose if purpose is None else purpose
        if channel.type in ("O", "P"):
            self.validate_channel(channel.name, new_display, channel.type, new_header, new_purpose)
        elif len(new_header) > CHANNEL_HEADER_MAX_RUNES:
            raise AppError(400, "model.channel.is_valid.header.app_error", "Invalid header.")
        channel.display_name, channel.header, channel.purpose = new_display, new_header, new_purpose
        channel.update_at = self.clock()
        self.publish(
            "channel_updated",
            {"channel": json.dumps(channel.to_json())},
            Broadcast(channel_id=channel.id),
        )
        return channel

    def archive_channel(self, channel: Channel) -> None:
        """Archive (soft-delete) an open or private channel; broadcast ``channel_deleted``."""
        if channel.type not in ("O", "P"):
            raise AppError(400, "api.channel.delete_channel.type.invalid", "Cannot delete this channel.")
        if channel.delete_at:
            raise AppError(400, "api.channel.delete_channel.deleted.app_error", "The channel is archived.")
        channel.delete_at = channel.update_at = self.clock()
        self.publish(
            "channel_deleted",
            {"channel_id": channel.id, "delete_at": channel.delete_at, "team_id": channel.team_id},
            Broadcast(team_id=channel.team_id),
        )

    def save_file(self, uploader: User, channel: Channel, name: str, mime_type: str, data: bytes) -> FileInfo:
        """Store an uploaded file, not yet attached to any post."""
        info = FileInfo(
            id=new_id(),
            user_id=uploader.id,
            channel_id=channel.id,
            name=name,
            mime_type=mime_type,
            data=data,
            create_at=self.clock(),
        )
        self.files[info.id] = info
        return info

    # -- posts ----------------------------------------------------------------

    def validate_post(self, message: str, props: dict[str, Any], post_type: str) -> None:
        """``Post.IsValid``: message length, props size, post type."""
        if len(message) > POST_MESSAGE_MAX_RUNES:
            raise AppError(400, "model.post.is_valid.message_length.app_error", "Message too long.")
        if len(json.dumps(props)) > POST_PROPS_MAX_RUNES:
            raise AppError(400, "model.post.is_valid.props.app_error", "Invalid props.")
        if post_type.startswith("system_"):
            raise AppError(400, "model.post.is_valid.type.app_error", "Invalid type.")

    def create_post(
        self,
        author: User,
        channel: Channel,
        message: str,
        *,
        root_id: str = "",
        props: dict[str, Any] | None = None,
        post_type: str = "",
        file_ids: list[str] | None = None,
        pending_post_id: str = "",
    ) -> Post:
        """Store a post and broadcast ``posted``.

        A repeated ``pending_post_id`` from the same author returns the first post, as
        Mattermost's de-duplication of client retries does.
        """
        if pending_post_id:
            for post in self.posts.values():
                if post.pending_post_id == pending_post_id and post.user_id == author.id:
                    return post
        props = dict(props or {})
        if props.get("attachments") and not post_type:
            post_type = "slack_attachment"
        self.validate_post(message, props, post_type)
        if root_id:
            root = self.posts.get(root_id)
            if root is None or root.channel_id != channel.id or root.delete_at:
                raise AppError(400, "api.post.create_post.root_id.app_error", "Invalid RootId parameter.")
        self._assign_action_ids(props)
        post = Post(
            id=new_id(),
            channel_id=channel.id,
            user_id=author.id,
            message=message,
            create_at=self.clock(),
            root_id=root_id,
            type=post_type,
            props=props,
            file_ids=list(file_ids or []),
            pending_post_id=pending_post_id,
        )
        if author.is_bot:
            post.props["from_bot"] = "true"
        for file_id in post.file_ids:
            if file_id in self.files:
                self.files[file_id].post_id = post.id
        self.posts[post.id] = post
        channel.last_post_at = post.create_at
        channel.total_msg_count += 1
        self.publish("posted", self.posted_data(post, channel, author), Broadcast(channel_id=channel.id))
        return post

    def posted_data(self, post: Post, channel: Channel, author: User) -> dict[str, Any]:
        """The ``data`` of a ``posted`` event."""
        display = f"@{author.username}" if channel.type == "D" else channel.display_name
        return {
            "channel_display_name": display,
            "channel_name": channel.name,
            "channel_type": channel.type,
            "post": post.to_json_string(),
            "sender_name": f"@{author.username}",
            "set_online": True,
            "team_id": channel.team_id,
        }

    @staticmethod
    def _assign_action_ids(props: dict[str, Any]) -> None:
        """Give every action without an id a generated one, as the server does on save."""
        for attachment in props.get("attachments") or []:
            if isinstance(attachment, dict):
                for action in attachment.get("actions") or []:
                    if isinstance(action, dict) and not action.get("id"):
                        action["id"] = new_id()

    def get_post(self, post_id: str) -> Post:
        """The live post with this id, or 404."""
        post = self.posts.get(post_id)
        if post is None or post.delete_at:
            raise not_found("app.post.get.app_error", "Unable to get the post.")
        return post

    def update_post(self, post: Post, message: str, props: dict[str, Any] | None) -> Post:
        """Replace a post's message (and props, when given); broadcast ``post_edited``."""
        new_props = dict(props) if props is not None else post.props
        self.validate_post(message, new_props, post.type)
        self._assign_action_ids(new_props)
        if props is not None and new_props.get("attachments"):
            post.type = post.type or "slack_attachment"
        if post.message != message:
            post.edit_at = self.clock()
        post.message = message
        post.props = new_props
        post.update_at = self.clock()
        self.publish(
            "post_edited",
            {"post": post.to_json_string()},
            Broadcast(channel_id=post.channel_id),
        )
        return post

    def delete_post(self, post: Post) -> None:
        """Soft-delete a post; broadcast ``post_deleted``."""
        post.delete_at = self.clock()
        self.publish("post_deleted", {"post": post.to_json_string()}, Broadcast(channel_id=post.channel_id))

    def send_ephemeral(
        self,
        user_id: str,
        channel_id: str,
        message: str,
        props: dict[str, Any] | None = None,
        root_id: str = "",
    ) -> Post:
        """Deliver an ephemeral post to one user (never stored) via ``ephemeral_message``."""
        post = Post(
            id=new_id(),
            channel_id=channel_id,
            user_id=user_id,
            message=message,
            create_at=self.clock(),
            root_id=root_id,
            type="system_ephemeral",
            props=dict(props or {}),
            ephemeral=True,
        )
        self._assign_action_ids(post.props)
        self.ephemeral_posts[post.id] = post
        while len(self.ephemeral_posts) > EPHEMERAL_POSTS_KEPT:
            self.ephemeral_posts.popitem(last=False)
        self.publish(
            "ephemeral_message",
            {"post": post.to_json_string()},
            Broadcast(user_id=user_id, channel_id=channel_id),
        )
        return post

    def channel_posts(self, channel_id: str) -> list[Post]:
        """The channel's live posts, oldest first."""
        return sorted(
            (p for p in self.posts.values() if p.channel_id == channel_id and not p.delete_at),
            key=lambda p: (p.create_at, p.id),
        )

    # -- reactions ------------------------------------------------------------

    def add_reaction(self, user: User, post: Post, emoji_name: str) -> Reaction:
        """Add a reaction (idempotent) and broadcast ``reaction_added``."""
        for reaction in self.reactions:
            if (reaction.user_id, reaction.post_id, reaction.emoji_name) == (user.id, post.id, emoji_name):
                return reaction
        reaction = Reaction(user.id, post.id, emoji_name, self.clock())
        self.reactions.append(reaction)
        post.has_reactions = True
        self.publish(
            "reaction_added",
            {"reaction": json.dumps(reaction.to_json() | {"channel_id": post.channel_id})},
            Broadcast(channel_id=post.channel_id),
        )
        return reaction

    def remove_reaction(self, user: User, post: Post, emoji_name: str) -> None:
        """Remove a reaction and broadcast ``reaction_removed``."""
        for reaction in list(self.reactions):
            if (reaction.user_id, reaction.post_id, reaction.emoji_name) == (user.id, post.id, emoji_name):
                self.reactions.remove(reaction)
                post.has_reactions = any(r.post_id == post.id for r in self.reactions)
                self.publish(
                    "reaction_removed",
                    {"reaction": json.dumps(reaction.to_json() | {"channel_id": post.channel_id})},
                    Broadcast(channel_id=post.channel_id),
                )
                return

    def post_reactions(self, post_id: str) -> list[Reaction]:
        """The reactions on a post, oldest first."""
        return [r for r in self.reactions if r.post_id == post_id]

    # -- integrations ---------------------------------------------------------

    def issue_trigger(self, user: User) -> TriggerGrant:
        """A new ``trigger_id`` for a user, valid for opening one dialog."""
        grant = TriggerGrant(id=new_id() + new_id(), user_id=user.id, create_at=self.clock())
        self.triggers[grant.id] = grant
        return grant

    def command_by_trigger(self, team_id: str, trigger: str) -> Command | None:
        """The live custom command of a team with this trigger."""
        for command in self.commands.values():
            if command.team_id == team_id and command.trigger == trigger and not command.delete_at:
                return command
        return None
