"""Load a seed file (teams, users, channels) into the simulator's state."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field

from .models import Team, User
from .state import SimState


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TeamSeed(_Strict):
    """A team of the seed file."""

    name: str
    display_name: str


class UserSeed(_Strict):
    """A user of the seed file; ``token`` authenticates as ``Authorization: Bearer <token>``."""

    username: str
    token: str
    is_bot: bool = False
    roles: list[str] = Field(default_factory=list)
    teams: list[str] = Field(default_factory=list)
    team_roles: list[str] = Field(default_factory=list)
    timezone: str = "UTC"


class ChannelSeed(_Strict):
    """A channel of the seed file, with its members' usernames."""

    team: str
    name: str
    display_name: str
    type: str = "O"
    members: list[str] = Field(default_factory=list)
    header: str = ""
    purpose: str = ""


class Seed(_Strict):
    """The whole seed file."""

    teams: list[TeamSeed] = Field(default_factory=list)
    users: list[UserSeed] = Field(default_factory=list)
    channels: list[ChannelSeed] = Field(default_factory=list)


def load_seed(state: SimState, data: dict[str, Any]) -> None:
    """Create the seed's teams, users and channels in ``state``.

    As on Mattermost, every team has ``town-square`` and ``off-topic`` and its members are in
    both; ``team_roles: [team_admin]`` makes a member a team admin. Other channels are created
    by their first member (or the first user). All of it happens without websocket events or
    system messages: the seed is the world as it was before anyone connected.
    """
    seed = Seed.model_validate(data)
    teams = {t.name: state.add_team(t.name, t.display_name) for t in seed.teams}
    for team in teams.values():
        state.add_default_channels(team)
    users = {}
    sinks, state.sinks = state.sinks, []
    try:
        for u in seed.users:
            unknown_roles = set(u.team_roles) - {"team_user", "team_admin"}
            if unknown_roles:
                raise ValueError(f"user {u.username!r} has unknown team roles {sorted(unknown_roles)}")
            user = state.add_user(
                u.username, u.token, is_bot=u.is_bot, roles=set(u.roles), timezone=u.timezone
            )
            users[u.username] = user
            for team_name in u.teams:
                if team_name not in teams:
                    raise ValueError(f"user {u.username!r} names unknown team {team_name!r}")
                state.add_team_member(teams[team_name], user, admin="team_admin" in u.team_roles)
                state.join_default_channels(teams[team_name], user)
        for c in seed.channels:
            _seed_channel(state, c, teams, users)
    finally:
        state.sinks = sinks


def _seed_channel(state: SimState, c: ChannelSeed, teams: dict[str, Team], users: dict[str, User]) -> None:
    if c.team not in teams:
        raise ValueError(f"channel {c.name!r} names unknown team {c.team!r}")
    unknown = [m for m in c.members if m not in users]
    if unknown:
        raise ValueError(f"channel {c.name!r} names unknown users {unknown}")
    team_id = teams[c.team].id
    channel = state.channel_by_name(team_id, c.name)
    if channel is None:
        creator = users[c.members[0]] if c.members else next(iter(users.values()))
        channel = state.create_channel(creator, team_id, c.name, c.display_name, c.type, c.header, c.purpose)
        if not c.members:
            channel.members.clear()
    elif c.header or c.purpose:
        state.patch_channel(channel, header=c.header or None, purpose=c.purpose or None)
    for member in c.members:
        state.add_channel_member(channel, users[member])


def load_seed_file(state: SimState, path: Path) -> None:
    """Load a YAML seed file into ``state``."""
    load_seed(state, yaml.safe_load(path.read_text()) or {})
