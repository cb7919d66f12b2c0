"""Create a seed file's world (teams, users, bots, channels) on a real Mattermost through REST.

The seed has the simulator's shape (:class:`mattermost_sim.seed.Seed`). A real server makes its
own ids and tokens, so the result maps each username to a personal access token. The first seed
user with the ``system_admin`` role signs up first: on a new server the first account becomes a
system administrator, and it creates everything else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import aiohttp

from mattermost_sim.seed import Seed, UserSeed

PASSWORD = "Playbooks-seed-1!"
REQUEST_TIMEOUT_S = 30


class SeedingError(Exception):
    """Mattermost refused a request while the world was being created."""


@dataclass
class SeededWorld:
    """What seeding made: user ids and access tokens by username, team ids by name."""

    user_ids: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    team_ids: dict[str, str] = field(default_factory=dict)


class _Api:
    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self.session = session
        self.base = f"{url.rstrip('/')}/api/v4"
        self.token = ""

    async def call(self, method: str, path: str, body: Any = None, *, ok: tuple[int, ...] = ()) -> Any:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        async with self.session.request(method, self.base + path, json=body, headers=headers) as response:
            text = await response.text()
            if response.status >= 400 and response.status not in ok:
                raise SeedingError(f"{method} {path} answered {response.status}: {text[:500]}")
            if response.status in ok:
                return None
            if path == "/users/login":
                self.token = response.headers.get("Token", "")
            return await response.json(content_type=None) if text else None


def _admin_of(seed: Seed) -> UserSeed:
    for user in seed.users:
        if "system_admin" in user.roles and not user.is_bot:
            return user
    raise SeedingError(
        "a real server needs one person in the seed with roles: [system_admin] to create the rest"
    )


async def _create_user(api: _Api, user: UserSeed) -> str:
    if user.is_bot:
        bot = await api.call(
            "POST", "/bots", {"username": user.username, "display_name": user.username.capitalize()}
        )
        return str(bot["user_id"])
    created = await api.call(
        "POST",
        "/users",
        {"username": user.username, "email": f"{user.username}@example.com", "password": PASSWORD},
    )
    return str(created["id"])


async def seed_world(url: str, seed: Seed) -> SeededWorld:
    """Create ``seed`` on the fresh server at ``url``; what was made."""
    world = SeededWorld()
    admin = _admin_of(seed)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        api = _Api(session, url)
        first = await api.call(
            "POST",
            "/users",
            {"username": admin.username, "email": f"{admin.username}@example.com", "password": PASSWORD},
        )
        await api.call("POST", "/users/login", {"login_id": admin.username, "password": PASSWORD})
        world.user_ids[admin.username] = str(first["id"])
        for user in seed.users:
            if user is not admin:
                world.user_ids[user.username] = await _create_user(api, user)
        for user in seed.users:
            user_id = world.user_ids[user.username]
            roles = " ".join(["system_user", *[r for r in user.roles if r != "system_user"]])
            await api.call("PUT", f"/users/{user_id}/roles", {"roles": roles})
            if user.timezone != "UTC" and not user.is_bot:
                timezone = {"useAutomaticTimezone": "false", "manualTimezone": user.timezone}
                await api.call("PUT", f"/users/{user_id}/patch", {"timezone": timezone})
            token = await api.call("POST", f"/users/{user_id}/tokens", {"description": "seed"})
            world.tokens[user.username] = str(token["token"])
        await _seed_teams(api, seed, world, admin.username)
        await _seed_channels(api, seed, world)
    return world


async def _seed_teams(api: _Api, seed: Seed, world: SeededWorld, admin: str) -> None:
    for team in seed.teams:
        created = await api.call(
            "POST", "/teams", {"name": team.name, "display_name": team.display_name, "type": "O"}
        )
        world.team_ids[team.name] = str(created["id"])
    for user in seed.users:
        for team_name in user.teams:
            if team_name not in world.team_ids:
                raise SeedingError(f"user {user.username!r} names unknown team {team_name!r}")
            team_id, user_id = world.team_ids[team_name], world.user_ids[user.username]
            await api.call("POST", f"/teams/{team_id}/members", {"team_id": team_id, "user_id": user_id})
            roles = " ".join(["team_user", *user.team_roles])
            await api.call("PUT", f"/teams/{team_id}/members/{user_id}/roles", {"roles": roles})
    # Creating a team made the administrator its member; the seed says who belongs.
    admin_seed = next(u for u in seed.users if u.username == admin)
    for team_name, team_id in world.team_ids.items():
        if team_name not in admin_seed.teams:
            await api.call("DELETE", f"/teams/{team_id}/members/{world.user_ids[admin]}")


async def _seed_channels(api: _Api, seed: Seed, world: SeededWorld) -> None:
    for channel in seed.channels:
        if channel.team not in world.team_ids:
            raise SeedingError(f"channel {channel.name!r} names unknown team {channel.team!r}")
        unknown = [m for m in channel.members if m not in world.user_ids]
        if unknown:
            raise SeedingError(f"channel {channel.name!r} names unknown users {unknown}")
        team_id = world.team_ids[channel.team]
        existing = await api.call("GET", f"/teams/{team_id}/channels/name/{channel.name}", ok=(404,))
        if existing is None:
            existing = await api.call(
                "POST",
                "/channels",
                {
                    "team_id": team_id,
                    "name": channel.name,
                    "display_name": channel.display_name,
                    "type": channel.type,
                    "header": channel.header,
                    "purpose": channel.purpose,
                },
            )
        elif channel.header or channel.purpose:
            patch = {"header": channel.header, "purpose": channel.purpose}
            await api.call("PUT", f"/channels/{existing['id']}/patch", patch)
        for member in channel.members:
            body = {"user_id": world.user_ids[member]}
            await api.call("POST", f"/channels/{existing['id']}/members", body)
