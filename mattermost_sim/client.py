"""A Mattermost client acting as one human, through the public API only.

:class:`Person` speaks REST under ``/api/v4`` and listens on the websocket the way the web app
does, so a test written with it runs against the simulator or a real Mattermost server alike::

    async with Person(sim.url, "alice-token") as alice:
        await alice.listen()
        await alice.execute(channel_id, "/playbook run")
        dialog = await alice.next_dialog()
        await alice.submit_dialog(dialog, {"name": "Outage"})

What it hears on the websocket is kept by :mod:`mattermost_sim.client_events`; how it reads
Mattermost's answers (refusals, post lists, button cookies) is :mod:`mattermost_sim.client_answers`.
"""

# Every wait in this API takes an explicit ``timeout`` so tests read as what a person expects.
# ruff: noqa: ASYNC109

from __future__ import annotations

import contextlib
import json
from types import TracebackType
from typing import Any

import aiohttp

from mattermost_sim.client_answers import MattermostError, action_cookie, error_of, oldest_first
from mattermost_sim.client_events import EventInbox, EventPredicate

MAX_PAGES = 50
PAGE_SIZE = 200


class Person:
    """One Mattermost user at a client: posts, commands, clicks, dialogs and the websocket."""

    def __init__(self, base_url: str, token: str, *, request_timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self._request_timeout = request_timeout
        self._session: aiohttp.ClientSession | None = None
        self._me: dict[str, Any] | None = None
        self._current_channel_id = ""
        self._current_team_id = ""
        self._inbox = EventInbox()

    async def __aenter__(self) -> Person:
        self._session = aiohttp.ClientSession(
            headers={"Authorization": f"Bearer {self.token}", "X-Requested-With": "XMLHttpRequest"},
            timeout=aiohttp.ClientTimeout(total=self._request_timeout),
        )
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Stop listening and close the HTTP session."""
        await self._inbox.close()
        if self._session is not None:
            await self._session.close()
            self._session = None

    # -- REST -----------------------------------------------------------------

    async def _request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: dict[str, str] | None = None,
        form: aiohttp.FormData | None = None,
    ) -> Any:
        """Call ``/api/v4{path}``; the decoded JSON body, or :class:`MattermostError`."""
        if self._session is None:
            raise RuntimeError("use Person as an async context manager: async with Person(url, token) as p")
        kwargs: dict[str, Any] = {"params": params}
        if form is not None:
            kwargs["data"] = form
        elif body is not None:
            kwargs["json"] = body
        async with self._session.request(method, f"{self.base_url}/api/v4{path}", **kwargs) as response:
            text = await response.text()
            if response.status >= 400:
                raise error_of(response.status, text)
            return json.loads(text) if text else None

    async def me(self) -> dict[str, Any]:
        """The signed-in user (``GET /users/me``)."""
        self._me = await self._request("GET", "/users/me")
        return self._me

    async def my_id(self) -> str:
        """The signed-in user's id."""
        me = self._me or await self.me()
        return str(me["id"])

    async def set_time_zone(self, zone: str) -> dict[str, Any]:
        """Choose a time zone in the profile, as the web app's settings do
        (``PUT /users/me/patch`` with a manual ``timezone``)."""
        timezone = {"useAutomaticTimezone": "false", "manualTimezone": zone, "automaticTimezone": ""}
        self._me = await self._request("PUT", "/users/me/patch", body={"timezone": timezone})
        return self._me

    async def user_by_username(self, username: str) -> dict[str, Any]:
        """A user by username (``GET /users/username/{username}``)."""
        user: dict[str, Any] = await self._request("GET", f"/users/username/{username}")
        return user

    async def users_by_ids(self, user_ids: list[str]) -> list[dict[str, Any]]:
        """Users by id (``POST /users/ids``); unknown ids are left out."""
        users: list[dict[str, Any]] = await self._request("POST", "/users/ids", body=sorted(set(user_ids)))
        return users

    async def team(self, name: str) -> dict[str, Any]:
        """A team by name; it becomes the current team, as when the person opens it."""
        team: dict[str, Any] = await self._request("GET", f"/teams/name/{name}")
        self._current_team_id = str(team["id"])
        return team

    async def channel_by_name(self, team_id: str, name: str) -> dict[str, Any]:
        """A team's channel by name."""
        channel: dict[str, Any] = await self._request("GET", f"/teams/{team_id}/channels/name/{name}")
        return channel

    async def my_channels(self, team_id: str) -> list[dict[str, Any]]:
        """The channels the person belongs to on a team."""
        channels: list[dict[str, Any]] = await self._request("GET", f"/users/me/teams/{team_id}/channels")
        return channels

    async def create_channel(
        self, team_id: str, name: str, display_name: str, channel_type: str = "O"
    ) -> dict[str, Any]:
        """Make an open (``O``) or private (``P``) channel on a team; the channel."""
        body = {"team_id": team_id, "name": name, "display_name": display_name, "type": channel_type}
        channel: dict[str, Any] = await self._request("POST", "/channels", body=body)
        return channel

    async def join(self, channel_id: str) -> dict[str, Any]:
        """Join a channel; the channel membership."""
        member: dict[str, Any] = await self._request(
            "POST", f"/channels/{channel_id}/members", body={"user_id": await self.my_id()}
        )
        return member

    async def add_to_channel(self, channel_id: str, user_id: str) -> dict[str, Any]:
        """Add someone to a channel (``POST /channels/{channel_id}/members``); the membership."""
        member: dict[str, Any] = await self._request(
            "POST", f"/channels/{channel_id}/members", body={"user_id": user_id}
        )
        return member

    async def remove_from_channel(self, channel_id: str, user_id: str) -> None:
        """Remove someone from a channel (``DELETE /channels/{channel_id}/members/{user_id}``)."""
        await self._request("DELETE", f"/channels/{channel_id}/members/{user_id}")

    async def leave(self, channel_id: str) -> None:
        """Leave a channel (``DELETE /channels/{channel_id}/members/{my id}``)."""
        await self._request("DELETE", f"/channels/{channel_id}/members/{await self.my_id()}")

    async def channel_member_ids(self, channel_id: str) -> set[str]:
        """The ids of a channel's members, as its member list shows them (every page)."""
        ids: set[str] = set()
        for page in range(MAX_PAGES):
            params = {"page": str(page), "per_page": str(PAGE_SIZE)}
            members = await self._request("GET", f"/channels/{channel_id}/members", params=params)
            ids.update(str(member["user_id"]) for member in members)
            if len(members) < PAGE_SIZE:
                break
        return ids

    async def team_commands(self, team_id: str) -> list[dict[str, Any]]:
        """The team's custom slash commands the person may manage (Integrations → Slash Commands)."""
        params = {"team_id": team_id, "custom_only": "true"}
        commands: list[dict[str, Any]] = await self._request("GET", "/commands", params=params)
        return commands

    async def direct_channel_with(self, user_id: str) -> dict[str, Any]:
        """The direct-message channel with another user (created on first use)."""
        channel: dict[str, Any] = await self._request(
            "POST", "/channels/direct", body=[await self.my_id(), user_id]
        )
        return channel

    async def post(
        self, channel_id: str, message: str, root_id: str = "", file_ids: list[str] | None = None
    ) -> dict[str, Any]:
        """Write a message (a reply when ``root_id`` is set); the created post."""
        body: dict[str, Any] = {"channel_id": channel_id, "message": message, "root_id": root_id}
        if file_ids:
            body["file_ids"] = list(file_ids)
        post: dict[str, Any] = await self._request("POST", "/posts", body=body)
        self._current_channel_id = channel_id
        return post

    async def upload(self, channel_id: str, filename: str, data: bytes) -> str:
        """Upload a file to attach to a post in the channel; its file id."""
        form = aiohttp.FormData()
        form.add_field("channel_id", channel_id)
        form.add_field("files", data, filename=filename, content_type="application/octet-stream")
        uploaded = await self._request("POST", "/files", form=form)
        return str(uploaded["file_infos"][0]["id"])

    async def execute(self, channel_id: str, command: str, team_id: str | None = None) -> dict[str, Any]:
        """Run a slash command in a channel (``POST /commands/execute``); the command response."""
        body = {"channel_id": channel_id, "command": command}
        if team_id or self._current_team_id:
            body["team_id"] = team_id or self._current_team_id
        response: dict[str, Any] = await self._request("POST", "/commands/execute", body=body)
        self._current_channel_id = channel_id
        return response

    async def create_command(self, team_id: str, trigger: str, url: str, method: str = "P") -> dict[str, Any]:
        """Register a custom slash command on a team (Integrations → Slash Commands); the command."""
        body = {"team_id": team_id, "trigger": trigger, "url": url, "method": method}
        command: dict[str, Any] = await self._request("POST", "/commands", body=body)
        return command

    async def click(self, post_id: str, action_id: str, selected_option: str | None = None) -> dict[str, Any]:
        """Press a message button, or pick ``selected_option`` from a message menu.

        Like the web app, it sends the action's ``cookie`` when the post as received carries one:
        Mattermost adds it to the buttons of ephemeral posts, which it does not store, and a click
        on such a post without it is refused (403).
        """
        body = {"selected_option": selected_option} if selected_option is not None else {}
        cookie = action_cookie(self._inbox.received_post(post_id), action_id)
        if cookie:
            body["cookie"] = cookie
        self._current_channel_id = await self._channel_of_post(post_id) or self._current_channel_id
        response: dict[str, Any] = await self._request(
            "POST", f"/posts/{post_id}/actions/{action_id}", body=body
        )
        return response

    async def _channel_of_post(self, post_id: str) -> str:
        """The channel a post is in: from a received event, else by asking the server."""
        post = self._inbox.received_post(post_id)
        if post is not None:
            return str(post.get("channel_id", ""))
        with contextlib.suppress(MattermostError):
            return str((await self.get_post(post_id)).get("channel_id", ""))
        return ""

    async def submit_dialog(
        self,
        dialog_event: dict[str, Any],
        submission: dict[str, Any],
        cancelled: bool = False,
        *,
        channel_id: str | None = None,
        team_id: str | None = None,
    ) -> dict[str, Any]:
        """Submit (or cancel) a dialog received through ``open_dialog`` (see :meth:`next_dialog`).

        The channel and team are those the person is looking at — the last one posted,
        commanded or clicked in — unless given.
        """
        dialog = dialog_event.get("dialog")
        if not isinstance(dialog, dict):
            raise ValueError(
                "dialog_event must be what next_dialog() returned: {'url': ..., 'dialog': {...}}"
            )
        body = {
            "url": dialog_event.get("url", ""),
            "callback_id": dialog.get("callback_id", ""),
            "state": dialog.get("state", ""),
            "submission": {} if cancelled else submission,
            "user_id": await self.my_id(),
            "channel_id": channel_id or dialog_event.get("channel_id") or self._current_channel_id,
            "team_id": team_id or dialog_event.get("team_id") or self._current_team_id,
            "cancelled": cancelled,
        }
        response: dict[str, Any] = await self._request("POST", "/actions/dialogs/submit", body=body) or {}
        return response

    async def channel_posts(self, channel_id: str, since: int | None = None) -> list[dict[str, Any]]:
        """The channel's posts, oldest first: all of them, or those changed after ``since`` (ms)."""
        if since is not None:
            listing = await self._request(
                "GET", f"/channels/{channel_id}/posts", params={"since": str(since)}
            )
            return oldest_first([listing])
        pages = []
        for page in range(MAX_PAGES):
            params = {"page": str(page), "per_page": str(PAGE_SIZE)}
            listing = await self._request("GET", f"/channels/{channel_id}/posts", params=params)
            pages.append(listing)
            if len(listing.get("order") or []) < PAGE_SIZE:
                break
        return oldest_first(pages)

    async def get_post(self, post_id: str) -> dict[str, Any]:
        """One post."""
        post: dict[str, Any] = await self._request("GET", f"/posts/{post_id}")
        return post

    async def download(self, file_id: str) -> bytes:
        """A file's bytes (``GET /files/{file_id}``), as the person downloads an attachment."""
        if self._session is None:
            raise RuntimeError("use Person as an async context manager: async with Person(url, token) as p")
        async with self._session.get(f"{self.base_url}/api/v4/files/{file_id}") as response:
            if response.status >= 400:
                raise error_of(response.status, await response.text())
            return await response.read()

    async def announce_typing(self, channel_id: str, parent_id: str = "") -> None:
        """Tell the channel's other members the person is typing, through REST
        (``POST /users/{user_id}/typing``); unlike :meth:`typing`, it needs no open websocket."""
        body = {"channel_id": channel_id, "parent_id": parent_id}
        await self._request("POST", f"/users/{await self.my_id()}/typing", body=body)

    async def react(self, post_id: str, emoji: str) -> dict[str, Any]:
        """Add an emoji reaction to a post."""
        body = {"user_id": await self.my_id(), "post_id": post_id, "emoji_name": emoji}
        reaction: dict[str, Any] = await self._request("POST", "/reactions", body=body)
        return reaction

    async def unreact(self, post_id: str, emoji: str) -> None:
        """Remove the person's emoji reaction from a post."""
        await self._request("DELETE", f"/users/{await self.my_id()}/posts/{post_id}/reactions/{emoji}")

    # -- websocket ------------------------------------------------------------

    async def listen(self, timeout: float = 5.0) -> None:
        """Connect the websocket and record every event from ``hello`` on."""
        if self._session is None:
            raise RuntimeError("use Person as an async context manager before listen()")
        if self._inbox.listening:
            return
        await self._inbox.connect(self._session, self.base_url, timeout)

    async def typing(self, channel_id: str, parent_id: str = "") -> None:
        """Tell the channel the person is typing (a websocket ``user_typing`` request)."""
        await self._inbox.send_typing(channel_id, parent_id)

    def events(self, name: str) -> list[dict[str, Any]]:
        """Every event of this name received so far, oldest first."""
        return self._inbox.events(name)

    async def next_event(
        self, event_name: str, predicate: EventPredicate | None = None, timeout: float = 5.0
    ) -> dict[str, Any]:
        """The oldest not yet taken event of this name (and matching ``predicate``), waiting for it;
        events that arrived before the call count (:meth:`EventInbox.next_event`)."""
        return await self._inbox.next_event(event_name, predicate, timeout)

    async def next_ephemeral(self, timeout: float = 5.0) -> dict[str, Any]:
        """The next ephemeral post shown to the person, as a post dict."""
        event = await self.next_event("ephemeral_message", timeout=timeout)
        post: dict[str, Any] = json.loads(event["data"]["post"])
        self._current_channel_id = str(post.get("channel_id") or self._current_channel_id)
        return post

    async def next_dialog(self, timeout: float = 5.0) -> dict[str, Any]:
        """The next dialog opened for the person: ``{"trigger_id", "url", "dialog": {...}}``."""
        event = await self.next_event("open_dialog", timeout=timeout)
        dialog: dict[str, Any] = json.loads(event["data"]["dialog"])
        return dialog
