"""Posting once, and showing the current state when Mattermost refuses an edit.

**Once.** Mattermost's ``pending_post_id`` makes creating a post idempotent only while the server
remembers the id: 30 seconds, in memory, on the node that took the request
(``pendingPostIDsCacheTTL`` in app/post.go). A retry after that — a job run again after a crash,
a restart that completes a run's set-up, an update's delivery job 30 s later — would post
again. So every post the bot might repeat is made under a key (:class:`KeyedPost`), which the
gateway sends as ``pending_post_id`` (enough within those 30 s) and keeps in the post's props
(:data:`~bot.mattermost.gateway_posts.POST_KEY_PROP`), where it lasts. The caller's own records say
whether an earlier attempt may have posted without the post's id being recorded — a job's second
attempt, a run whose set-up was interrupted — and only then is the channel read (one request)
for the bot's post with the key before posting. A first attempt costs nothing more.

**Edits.** An administrator can limit how long posts may be edited
(``ServiceSettings.PostEditTimeLimit``); Mattermost then refuses, with 400
``api.post.update_post.permissions_time_limit.app_error``, any REST edit that changes the message of
an older post — the bot's own included, whoever asks (api4/post.go ``updatePost``,
``postPatchChecks``). Changing only props stays allowed, and so do the ``update`` answers to button
clicks (they are applied without that check). :func:`edit_or_replace` therefore posts a fresh copy
when an edit is refused, turns the old post into an "out of date" note (a props-only change), and
returns the new post's id for the caller to record and edit from then on.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.mattermost.errors import MattermostError
from bot.mattermost.gateway_posts import POST_KEY_PROP
from bot.mattermost.types import MMPost

from .context import Services

log = logging.getLogger(__name__)

EDIT_TIME_LIMIT_ERROR = "api.post.update_post.permissions_time_limit.app_error"
COLOR_OUT_OF_DATE = "#8b8b8b"


@dataclass(frozen=True, slots=True)
class KeyedPost:
    """A post the bot makes at most once: ``key`` identifies it across retries and restarts."""

    key: str
    channel_id: str
    message: str
    props: Mapping[str, Any] = field(default_factory=dict)
    root_id: str = ""


def with_key(post: Mapping[str, Any], key: str) -> dict[str, Any]:
    """A rendered post (``{"message", "props"}``) with its key in the props, for edits: an edit
    replaces every prop, and the key must survive it to be found later."""
    return {**post, "props": {**post.get("props", {}), POST_KEY_PROP: key}}


async def post_once(services: Services, post: KeyedPost, *, maybe_posted: bool) -> MMPost:
    """Create ``post`` unless it already exists; the post either way.

    ``maybe_posted``: an earlier attempt under this key may have created the post without the
    caller recording it (a retry, a resumed job). Then the channel is searched first; otherwise
    the key's ``pending_post_id`` alone guards the gateway's immediate retries.
    """
    if maybe_posted:
        found = (await services.gateway.find_keyed_posts(post.channel_id, [post.key])).get(post.key)
        if found is not None:
            log.info("post %s was already made (%s); not posting it again", post.key, found.id)
            return found
    return await services.gateway.create_post(
        post.channel_id, post.message, root_id=post.root_id, props=post.props, key=post.key
    )


def edit_refused(error: MattermostError) -> bool:
    """Whether an edit failed for good: past the edit time limit, or the post is gone or not the
    bot's to edit (Mattermost answers 403 for both). Timeouts and 5xx are not refusals."""
    return (error.status == 400 and error.error_id == EDIT_TIME_LIMIT_ERROR) or error.status in (403, 404)


async def edit_or_replace(
    services: Services, post_id: str, post: Mapping[str, Any], replacement: KeyedPost, *, what: str
) -> str:
    """Edit ``post_id`` to show ``post``; if Mattermost refuses the edit, post ``replacement``
    (the same content, under a key naming the post it replaces) and mark the old post out of
    date. Returns the id of the post that now shows the content: the caller records it.

    ``what`` names the post for people ("checklist", "overview"). A failure of the fresh post is
    raised; one of the out-of-date mark (the old post may be gone) is only logged.
    """
    try:
        await services.gateway.update_post(post_id, post["message"], post.get("props", {}))
        return post_id
    except MattermostError as error:
        if not edit_refused(error):
            raise
        log.info("Mattermost refused to edit %s post %s (%s); posting it afresh", what, post_id, error)
    # Another attempt may have posted the copy already and stopped before recording it.
    fresh = await post_once(services, replacement, maybe_posted=True)
    await mark_out_of_date(services, post_id, what)
    return fresh.id


async def mark_out_of_date(services: Services, post_id: str, what: str) -> bool:
    """Replace the post's attachments (and so its buttons) with a note that a newer copy exists
    below. Only props change, which Mattermost allows past the edit time limit; whether it worked."""
    note = {
        "color": COLOR_OUT_OF_DATE,
        "text": f"_This {what} is out of date: Mattermost no longer lets me edit it. "
        f"The current {what} is the newer post below._",
    }
    try:
        await services.gateway.patch_post(post_id, props={"attachments": [note]})
    except MattermostError as error:
        log.warning("could not mark %s post %s as out of date: %s", what, post_id, error)
        return False
    return True


async def send_direct(
    services: Services, user_id: str, text: str, *, file: tuple[str, bytes] | None = None
) -> MMPost:
    """Post ``text`` to ``user_id`` in their direct channel with the bot, with ``file`` (its name
    and content) attached when given."""
    direct = await services.gateway.direct_channel(user_id)
    file_ids = None
    if file is not None:
        file_ids = [await services.gateway.upload_file(direct.id, *file)]
    return await services.gateway.create_post(direct.id, text, file_ids=file_ids)
