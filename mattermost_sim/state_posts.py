"""Posts, ephemeral posts and reactions of the simulated server.

:class:`PostsState` is a mixin of :class:`~mattermost_sim.state.SimState`: its methods validate
like Mattermost's model layer, store, and announce each change over the websocket. The attributes
below are declared for type checking only; the fields themselves belong to ``SimState``.
"""

from __future__ import annotations

import dataclasses
import json
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .errors import AppError, not_found
from .events import Broadcast
from .ids import new_id
from .model_rules import validate_post
from .models import Channel, FileInfo, Post, Reaction, User
from .post_models import normalize_attachments

EPHEMERAL_POSTS_KEPT = 1000


class PostsState:
    """Creating, editing and deleting posts; ephemeral posts; reactions."""

    posts: dict[str, Post]
    files: dict[str, FileInfo]
    channels: dict[str, Channel]
    # pending_post_id → (post id, when it was recorded): Mattermost's 30-second in-memory cache.
    pending_posts: dict[str, tuple[str, int]]
    pending_post_ttl_ms: int
    post_seq: int
    # Ephemeral posts are never stored, but their buttons must still work: keep the latest.
    ephemeral_posts: OrderedDict[str, Post]
    clock: Callable[[], int]

    if TYPE_CHECKING:

        def publish(self, event: str, data: dict[str, Any], broadcast: Broadcast) -> None:
            """Provided by ``SimState``."""

        def can_read_channel(self, user: User, channel: Channel) -> bool:
            """Provided by ``SimState``."""

    # -- posts ----------------------------------------------------------------

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
        create_at: int = 0,
        remote_id: str | None = None,
    ) -> Post:
        """Store a post and broadcast ``posted``.

        A ``pending_post_id`` seen within :attr:`pending_post_ttl_ms` answers the post first made
        with it, as Mattermost's in-memory de-duplication of client retries does
        (``deduplicateCreatePost``): keyed by the id alone, whoever sends it; 500 when that post
        was deleted meanwhile; ignored when the sender may not read it. ``create_at`` (system
        admins only, checked by the route) backdates the post. ``remote_id`` is ``""`` for posts
        clients make through REST and left out (None) on those the server makes itself.
        """
        if pending_post_id:
            seen = self._deduplicated(author, pending_post_id)
            if seen is not None:
                return seen
        props = dict(props or {})
        if props.get("attachments") and not post_type:
            post_type = "slack_attachment"
        validate_post(message, props, post_type)
        if root_id:
            root = self.posts.get(root_id)
            if root is None or root.channel_id != channel.id or root.delete_at:
                raise AppError(400, "api.post.create_post.root_id.app_error", "Invalid RootId parameter.")
        if author.is_bot:
            props["from_bot"] = "true"
        post = self._store(author, channel, message, root_id, post_type, props, create_at)
        post.pending_post_id, post.remote_id = pending_post_id, remote_id
        for file_id in file_ids or []:
            info = self.files.get(file_id)
            if info is not None:
                info.post_id = post.id
                post.file_ids.append(file_id)
                post.files.append(info)
        if pending_post_id:
            self.pending_posts[pending_post_id] = (post.id, self.clock())
        self._announce(post, channel, author)
        return post

    def _deduplicated(self, author: User, pending_post_id: str) -> Post | None:
        """The post a recent ``pending_post_id`` names, if the author may have it back."""
        seen = self.pending_posts.get(pending_post_id)
        if seen is None or self.clock() - seen[1] >= self.pending_post_ttl_ms:
            self.pending_posts.pop(pending_post_id, None)
            return None
        post = self.posts.get(seen[0])
        if post is None or post.delete_at:
            raise AppError(
                500,
                "api.post.deduplicate_create_post.failed_to_get",
                "Failed to fetch original post after deduplicating a client repeating the same request.",
            )
        channel = self.channels.get(post.channel_id)
        if channel is None or not self.can_read_channel(author, channel):
            return None  # "Ignoring pending_post_id for which the user is unauthorized"
        return post

    def _store(
        self,
        author: User,
        channel: Channel,
        message: str,
        root_id: str,
        post_type: str,
        props: dict[str, Any],
        create_at: int = 0,
    ) -> Post:
        """Save a post (attachments normalised, as ``GenerateActionIds``); not yet announced."""
        self.post_seq += 1
        post = Post(
            id=new_id(),
            channel_id=channel.id,
            user_id=author.id,
            message=message,
            create_at=create_at or self.clock(),
            root_id=root_id,
            type=post_type,
            props=normalize_attachments(props),
            seq=self.post_seq,
        )
        self.posts[post.id] = post
        channel.last_post_at = max(channel.last_post_at, post.create_at)
        channel.total_msg_count += 1
        return post

    def _announce(self, post: Post, channel: Channel, author: User) -> None:
        data = self.posted_data(post, channel, author)
        self.publish("posted", data, Broadcast(channel_id=channel.id))

    def system_post(
        self, author: User, channel: Channel, post_type: str, message: str, props: dict[str, Any]
    ) -> Post:
        """A system message Mattermost posts itself (``system_join_channel``…), as ``author``."""
        props = dict(props)
        if author.is_bot:
            props["from_bot"] = "true"
        post = self._store(author, channel, message, "", post_type, props)
        self._announce(post, channel, author)
        return post

    def posted_data(self, post: Post, channel: Channel, author: User) -> dict[str, Any]:
        """The ``data`` of a ``posted`` event."""
        display = f"@{author.username}" if channel.type == "D" else channel.display_name
        return {
            "channel_display_name": display,
            "channel_name": channel.name,
            "channel_type": channel.type,
            "post": post.to_json_string(pending_post_id=True),
            "sender_name": f"@{author.username}",
            "set_online": True,
            "team_id": channel.team_id,
        }

    def get_post(self, post_id: str) -> Post:
        """The live post with this id, or 404."""
        post = self.posts.get(post_id)
        if post is None or post.delete_at:
            raise not_found("app.post.get.app_error", "Unable to get the post.")
        return post

    def update_post(self, post: Post, message: str, props: dict[str, Any] | None) -> Post:
        """Replace a post's message (and props, when given); broadcast ``post_edited``.

        As Mattermost's store does on every update, the post as it was is kept as a deleted copy
        (a new id, ``original_id`` naming the post), which ``since`` listings show.
        """
        new_props = normalize_attachments(dict(props)) if props is not None else post.props
        validate_post(message, new_props, post.type)
        if props is not None and new_props.get("attachments"):
            post.type = post.type or "slack_attachment"
        now = self.clock()
        self.post_seq += 1
        history = dataclasses.replace(
            post,
            id=new_id(),
            original_id=post.id,
            delete_at=now,
            update_at=now,
            seq=self.post_seq,
            file_ids=list(post.file_ids),
            reactions=list(post.reactions),
            files=list(post.files),
        )
        self.posts[history.id] = history
        if post.message != message or post.props.get("attachments") != new_props.get("attachments"):
            post.edit_at = now
        post.message = message
        post.props = new_props
        post.update_at = now
        channel = self.channels.get(post.channel_id)
        if channel is not None:
            channel.last_post_at = max(channel.last_post_at, now)
        self.publish(
            "post_edited",
            {"post": post.to_json_string()},
            Broadcast(channel_id=post.channel_id),
        )
        return post

    def delete_post(self, post: Post, by: User | None = None) -> None:
        """Soft-delete a post; broadcast ``post_deleted`` (the post as stored: no metadata).

        As ``CleanUpAfterPostDeletion``: one event for everyone but system admins, and one naming
        who deleted it (``delete_by``) for system admins.
        """
        post.delete_at = self.clock()
        stored = post.to_json()
        stored.pop("metadata", None)
        text = json.dumps(stored)
        channel = post.channel_id
        self.publish(
            "post_deleted", {"post": text}, Broadcast(channel_id=channel, contains_sanitized_data=True)
        )
        admin_data = {"post": text, "delete_by": by.id if by is not None else ""}
        self.publish("post_deleted", admin_data, Broadcast(channel_id=channel, contains_sensitive_data=True))

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
            props=normalize_attachments(dict(props or {})),
            ephemeral=True,
        )
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
        """The channel's live posts, oldest first (equal ``create_at``: in the order they were made)."""
        return sorted(
            (p for p in self.posts.values() if p.channel_id == channel_id and not p.delete_at),
            key=lambda p: (p.create_at, p.seq),
        )

    # -- reactions ------------------------------------------------------------

    def add_reaction(self, user: User, post: Post, emoji_name: str) -> Reaction:
        """Add a reaction (idempotent) and broadcast ``reaction_added``."""
        for reaction in post.reactions:
            if (reaction.user_id, reaction.emoji_name) == (user.id, emoji_name):
                return reaction
        reaction = Reaction(user.id, post.id, emoji_name, self.clock(), post.channel_id)
        post.reactions.append(reaction)
        post.has_reactions = True
        post.update_at = reaction.create_at
        self.publish(
            "reaction_added",
            {"reaction": json.dumps(reaction.to_json())},
            Broadcast(channel_id=post.channel_id),
        )
        return reaction

    def remove_reaction(self, user: User, post: Post, emoji_name: str) -> None:
        """Remove a reaction and broadcast ``reaction_removed``."""
        for reaction in list(post.reactions):
            if (reaction.user_id, reaction.emoji_name) == (user.id, emoji_name):
                post.reactions.remove(reaction)
                post.has_reactions = bool(post.reactions)
                post.update_at = self.clock()
                self.publish(
                    "reaction_removed",
                    {"reaction": json.dumps(reaction.to_json())},
                    Broadcast(channel_id=post.channel_id),
                )
                return

    def post_reactions(self, post_id: str) -> list[Reaction]:
        """The reactions on a post, oldest first."""
        post = self.posts.get(post_id)
        return list(post.reactions) if post is not None else []
