"""The gateway's post calls: posting (under an idempotency key), finding, editing and deleting
posts, catching up on a channel, and reactions.

:class:`GatewayPosts` is a mixin of :class:`~bot.mattermost.gateway.MattermostGateway`, which
provides what :class:`~bot.mattermost.gateway_part.GatewayPart` declares (the driver, its client
and the bounded call).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from .errors import MalformedResponse
from .gateway_part import GatewayPart
from .transport import json_body, parse, parse_list, present
from .types import MMPost, MMReaction

KEYED_POST_WINDOW = 200  # the server's per_page maximum: one request sees this many newest posts
POST_KEY_PROP = "playbooks_key"
"""The props entry that names a post the bot made under an idempotency key."""


class GatewayPosts(GatewayPart):
    """Posts and their reactions, as the bot."""

    async def create_post(
        self,
        channel_id: str,
        message: str,
        *,
        root_id: str = "",
        props: Mapping[str, Any] | None = None,
        file_ids: Iterable[str] | None = None,
        key: str | None = None,
    ) -> MMPost:
        """Post a message as the bot.

        ``key`` names the post for idempotency. It is sent as ``pending_post_id``, so a repeat
        within Mattermost's 30-second memory of it returns the first post instead of posting
        twice, and kept in the post's props (:data:`POST_KEY_PROP`), where :meth:`find_keyed_posts`
        finds it for good (:mod:`bot.services.posting` combines the two). Without a key, a fresh
        ``pending_post_id`` still makes the gateway's own retries after a 5xx or a timeout safe.
        """
        if key:
            props = {**(props or {}), POST_KEY_PROP: key}
        # Sent through the driver's client: its ``create_post`` has no ``pending_post_id``.
        body = present(
            channel_id=channel_id,
            message=message,
            root_id=root_id or None,
            props=dict(props) if props is not None else None,
            file_ids=list(file_ids) if file_ids is not None else None,
            pending_post_id=key or uuid.uuid4().hex,
        )
        result = await self._call(
            "create post", lambda: self._client.post("/api/v4/posts", options=body), replay=True
        )
        return parse(MMPost.from_json, result, "create post")

    async def find_keyed_posts(
        self, channel_id: str, keys: Iterable[str], *, within: int = KEYED_POST_WINDOW
    ) -> dict[str, MMPost]:
        """The bot's live posts among the channel's newest ``within`` that carry one of ``keys``
        in their props (see :meth:`create_post`), by key; the newest wins when a key repeats.

        One request. Posts older than the window are not seen: this answers "did my attempt a
        moment ago post?", not "did I ever post this?".
        """
        wanted = set(keys)
        if not wanted:
            return {}
        me = await self.me()
        result = await self._call(
            "get channel posts",
            lambda: self._driver.posts.get_posts_for_channel(channel_id, page=0, per_page=within),
        )
        body = json_body(result, "get channel posts")
        order = body.get("order") if isinstance(body, dict) else None
        posts = body.get("posts") if isinstance(body, dict) else None
        if not isinstance(order, list) or not isinstance(posts, dict):
            raise MalformedResponse(200, "", "get channel posts: expected a PostList")
        found: dict[str, MMPost] = {}
        for post_id in order:  # newest first
            raw = posts.get(post_id)
            if raw is None:
                continue
            post = parse(MMPost.from_json, raw, "get channel posts")
            key = post.props.get(POST_KEY_PROP)
            if post.user_id == me.id and not post.is_deleted and key in wanted and key not in found:
                found[key] = post
        return found

    async def update_post(self, post_id: str, message: str, props: Mapping[str, Any]) -> MMPost:
        """Replace a post's message and props (``PUT``: the full body, fields left out are blanked)."""
        result = await self._call(
            "update post",
            # The driver annotates ``props`` as str; Mattermost wants the object.
            lambda: self._driver.posts.update_post(post_id, post_id, message=message, props=dict(props)),
        )
        return parse(MMPost.from_json, result, "update post")

    async def patch_post(
        self,
        post_id: str,
        *,
        message: str | None = None,
        props: Mapping[str, Any] | None = None,
        file_ids: Iterable[str] | None = None,
        is_pinned: bool | None = None,
    ) -> MMPost:
        """Change some fields of a post; ``None`` leaves a field as it is."""
        result = await self._call(
            "patch post",
            lambda: self._driver.posts.patch_post(
                post_id,
                message=message,
                props=dict(props) if props is not None else None,
                file_ids=list(file_ids) if file_ids is not None else None,
                is_pinned=is_pinned,
            ),
        )
        return parse(MMPost.from_json, result, "patch post")

    async def get_post(self, post_id: str) -> MMPost:
        """A post by id; :class:`NotFound` if unknown or deleted."""
        result = await self._call("get post", lambda: self._driver.posts.get_post(post_id))
        return parse(MMPost.from_json, result, "get post")

    async def delete_post(self, post_id: str) -> None:
        """Delete a post."""
        await self._call("delete post", lambda: self._driver.posts.delete_post(post_id))

    async def channel_posts_since(self, channel_id: str, since_ms: int) -> list[MMPost]:
        """Posts of a channel created, edited or deleted after ``since_ms``, oldest first.

        This is how the bot catches up after missing websocket events.
        """
        result = await self._call(
            "get posts since",
            lambda: self._driver.posts.get_posts_for_channel(channel_id, since=since_ms),
        )
        body = json_body(result, "get posts since")
        posts = body.get("posts") if isinstance(body, dict) else None
        if not isinstance(posts, dict):
            raise MalformedResponse(200, "", "get posts since: expected a PostList with 'posts'")
        parsed = [parse(MMPost.from_json, post, "get posts since") for post in posts.values()]
        return sorted(parsed, key=lambda post: (post.create_at, post.id))

    async def add_reaction(self, post_id: str, emoji_name: str) -> None:
        """React to a post as the bot (repeating a reaction is a no-op on the server)."""
        me = await self.me()
        reaction = {"user_id": me.id, "post_id": post_id, "emoji_name": emoji_name.strip(":")}
        await self._call("add reaction", lambda: self._driver.reactions.save_reaction(reaction), replay=True)

    async def post_reactions(self, post_id: str) -> list[MMReaction]:
        """Every reaction on a post."""
        result = await self._call("get reactions", lambda: self._driver.reactions.get_reactions(post_id))
        if json_body(result, "get reactions") is None:  # Mattermost answers null for none
            return []
        return parse_list(MMReaction.from_json, result, "get reactions")
