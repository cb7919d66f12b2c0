"""Mattermost's ``PostList``: a channel's posts by page, cursor or time, and threads.

Selection and cursors follow ``getPostsForChannel`` and ``AddCursorIdsForPostList``:
``order`` lists ids newest first; ``posts`` also carries the threads of listed replies;
``next_post_id``/``prev_post_id`` name the posts just newer/older than the window.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..models import Post
from ..state import SimState

SINCE_LIMIT = 1000


def _key(post: Post) -> tuple[int, int]:
    """Timeline order: ``create_at``, then the order posts were made (the store's index order)."""
    return (post.create_at, post.seq)


def last_change_at(post: Post) -> int:
    """When the post was created, edited or deleted, whichever is latest."""
    return max(post.create_at, post.update_at, post.delete_at)


@dataclass(frozen=True)
class PostQuery:
    """Which posts of a channel to list: a page, a window around a post, or changes since a time."""

    page: int = 0
    per_page: int = 60
    since: int = 0
    before: str = ""
    after: str = ""
    include_deleted: bool = False


def channel_post_list(state: SimState, channel_id: str, query: PostQuery) -> dict[str, Any]:
    """The ``PostList`` that ``GET /channels/{id}/posts`` answers for ``query``."""
    every = sorted((p for p in state.posts.values() if p.channel_id == channel_id), key=_key)
    timeline = [p for p in every if query.include_deleted or not p.delete_at]
    start, stop = query.page * query.per_page, (query.page + 1) * query.per_page
    if query.since > 0:
        changed = [p for p in every if last_change_at(p) > query.since][::-1]
        return _render(state, changed[:SINCE_LIMIT], "", "")
    if query.after:
        anchor = state.posts.get(query.after)
        newer = [p for p in timeline if anchor is not None and _key(p) > _key(anchor)]
        window = newer[start:stop][::-1]
        prev_id = query.after if query.page == 0 else _older_than(timeline, window)
        next_id = _newer_than(timeline, window) if len(window) >= query.per_page else ""
        return _render(state, window, next_id, prev_id)
    newest_first = timeline[::-1]
    if query.before:
        anchor = state.posts.get(query.before)
        newest_first = [p for p in newest_first if anchor is not None and _key(p) < _key(anchor)]
    window = newest_first[start:stop]
    if query.before and query.page == 0:
        next_id = query.before
    else:
        next_id = "" if query.page == 0 and not query.before else _newer_than(timeline, window)
    full = not query.before or len(window) >= query.per_page
    prev_id = _older_than(timeline, window) if full else ""
    return _render(state, window, next_id, prev_id)


def thread_post_list(state: SimState, post: Post) -> dict[str, Any]:
    """The ``PostList`` of the thread a post belongs to, newest first."""
    root_id = post.root_id or post.id
    thread = [p for p in state.posts.values() if not p.delete_at and root_id in (p.id, p.root_id)]
    listing = _render(state, sorted(thread, key=_key, reverse=True), "", "")
    listing["has_next"] = False  # threads are paged (``perPage``); one page here
    return listing


def _newer_than(timeline: list[Post], window: list[Post]) -> str:
    """``GetNextPostIdFromPostList``: the first post of a later millisecond than the window's newest."""
    if not window:
        return ""
    newest = window[0].create_at
    return next((p.id for p in timeline if p.create_at > newest), "")


def _older_than(timeline: list[Post], window: list[Post]) -> str:
    """``GetPrevPostIdFromPostList``: the newest post of an earlier millisecond than the window's
    oldest (posts sharing its millisecond but left out of the window are skipped)."""
    if not window:
        return ""
    oldest = window[-1].create_at
    return next((p.id for p in reversed(timeline) if p.create_at < oldest), "")


def _render(state: SimState, ordered: list[Post], next_id: str, prev_id: str) -> dict[str, Any]:
    posts = {p.id: p.to_json() for p in ordered}
    # Replies bring their whole thread along, outside ``order`` (skipFetchThreads=false).
    root_ids = {p.root_id for p in ordered if p.root_id}
    for other in state.posts.values():
        if other.id not in posts and not other.delete_at and root_ids & {other.id, other.root_id}:
            posts[other.id] = other.to_json()
    return {
        "order": [p.id for p in ordered],
        "posts": posts,
        "next_post_id": next_id,
        "prev_post_id": prev_id,
        "first_inaccessible_post_time": 0,
    }
