"""Posts, ephemeral posts and reactions of the simulated server.

:class:`PostsState` is a mixin of :class:`~mattermost_sim.state.SimState`: its methods validate
like Mattermost's model layer, store, and announce each change over the websocket. The attributes
below are declared for type checking only; the fields themselves belong to ``SimState``.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .errors import AppError, not_found
from .events import Broadcast
from .ids import new_id
from .model_rules import validate_post
from .models import Channel, FileInfo, Post, Reaction, User

EPHEMERAL_POSTS_KEPT = 1000


class PostsState:
    """Creating, editing and deleting posts; ephemeral posts; reactions."""

    posts: dict[str, Post]
    reactions: list[Reaction]
    files: dict[str, FileInfo]
    # Ephemeral posts are never stored, but their buttons must still work: keep the latest.
    ephemeral_posts: OrderedDict[str, Post]
    clock: Callable[[], int]

    if TYPE_CHECKING:

        def publish(self, event: str, data: dict[str, Any], broadcast: Broadcast) -> None:
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
    ) -> Post:
        """Store a post and broadcast ``posted``.

        A repeated ``pending_post_id`` from the same author returns the first post, as
        Mattermost's de-duplication of client retries does.
        """
        if pending_post_id:
            for post in self.posts.values():
                if post.pending_post_id == pending_post_id and post.user_id == author.id:
                    return post
        props = dict(props or {})
        if props.get("attachments") and not post_type:
            post_type = "slack_attachment"
        validate_post(message, props, post_type)
        if root_id:
            root = self.posts.get(root_id)
            if root is None or root.channel_id != channel.id or root.delete_at:
                raise AppError(400, "api.post.create_post.root_id.app_error", "Invalid RootId parameter.")
        self._assign_action_ids(props)
        post = Post(
            id=new_id(),
            channel_id=channel.id,
            user_id=author.id,
            message=message,
            create_at=self.clock(),
            root_id=root_id,
            type=post_type,
            props=props,
            file_ids=list(file_ids or []),
            pending_post_id=pending_post_id,
        )
        if author.is_bot:
            post.props["from_bot"] = "true"
        for file_id in post.file_ids:
            if file_id in self.files:
                self.files[file_id].post_id = post.id
        self.posts[post.id] = post
        channel.last_post_at = post.create_at
        channel.total_msg_count += 1
        self.publish("posted", self.posted_data(post, channel, author), Broadcast(channel_id=channel.id))
        return post

    def posted_data(self, post: Post, channel: Channel, author: User) -> dict[str, Any]:
        """The ``data`` of a ``posted`` event."""
        display = f"@{author.username}" if channel.type == "D" else channel.display_name
        return {
            "channel_display_name": display,
            "channel_name": channel.name,
            "channel_type": channel.type,
            "post": post.to_json_string(),
            "sender_name": f"@{author.username}",
            "set_online": True,
            "team_id": channel.team_id,
        }

    @staticmethod
    def _assign_action_ids(props: dict[str, Any]) -> None:
        """Give every action without an id a generated one, as the server does on save."""
        for attachment in props.get("attachments") or []:
            if isinstance(attachment, dict):
                for action in attachment.get("actions") or []:
                    if isinstance(action, dict) and not action.get("id"):
                        action["id"] = new_id()

    def get_post(self, post_id: str) -> Post:
        """The live post with this id, or 404."""
        post = self.posts.get(post_id)
        if post is None or post.delete_at:
            raise not_found("app.post.get.app_error", "Unable to get the post.")
        return post

    def update_post(self, post: Post, message: str, props: dict[str, Any] | None) -> Post:
        """Replace a post's message (and props, when given); broadcast ``post_edited``."""
        new_props = dict(props) if props is not None else post.props
        validate_post(message, new_props, post.type)
        self._assign_action_ids(new_props)
        if props is not None and new_props.get("attachments"):
            post.type = post.type or "slack_attachment"
        if post.message != message:
            post.edit_at = self.clock()
        post.message = message
        post.props = new_props
        post.update_at = self.clock()
        self.publish(
            "post_edited",
            {"post": post.to_json_string()},
            Broadcast(channel_id=post.channel_id),
        )
        return post

    def delete_post(self, post: Post) -> None:
        """Soft-delete a post; broadcast ``post_deleted``."""
        post.delete_at = self.clock()
        self.publish("post_deleted", {"post": post.to_json_string()}, Broadcast(channel_id=post.channel_id))

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
            props=dict(props or {}),
            ephemeral=True,
        )
        self._assign_action_ids(post.props)
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
        """The channel's live posts, oldest first."""
        return sorted(
            (p for p in self.posts.values() if p.channel_id == channel_id and not p.delete_at),
            key=lambda p: (p.create_at, p.id),
        )

    # -- reactions ------------------------------------------------------------

    def add_reaction(self, user: User, post: Post, emoji_name: str) -> Reaction:
        """Add a reaction (idempotent) and broadcast ``reaction_added``."""
        for reaction in self.reactions:
            if (reaction.user_id, reaction.post_id, reaction.emoji_name) == (user.id, post.id, emoji_name):
                return reaction
        reaction = Reaction(user.id, post.id, emoji_name, self.clock())
        self.reactions.append(reaction)
        post.has_reactions = True
        self.publish(
            "reaction_added",
            {"reaction": json.dumps(reaction.to_json() | {"channel_id": post.channel_id})},
            Broadcast(channel_id=post.channel_id),
        )
        return reaction

    def remove_reaction(self, user: User, post: Post, emoji_name: str) -> None:
        """Remove a reaction and broadcast ``reaction_removed``."""
        for reaction in list(self.reactions):
            if (reaction.user_id, reaction.post_id, reaction.emoji_name) == (user.id, post.id, emoji_name):
                self.reactions.remove(reaction)
                post.has_reactions = any(r.post_id == post.id for r in self.reactions)
                self.publish(
                    "reaction_removed",
                    {"reaction": json.dumps(reaction.to_json() | {"channel_id": post.channel_id})},
                    Broadcast(channel_id=post.channel_id),
                )
                return

    def post_reactions(self, post_id: str) -> list[Reaction]:
        """The reactions on a post, oldest first."""
        return [r for r in self.reactions if r.post_id == post_id]
