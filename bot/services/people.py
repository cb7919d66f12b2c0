"""Who people are: names, roles and team membership, read through the gateway and cached briefly."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from bot.domain.errors import DomainError
from bot.mattermost.gateway import MattermostGateway
from bot.mattermost.types import MMUser

# Names and roles change rarely; a short cache keeps a busy run channel from asking Mattermost
# for the same user on every click, and stays fresh enough for permission checks.
CACHE_SECONDS = 60.0


@dataclass
class People:
    """Cached look-ups of users and team memberships."""

    gateway: MattermostGateway
    ttl: float = CACHE_SECONDS
    monotonic: Callable[[], float] = time.monotonic
    _users: dict[str, tuple[float, MMUser]] = field(default_factory=dict)
    _members: dict[tuple[str, str], tuple[float, bool]] = field(default_factory=dict)

    def _fresh(self, stamp: float) -> bool:
        return self.monotonic() - stamp < self.ttl

    async def user(self, user_id: str) -> MMUser:
        """The user with this id (raises the gateway's ``NotFound`` for an unknown id)."""
        cached = self._users.get(user_id)
        if cached is not None and self._fresh(cached[0]):
            return cached[1]
        user = await self.gateway.user(user_id)
        self._users[user_id] = (self.monotonic(), user)
        return user

    async def users(self, user_ids: Iterable[str]) -> dict[str, MMUser]:
        """Users by id, in one request for those not cached; unknown ids are left out."""
        wanted = [uid for uid in dict.fromkeys(user_ids) if uid]
        found: dict[str, MMUser] = {}
        missing: list[str] = []
        for uid in wanted:
            cached = self._users.get(uid)
            if cached is not None and self._fresh(cached[0]):
                found[uid] = cached[1]
            else:
                missing.append(uid)
        if missing:
            now = self.monotonic()
            for user in await self.gateway.users_by_ids(missing):
                self._users[user.id] = (now, user)
                found[user.id] = user
        return found

    async def usernames(self, user_ids: Iterable[str]) -> dict[str, str]:
        """Usernames by id (unknown ids are left out)."""
        return {uid: user.username for uid, user in (await self.users(user_ids)).items()}

    async def by_username(self, username: str) -> MMUser | None:
        """The user with this username (a leading ``@`` is ignored), or None."""
        user = await self.gateway.user_by_username(username.strip().removeprefix("@"))
        if user is not None:
            self._users[user.id] = (self.monotonic(), user)
        return user

    async def is_system_admin(self, user_id: str) -> bool:
        """Whether the user is a system admin."""
        return (await self.user(user_id)).is_system_admin

    async def is_team_member(self, team_id: str, user_id: str) -> bool:
        """Whether the user is on the team."""
        key = (team_id, user_id)
        cached = self._members.get(key)
        if cached is not None and self._fresh(cached[0]):
            return cached[1]
        member = await self.gateway.is_team_member(team_id, user_id)
        self._members[key] = (self.monotonic(), member)
        return member


class PersonNotFoundError(DomainError):
    """A person named in a command is unknown, or not on the team the command is about."""


async def team_member_named(people: People, team_id: str, word: str) -> MMUser:
    """The person ``word`` names (``@alice`` or ``alice``), who must be on the team to join a run."""
    name = word.strip().lstrip("@")
    user = await people.by_username(name) if name else None
    if user is None:
        raise PersonNotFoundError(f"I can't find @{name[:64]}.")
    if not await people.is_team_member(team_id, user.id):
        raise PersonNotFoundError(f"@{user.username} isn't on this team, so they can't join the run.")
    return user


async def assignee_named(people: People, team_id: str, word: str, *, me: str) -> str | None:
    """The assignee ``word`` names: ``none`` (nobody), ``me`` (the person ``me``) or a team member."""
    if word.lower() == "none":
        return None
    if word.lower() == "me":
        return me
    return (await team_member_named(people, team_id, word)).id
