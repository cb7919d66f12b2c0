"""The bot's only door to Mattermost's REST API: typed methods over ``AsyncTypedDriver``.

Each method names one Mattermost operation and returns a view from :mod:`bot.mattermost.types`;
timeouts, the concurrency cap, retries and error translation live in
:mod:`bot.mattermost.transport`. The driver's endpoint methods are used wherever they fit; a
few calls go through its client directly, each with the reason beside it.

The driver drops every ``None``-valued key from request bodies, so "leave unchanged" is spelled
``None`` here and an explicit null can never be sent; nothing the bot does needs one.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

from .errors import MalformedResponse, NotFound
from .gateway_integrations import GatewayIntegrations
from .gateway_posts import GatewayPosts
from .transport import DriverTransport, json_body, parse, parse_list
from .types import MMChannel, MMTeam, MMUser

CHANNEL_MEMBERS_PAGE = 200  # the server's per_page maximum
ADD_MEMBERS_BATCH = 1000  # the most ``user_ids`` one add-members call accepts
MAX_MEMBER_PAGES = 500  # 100 000 members: a bound so a misbehaving server cannot loop us forever


class MattermostGateway(GatewayPosts, GatewayIntegrations):
    """Typed, bounded, error-translating access to one Mattermost server as the bot.

    ``url`` is the server's site URL (``https://chat.example.com``); ``token`` the bot's access
    token. Every attempt is limited to ``request_timeout`` seconds and at most
    ``max_concurrency`` calls are in flight at once. ``max_retries``/``retry_max_sleep`` tune the
    driver's retries (429 always, 5xx and lost connections for non-``POST``); ``post_retries``
    bounds the gateway's own retries of the ``POST`` calls safe to repeat. Failures raise
    :class:`~bot.mattermost.errors.MattermostError` subclasses. Posts and reactions come from
    :class:`~bot.mattermost.gateway_posts.GatewayPosts`; files, dialogs, command responses and slash
    commands from :class:`~bot.mattermost.gateway_integrations.GatewayIntegrations`.
    """

    def __init__(
        self,
        url: str,
        token: str,
        request_timeout: float = 10.0,
        max_concurrency: int = 8,
        *,
        max_retries: int = 3,
        retry_max_sleep: float = 30.0,
        post_retries: int = 2,
        verify: bool | str = True,
    ) -> None:
        self._transport = DriverTransport(
            url,
            token,
            request_timeout=request_timeout,
            max_concurrency=max_concurrency,
            max_retries=max_retries,
            retry_max_sleep=retry_max_sleep,
            post_retries=post_retries,
            verify=verify,
        )
        self._driver = self._transport.driver
        self._client = self._transport.driver.client
        self._call = self._transport.call
        self._me: MMUser | None = None

    async def close(self) -> None:
        """Close the HTTP connection pool."""
        await self._transport.close()

    async def __aenter__(self) -> MattermostGateway:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # -- users and teams ----------------------------------------------------------

    async def me(self) -> MMUser:
        """The bot's own user (fetched once, then cached)."""
        if self._me is None:
            result = await self._call("get me", lambda: self._driver.users.get_user("me"))
            self._me = parse(MMUser.from_json, result, "get me")
        return self._me

    async def user(self, user_id: str) -> MMUser:
        """A user by id; :class:`NotFound` if unknown."""
        result = await self._call("get user", lambda: self._driver.users.get_user(user_id))
        return parse(MMUser.from_json, result, "get user")

    async def user_by_username(self, username: str) -> MMUser | None:
        """A user by username (without ``@``), or ``None`` if there is none."""
        name = username.removeprefix("@")
        try:
            result = await self._call(
                "get user by name", lambda: self._driver.users.get_user_by_username(name)
            )
        except NotFound:
            return None
        return parse(MMUser.from_json, result, "get user by name")

    async def users_by_ids(self, user_ids: Iterable[str]) -> list[MMUser]:
        """The users with these ids; unknown ids are left out, as Mattermost does."""
        ids = list(dict.fromkeys(user_ids))
        if not ids:
            return []
        result = await self._call(
            "get users by ids", lambda: self._driver.users.get_users_by_ids(ids), replay=True
        )
        return parse_list(MMUser.from_json, result, "get users by ids")

    async def team_by_name(self, name: str) -> MMTeam:
        """A team by its URL name; :class:`NotFound` if unknown."""
        result = await self._call("get team by name", lambda: self._driver.teams.get_team_by_name(name))
        return parse(MMTeam.from_json, result, "get team by name")

    async def team(self, team_id: str) -> MMTeam:
        """A team by id; :class:`NotFound` if unknown."""
        result = await self._call("get team", lambda: self._driver.teams.get_team(team_id))
        return parse(MMTeam.from_json, result, "get team")

    async def is_team_member(self, team_id: str, user_id: str) -> bool:
        """Whether the user currently belongs to the team (a removed member keeps a record
        with ``delete_at`` set, so that is checked too)."""
        try:
            result = await self._call(
                "get team member", lambda: self._driver.teams.get_team_member(team_id, user_id)
            )
        except NotFound:
            return False
        body = json_body(result, "get team member")
        return isinstance(body, dict) and not body.get("delete_at")

    # -- channels -----------------------------------------------------------------

    async def channel(self, channel_id: str) -> MMChannel:
        """A channel by id; :class:`NotFound` if unknown or unreadable."""
        result = await self._call("get channel", lambda: self._driver.channels.get_channel(channel_id))
        return parse(MMChannel.from_json, result, "get channel")

    async def channel_by_name(self, team_id: str, name: str) -> MMChannel | None:
        """A team's channel by its URL name, or ``None`` if there is none."""
        try:
            result = await self._call(
                "get channel by name", lambda: self._driver.channels.get_channel_by_name(team_id, name)
            )
        except NotFound:
            return None
        return parse(MMChannel.from_json, result, "get channel by name")

    async def create_channel(
        self,
        team_id: str,
        name: str,
        display_name: str,
        private: bool,
        header: str = "",
        purpose: str = "",
    ) -> MMChannel:
        """Create a public or private channel (not replayed: a retry could meet "name exists")."""
        result = await self._call(
            "create channel",
            lambda: self._driver.channels.create_channel(
                team_id, name, display_name, "P" if private else "O", purpose=purpose, header=header
            ),
        )
        return parse(MMChannel.from_json, result, "create channel")

    async def patch_channel(
        self,
        channel_id: str,
        header: str | None = None,
        purpose: str | None = None,
        display_name: str | None = None,
    ) -> MMChannel:
        """Change some of a channel's texts; ``None`` leaves a field as it is."""
        result = await self._call(
            "patch channel",
            lambda: self._driver.channels.patch_channel(
                channel_id, header=header, purpose=purpose, display_name=display_name
            ),
        )
        return parse(MMChannel.from_json, result, "patch channel")

    async def add_channel_members(self, channel_id: str, user_ids: Iterable[str]) -> None:
        """Add users to a channel; adding an existing member is a no-op on the server."""
        ids = list(dict.fromkeys(user_ids))
        for start in range(0, len(ids), ADD_MEMBERS_BATCH):
            batch = ids[start : start + ADD_MEMBERS_BATCH]
            # One id goes as ``user_id``, which every server version understands.
            single, many = (batch[0], None) if len(batch) == 1 else (None, batch)
            await self._call(
                "add channel members",
                partial(self._driver.channels.add_channel_member, channel_id, user_id=single, user_ids=many),
                replay=True,
            )

    async def channel_member_ids(self, channel_id: str) -> list[str]:
        """The ids of every member of a channel, all pages read."""
        ids: list[str] = []
        for page in range(MAX_MEMBER_PAGES):
            result = await self._call(
                "get channel members",
                partial(
                    self._driver.channels.get_channel_members,
                    channel_id,
                    page=page,
                    per_page=CHANNEL_MEMBERS_PAGE,
                ),
            )
            members = json_body(result, "get channel members")
            if not isinstance(members, list):
                raise MalformedResponse(200, "", "get channel members: expected a JSON array")
            ids.extend(
                m["user_id"] for m in members if isinstance(m, dict) and isinstance(m.get("user_id"), str)
            )
            if len(members) < CHANNEL_MEMBERS_PAGE:
                break
        return ids

    async def is_channel_member(self, channel_id: str, user_id: str) -> bool:
        """Whether the user is a member of the channel."""
        try:
            await self._call(
                "get channel member", lambda: self._driver.channels.get_channel_member(channel_id, user_id)
            )
        except NotFound:
            return False
        return True

    async def my_channels(self, team_id: str) -> list[MMChannel]:
        """The live channels the bot belongs to in a team, its direct and group messages included."""
        me = await self.me()
        result = await self._call(
            "get my channels",
            lambda: self._driver.channels.get_channels_for_team_for_user(me.id, team_id),
        )
        return parse_list(MMChannel.from_json, result, "get my channels")

    async def remove_channel_member(self, channel_id: str, user_id: str) -> None:
        """Remove a user from a channel."""
        await self._call(
            "remove channel member",
            lambda: self._driver.channels.remove_user_from_channel(channel_id, user_id),
        )

    async def archive_channel(self, channel_id: str) -> None:
        """Archive a channel (Mattermost's ``DELETE /channels/{id}`` is a soft delete)."""
        await self._call("archive channel", lambda: self._driver.channels.delete_channel(channel_id))

    async def direct_channel(self, user_id: str) -> MMChannel:
        """The direct-message channel between the bot and a user (created if needed)."""
        me = await self.me()
        result = await self._call(
            "create direct channel",
            lambda: self._driver.channels.create_direct_channel([me.id, user_id]),
            replay=True,
        )
        return parse(MMChannel.from_json, result, "create direct channel")
