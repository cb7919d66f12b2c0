"""The Mattermost a test talks to: the simulator or a real server, chosen by ``PLAYBOOKS_TEST_MATTERMOST``.

Tests that act through Mattermost's API take the :class:`Backstage` of the server they run on:
its address, the seeded people's tokens, and what an administrator does to set the scene (add a
person, put them on a team or in a channel, make or archive a channel). On the simulator these
go straight into its state, as before anyone is watching; on the real server the system
administrator does them through REST. Both can be restarted mid-test (:meth:`Backstage.restart`).
Faults in what the bot hears (errors, 429s, hangs, dropped websockets) are injected by the
fault proxy in front of either server (:mod:`tests.fault_proxy`, ``harness.faults``); a test that
needs the simulator's own hands (its state, its internals) is marked ``sim_only`` and is skipped
on the real server with its reason.

The real server is started once per test session (``python -m mattermost_real up`` in Python)
and put back to the seeded world before each test: every test sees the same world on both.
"""

from __future__ import annotations

import asyncio
import os
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

import aiohttp

from mattermost_real.server import RealMattermost
from mattermost_sim import Simulator
from mattermost_sim.client import Person

MATTERMOST_ENV = "PLAYBOOKS_TEST_MATTERMOST"
ADMIN = "root"
PASSWORD = "Playbooks-seed-1!"


def server_kind() -> str:
    """``sim`` (the default) or ``real``."""
    kind = os.environ.get(MATTERMOST_ENV, "sim").strip().lower() or "sim"
    if kind not in ("sim", "real"):
        raise ValueError(f"{MATTERMOST_ENV} must be 'sim' or 'real', not {kind!r}")
    return kind


class Backstage(ABC):
    """One Mattermost as the test's stage crew sees it: where it is, who is there, set-up powers."""

    kind: str
    url: str
    sim: Simulator | None

    @abstractmethod
    def token(self, username: str) -> str:
        """The access token of a seeded or added person (or bot)."""

    def person(self, username: str) -> Person:
        """A :class:`Person` client signed in as ``username`` (use it with ``async with``)."""
        return Person(self.url, self.token(username))

    @abstractmethod
    async def user_id(self, username: str) -> str:
        """A user's id."""

    @abstractmethod
    async def add_user(self, username: str, *, team_ids: Sequence[str] = ()) -> str:
        """Create a person with a token, on the given teams; their id."""

    @abstractmethod
    async def add_channel_member(self, channel_id: str, username: str) -> None:
        """Put a person in a channel, as an administrator adding them would."""

    @abstractmethod
    async def create_channel(
        self, creator: str, team_id: str, name: str, display_name: str, channel_type: str = "O"
    ) -> str:
        """Make a channel with ``creator`` as its first member; its id."""

    @abstractmethod
    async def archive_channel(self, channel_id: str) -> None:
        """Archive a channel."""

    @abstractmethod
    async def set_timezone(self, username: str, zone: str) -> None:
        """Give a person a manual time zone (an IANA name), as they would in their settings."""

    @abstractmethod
    async def add_team(self, name: str, display_name: str) -> str:
        """Make an open team with its ``town-square`` and nobody on it; its id."""

    @abstractmethod
    async def add_team_member(self, team_id: str, username: str, *, team_admin: bool = False) -> None:
        """Put a person on a team and, as Mattermost does, in its ``town-square``.

        ``team_admin`` gives them the team administrator role too (what the bot needs to register
        its slash command there).
        """

    @abstractmethod
    async def restart(self, *, graceful: bool = False) -> None:
        """Stop Mattermost and start it again on the same database and port: everything it keeps
        only in memory (websocket connections and their ids, recent ``pending_post_id`` values)
        is forgotten; its data stays. ``graceful`` lets it shut down as ``SIGTERM`` asks (slow on
        a real server) rather than stopping it at once."""


class SimBackstage(Backstage):
    """The simulator: set-up goes straight into its state, without websocket announcements."""

    kind = "sim"
    sim: Simulator

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.url = sim.url

    def _user(self, username: str) -> Any:
        user = self.sim.state.user_by_username(username)
        if user is None:
            raise KeyError(f"no user {username!r} on the simulator")
        return user

    def token(self, username: str) -> str:
        """The token the seed or :meth:`add_user` gave the user."""
        return str(self._user(username).token)

    async def user_id(self, username: str) -> str:
        """The user's id."""
        return str(self._user(username).id)

    async def add_user(self, username: str, *, team_ids: Sequence[str] = ()) -> str:
        """A new user with token ``<username>-token``."""
        state = self.sim.state
        user = state.add_user(username, f"{username}-token")
        for team_id in team_ids:
            state.add_team_member(state.get_team(team_id), user)
        return str(user.id)

    async def add_channel_member(self, channel_id: str, username: str) -> None:
        """Add quietly, as the seed does."""
        state = self.sim.state
        state.add_channel_member(state.get_channel(channel_id), self._user(username), announce=False)

    async def create_channel(
        self, creator: str, team_id: str, name: str, display_name: str, channel_type: str = "O"
    ) -> str:
        """A channel made in the state."""
        user = self._user(creator)
        channel = self.sim.state.create_channel(user, team_id, name, display_name, channel_type)
        return str(channel.id)

    async def archive_channel(self, channel_id: str) -> None:
        """Archive in the state."""
        state = self.sim.state
        state.archive_channel(state.get_channel(channel_id))

    async def set_timezone(self, username: str, zone: str) -> None:
        """Set on the user in the state."""
        user = self._user(username)
        user.timezone, user.timezone_props = zone, None

    async def add_team(self, name: str, display_name: str) -> str:
        """A team in the state with its empty ``town-square`` and ``off-topic``, made quietly."""
        state = self.sim.state
        team = state.add_team(name, display_name)
        state.add_default_channels(team)
        return str(team.id)

    async def add_team_member(self, team_id: str, username: str, *, team_admin: bool = False) -> None:
        """On the team (a team admin if asked) and quietly in its default channels."""
        state = self.sim.state
        user = self._user(username)
        team = state.get_team(team_id)
        state.add_team_member(team, user, admin=team_admin)
        state.join_default_channels(team, user)

    async def restart(self, *, graceful: bool = False) -> None:
        """The simulator's own restart (same port, same state, connections forgotten); it is
        quick either way."""
        await self.sim.restart()


class RealBackstage(Backstage):
    """A real Mattermost: set-up by the system administrator ``root`` through REST."""

    kind = "real"
    sim = None

    def __init__(
        self,
        url: str,
        tokens: dict[str, str],
        user_ids: dict[str, str],
        *,
        server: RealMattermost | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.tokens = dict(tokens)
        self.user_ids = dict(user_ids)
        self.server = server

    def token(self, username: str) -> str:
        """The token made at seeding, or by :meth:`add_user`."""
        try:
            return self.tokens[username]
        except KeyError:
            raise KeyError(f"no user {username!r} was seeded or added on the real server") from None

    async def _call(self, method: str, path: str, body: Any = None) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[ADMIN]}"}
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session,
            session.request(method, f"{self.url}/api/v4{path}", json=body, headers=headers) as response,
        ):
            text = await response.text()
            if response.status >= 400:
                raise RuntimeError(f"set-up {method} {path} refused: {response.status} {text[:300]}")
            return await response.json(content_type=None) if text else None

    async def user_id(self, username: str) -> str:
        """Asked of the server when not known."""
        if username not in self.user_ids:
            user = await self._call("GET", f"/users/username/{username}")
            self.user_ids[username] = str(user["id"])
        return self.user_ids[username]

    async def add_user(self, username: str, *, team_ids: Sequence[str] = ()) -> str:
        """Sign the person up, give them a personal access token, put them on the teams."""
        body = {"username": username, "email": f"{username}@example.com", "password": PASSWORD}
        user = await self._call("POST", "/users", body)
        user_id = str(user["id"])
        token = await self._call("POST", f"/users/{user_id}/tokens", {"description": "test"})
        self.tokens[username], self.user_ids[username] = str(token["token"]), user_id
        for team_id in team_ids:
            await self._call("POST", f"/teams/{team_id}/members", {"team_id": team_id, "user_id": user_id})
        return user_id

    async def add_channel_member(self, channel_id: str, username: str) -> None:
        """The administrator adds them (Mattermost announces it in the channel)."""
        body = {"user_id": await self.user_id(username)}
        await self._call("POST", f"/channels/{channel_id}/members", body)

    async def create_channel(
        self, creator: str, team_id: str, name: str, display_name: str, channel_type: str = "O"
    ) -> str:
        """Made by the creator themself, so they are its first member."""
        async with self.person(creator) as person:
            channel = await person.create_channel(team_id, name, display_name, channel_type)
        return str(channel["id"])

    async def archive_channel(self, channel_id: str) -> None:
        """Deleted (archived) by the administrator."""
        await self._call("DELETE", f"/channels/{channel_id}")

    async def set_timezone(self, username: str, zone: str) -> None:
        """The administrator patches the user's ``timezone`` (automatic off, manual ``zone``)."""
        timezone = {"useAutomaticTimezone": "false", "automaticTimezone": "", "manualTimezone": zone}
        await self._call("PUT", f"/users/{await self.user_id(username)}/patch", {"timezone": timezone})

    async def add_team(self, name: str, display_name: str) -> str:
        """Made by the administrator, who then leaves it (as seeding does).

        Mattermost makes ``town-square`` and ``off-topic`` with every team.
        """
        team = await self._call("POST", "/teams", {"name": name, "display_name": display_name, "type": "O"})
        team_id = str(team["id"])
        await self._call("DELETE", f"/teams/{team_id}/members/{await self.user_id(ADMIN)}")
        return team_id

    async def add_team_member(self, team_id: str, username: str, *, team_admin: bool = False) -> None:
        """The administrator adds them; Mattermost puts them in the team's default channels."""
        user_id = await self.user_id(username)
        await self._call("POST", f"/teams/{team_id}/members", {"team_id": team_id, "user_id": user_id})
        if team_admin:
            roles = {"roles": "team_user team_admin"}
            await self._call("PUT", f"/teams/{team_id}/members/{user_id}/roles", roles)

    async def restart(self, *, graceful: bool = False) -> None:
        """Stop the server process and start it again, on the same database, configuration and
        port; unlike the reset between tests, nothing is put back. It is killed at once, as a
        crash would end it (what it had committed stays); ``graceful`` stops it with ``SIGTERM``
        and waits for its shutdown instead, which takes Mattermost several seconds."""
        server = self.server
        if server is None:
            raise RuntimeError("this RealBackstage was made without its RealMattermost: it cannot restart it")
        # Stopping waits for the process in a blocking loop: not on the event loop the bot runs on.
        await asyncio.to_thread(server.stop_process, graceful=graceful)
        await server.start()
        if server.info is not None and server.process is not None:
            server.info.pid = server.process.pid
            server.info.write(server.state_dir)
