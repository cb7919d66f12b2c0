"""What the person's client reads out of Mattermost's REST answers: refusals, post lists and the
cookies Mattermost puts on buttons."""

from __future__ import annotations

import json
from typing import Any


class MattermostError(Exception):
    """A REST call Mattermost refused: HTTP status, AppError id and message."""

    def __init__(self, status: int, error_id: str, message: str) -> None:
        super().__init__(f"{status} {error_id or '(no id)'}: {message}")
        self.status = status
        self.id = error_id
        self.message = message


def error_of(status: int, text: str) -> MattermostError:
    """The error a failed response carries (an AppError body, or plain text such as 429's)."""
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    if isinstance(body, dict):
        return MattermostError(status, str(body.get("id", "")), str(body.get("message", "")))
    return MattermostError(status, "", text.strip())


def action_cookie(post: dict[str, Any] | None, action_id: str) -> str:
    """The ``cookie`` Mattermost put on the post's action ``action_id``, or ``""``."""
    props = post.get("props") if post is not None else None
    attachments = props.get("attachments") if isinstance(props, dict) else None
    for attachment in attachments if isinstance(attachments, list) else []:
        actions = attachment.get("actions") if isinstance(attachment, dict) else None
        for action in actions if isinstance(actions, list) else []:
            if isinstance(action, dict) and action.get("id") == action_id:
                return str(action.get("cookie") or "")
    return ""


def oldest_first(listings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The posts named in the PostLists' ``order`` (pages newest first), oldest first, each once.

    The server's own order is kept: posts made in the same millisecond come in the order they
    were made, which sorting by ``create_at`` and id would lose.
    """
    posts: dict[str, dict[str, Any]] = {}
    for listing in listings:
        for post_id in listing.get("order") or []:
            posts.setdefault(post_id, listing["posts"][post_id])
    newest_first = list(posts.values())
    return sorted(reversed(newest_first), key=lambda post: post.get("create_at", 0))
