"""The simulator's in-memory server state: users, teams, permissions, channels and integrations.

Routes stay thin: they authenticate, check permissions with the helpers here, and call
these methods, which validate like Mattermost's model layer (:mod:`.model_rules`) and raise
:class:`AppError`. Posts and reactions come from :class:`~.state_posts.PostsState`. Every change
that Mattermost announces over the websocket is published to ``events``.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import system_posts
from .errors import AppError, forbidden, not_found
from .events import Broadcast, Event, EventSink
from .ids import new_id, now_ms
from .model_rules import validate_channel, validate_channel_header
from .models import (
    Channel,
    ChannelMember,
    Command,
    CommandHook,
    FileInfo,
    Post,
    Team,
    TriggerGrant,
    User,
)
from .permissions import channel_grants, team_grants
from .state_posts import PostsState

__all__ = ["Broadcast", "Event", "EventSink", "SimState"]

PENDING_POST_TTL_MS = 30_000
DEFAULT_CHANNELS = (("town-square", "Town Square"), ("off-topic", "Off-Topic"))


@dataclass
class SimState(PostsState):
    """Everything the simulated server knows."""

    users: dict[str, User] = field(default_factory=dict)
    teams: dict[str, Team] = field(default_factory=dict)
    channels: dict[str, Channel] = field(default_factory=dict)
    posts: dict[str, Post] = field(default_factory=dict)
    commands: dict[str, Command] = field(default_factory=dict)
    files: dict[str, FileInfo] = field(default_factory=dict)
    hooks: dict[str, CommandHook] = field(default_factory=dict)
    triggers: dict[str, TriggerGrant] = field(default_factory=dict)
    # Ephemeral posts are never stored, but their buttons must still work: keep the latest.
    ephemeral_posts: OrderedDict[str, Post] = field(default_factory=OrderedDict)
    clock: Callable[[], int] = now_ms
    sinks: list[EventSink] = field(default_factory=list)
    pending_posts: dict[str, tuple[str, int]] = field(default_factory=dict)
    # How long a ``pending_post_id`` is remembered (``pendingPostIDsCacheTTL``), in ms of ``clock``.
    pending_post_ttl_ms: int = PENDING_POST_TTL_MS
    post_seq: int = 0

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
        team = Team(
            id=new_id(), name=name, display_name=display_name, create_at=self.clock(), invite_id=new_id()
        )
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

    def add_team_member(self, team: Team, user: User, *, admin: bool = False) -> None:
        """Put a user on a team (``admin``: with the ``team_admin`` role too)."""
        team.members.add(user.id)
        if admin:
            team.admins.add(user.id)

    def add_default_channels(self, team: Team) -> None:
        """Make the team's ``town-square`` and ``off-topic``, as Mattermost does with every team."""
        for name, display_name in DEFAULT_CHANNELS:
            if self.channel_by_name(team.id, name, include_deleted=True) is None:
                channel = Channel(
                    id=new_id(),
                    team_id=team.id,
                    type="O",
                    name=name,
                    display_name=display_name,
                    creator_id="",
                    create_at=self.clock(),
                )
                self.channels[channel.id] = channel

    def join_default_channels(self, team: Team, user: User, announce: bool = False) -> None:
        """Put a team member in the team's default channels (``JoinDefaultChannels``)."""
        for name, _ in DEFAULT_CHANNELS:
            channel = self.channel_by_name(team.id, name)
            if channel is not None:
                self.add_channel_member(channel, user, announce=announce)

    def set_team_roles(self, team: Team, user: User, roles: str) -> None:
        """``UpdateTeamMemberRoles``: ``team_user`` with or without ``team_admin``."""
        if "team_admin" in roles.split():
            team.admins.add(user.id)
        else:
            team.admins.discard(user.id)

    # -- permissions ----------------------------------------------------------

    def is_team_member(self, user: User, team_id: str) -> bool:
        """Whether the user is on the team."""
        team = self.teams.get(team_id)
        return team is not None and user.id in team.members

    def can_read_channel(self, user: User, channel: Channel) -> bool:
        """``HasPermissionToReadChannel``: ``read_channel_content`` (members, system admins), or,
        for public channels, ``read_public_channel`` on the team (its members)."""
        if channel_grants(self, user, channel, "read_channel_content"):
            return True
        return channel.type == "O" and team_grants(self, user, channel.team_id, "read_public_channel")

    def require_read_channel(self, user: User, channel: Channel) -> None:
        """403 unless the user may read the channel."""
        if not self.can_read_channel(user, channel):
            raise forbidden("read_channel")

    def may_post(self, user: User, channel: Channel) -> bool:
        """``create_post`` on the channel (members; team admins anywhere in their team), or
        ``create_post_public`` on the team for public channels."""
        return channel_grants(self, user, channel, "create_post") or (
            channel.type == "O" and team_grants(self, user, channel.team_id, "create_post_public")
        )

    def require_post_channel(self, user: User, channel: Channel) -> None:
        """403 unless the user may post in the channel (:meth:`may_post`)."""
        if not self.may_post(user, channel):
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
        validate_channel(name, display_name, channel_type, header, purpose)
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
        self.add_channel_member(channel, creator, announce=False).roles = "channel_user channel_admin"
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
            # Two events, as AddUserToChannel sends: to the channel but the newcomer, and to them.
            data = {"user_id": user.id, "team_id": channel.team_id}
            self.publish(
                "user_added", data, Broadcast(channel_id=channel.id, omit_users=frozenset({user.id}))
            )
            self.publish("user_added", data, Broadcast(channel_id=channel.id, user_id=user.id))
        return member

    def remove_channel_member(self, channel: Channel, user: User, remover: User | None = None) -> None:
        """Remove a user from a channel and announce ``user_removed``."""
        if channel.members.pop(user.id, None) is None:
            return
        remover_id = (remover or user).id
        self.publish(
            "user_removed", {"user_id": user.id, "remover_id": remover_id}, Broadcast(channel_id=channel.id)
        )
        self.publish(
            "user_removed", {"channel_id": channel.id, "remover_id": remover_id}, Broadcast(user_id=user.id)
        )

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
            validate_channel(channel.name, new_display, channel.type, new_header, new_purpose)
        else:
            validate_channel_header(new_header)
        channel.display_name, channel.header, channel.purpose = new_display, new_header, new_purpose
        channel.update_at = self.clock()
        self.publish(
            "channel_updated",
            {"channel": json.dumps(channel.to_json())},
            Broadcast(channel_id=channel.id),
        )
        return channel

    def archive_channel(self, channel: Channel, by: User | None = None) -> None:
        """Archive (soft-delete) an open or private channel; broadcast ``channel_deleted``.

        ``by`` (a request's user) gets the ``system_channel_deleted`` message posted first.
        """
        if channel.type not in ("O", "P"):
            raise AppError(400, "api.channel.delete_channel.type.invalid", "Cannot delete this channel.")
        if channel.delete_at:
            raise AppError(400, "api.channel.delete_channel.deleted.app_error", "The channel is archived.")
        if channel.name == system_posts.DEFAULT_CHANNEL:
            raise AppError(
                400, "api.channel.delete_channel.cannot.app_error", "Unable to delete the default channel."
            )
        if by is not None:
            system_posts.channel_archived(self, by, channel)
        channel.delete_at = channel.update_at = self.clock()
        # Public channels are announced to the team, private ones to their members.
        audience = (
            Broadcast(team_id=channel.team_id) if channel.type == "O" else Broadcast(channel_id=channel.id)
        )
        self.publish("channel_deleted", {"channel_id": channel.id, "delete_at": channel.delete_at}, audience)

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
