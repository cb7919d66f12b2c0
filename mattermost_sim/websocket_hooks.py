"""Per-receiver additions to ``posted`` events, as Mattermost's broadcast hooks make them.

``addMentionsBroadcastHook`` and ``addFollowersBroadcastHook`` give each receiver a ``mentions``
or ``followers`` list holding only its own id, when it is mentioned or follows the thread.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .events import Event
from .state import SimState

# An @-mention: not preceded by a word character (so e-mail addresses do not count).
_MENTION_RE = re.compile(r"(?<![\w@])@([a-z0-9][a-z0-9._-]*)", re.IGNORECASE)
_CHANNEL_WIDE_MENTIONS = frozenset({"channel", "all", "here"})


def _post_of(event: Event) -> dict[str, Any]:
    try:
        post = json.loads(str(event.data.get("post", "")))
    except ValueError:
        return {}
    return post if isinstance(post, dict) else {}


def mentioned_users(state: SimState, event: Event) -> set[str]:
    """Users a ``posted`` event's post mentions: @username, channel-wide, the other DM member, and
    the person a ``system_add_to_channel`` message adds."""
    post = _post_of(event)
    channel = state.channels.get(str(post.get("channel_id", "")))
    if channel is None:
        return set()
    members = set(channel.members)
    mentioned = set(members) if channel.type == "D" else set()
    props = post.get("props") or {}
    if post.get("type") == "system_add_to_channel" and isinstance(props, dict):
        mentioned.add(str(props.get("addedUserId", "")))
    for match in _MENTION_RE.finditer(str(post.get("message", ""))):
        name = match.group(1).lower()
        if name in _CHANNEL_WIDE_MENTIONS:
            mentioned |= members
            continue
        user = state.user_by_username(name) or state.user_by_username(name.rstrip("._-"))
        if user is not None:
            mentioned.add(user.id)
    mentioned.discard(str(post.get("user_id", "")))
    return mentioned


def thread_followers(state: SimState, event: Event) -> set[str]:
    """Who follows the thread a ``posted`` reply joins: its root's author and earlier repliers
    still in the channel."""
    post = _post_of(event)
    root = state.posts.get(str(post.get("root_id") or ""))
    channel = state.channels.get(root.channel_id) if root is not None else None
    if root is None or channel is None:
        return set()
    followers = {root.user_id}
    followers.update(
        p.user_id
        for p in state.posts.values()
        if p.root_id == root.id and p.id != post.get("id") and not p.delete_at
    )
    return followers & set(channel.members)
