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
    Reaction,
    Team,
    TriggerGrant,
    User,
)
from .state_posts import PostsState

__all__ = ["Broadcast", "Event", "EventSink", "SimState"]


@dataclass
class SimState(PostsState):
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
