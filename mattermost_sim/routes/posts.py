"""REST routes: posts, post lists, threads and ephemeral posts."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ..app import current_user, sim_of
from ..errors import AppError, forbidden
from ..models import Channel, Post, User
from ..permissions import channel_grants
from ..state import SimState
from . import reactions
from ._json import (
    ID,
    invalid_body_param,
    is_valid_id,
    json_response,
    paging,
    path_id,
    query_flag,
    read_json_object,
    status_ok,
    string_field,
)
from ._post_list import PostQuery, channel_post_list, thread_post_list

BASE = "/api/v4/posts"
POST = f"{BASE}/{{post_id:{ID}}}"
MAX_FILES_PER_POST = 5


def _props(body: dict[str, Any], default: dict[str, Any] | None) -> dict[str, Any] | None:
    """``props``, which must be a JSON object when present."""
    props = body.get("props")
    if props is None:
        return default
    if not isinstance(props, dict):
        raise invalid_body_param("post")
    return props


def _file_ids(body: dict[str, Any]) -> list[str] | None:
    """``file_ids``: at most five ids, or None when absent."""
    file_ids = body.get("file_ids")
    if file_ids is None:
        return None
    if not isinstance(file_ids, list) or not all(
        isinstance(fid, str) and is_valid_id(fid) for fid in file_ids
    ):
        raise invalid_body_param("post")
    if len(file_ids) > MAX_FILES_PER_POST:
        raise AppError(400, "model.post.is_valid.file_ids.app_error", "Invalid file ids.")
    return list(file_ids)


def _bool(body: dict[str, Any], key: str) -> bool:
    value = body.get(key, False)
    if not isinstance(value, bool):
        raise invalid_body_param("post")
    return value


def _attachable(state: SimState, author: User, channel: Channel, file_ids: list[str]) -> list[str]:
    """The files a new post may claim: the author's uploads to this channel not yet attached.

    Mattermost drops other ids silently (``attachFilesToPost``).
    """
    attachable = []
    for file_id in file_ids:
        info = state.files.get(file_id)
        if info and info.user_id == author.id and info.channel_id == channel.id and not info.post_id:
            attachable.append(file_id)
    return attachable


def _require_editable(
    request: web.Request, user: User, post_id: str, message: str | None
) -> tuple[Post, Channel]:
    """``edit_post`` (own posts: channel members) or ``edit_others_posts`` (system admins), then
    ``ServiceSettings.PostEditTimeLimit`` for a new ``message`` (any caller, bots and admins too);
    missing posts 403."""
    state = sim_of(request).state
    post = state.posts.get(post_id)
    if post is None or post.delete_at:
        raise forbidden("edit_post")
    channel = state.get_channel(post.channel_id)
    if not channel_grants(state, user, channel, "edit_post"):
        raise forbidden("edit_post")
    if post.user_id != user.id and not channel_grants(state, user, channel, "edit_others_posts"):
        raise forbidden("edit_others_posts")
    limit = sim_of(request).config.post_edit_time_limit
    if limit != -1 and message is not None and state.clock() > post.create_at + limit * 1000:
        raise AppError(
            400,
            "api.post.update_post.permissions_time_limit.app_error",
            f"Post edit is only allowed for {limit} seconds. "
            "Please ask your System Administrator for details.",
        )
    if post.type.startswith("system_"):
        raise AppError(
            400, "api.post.update_post.system_message.app_error", "Unable to update system message."
        )
    if channel.delete_at:
        raise AppError(
            400,
            "api.post.update_post.can_not_update_post_in_deleted.error",
            "Can not update a post in an archived channel.",
        )
    return post, channel


def _readable_post(state: SimState, user: User, post_id: str) -> Post:
    """A live post the user may read: 404 when missing, 403 without ``read_channel``."""
    post = state.get_post(post_id)
    state.require_read_channel(user, state.get_channel(post.channel_id))
    return post


async def create_post(request: web.Request) -> web.Response:
    """POST /posts (201); a repeated ``pending_post_id`` answers the first post."""
    user = current_user(request)
    body = await read_json_object(request, "post")
    state = sim_of(request).state
    channel_id = string_field(body, "channel_id")
    channel = state.channels.get(channel_id)
    if channel is None:
        raise forbidden("create_post")
    state.require_post_channel(user, channel)
    if channel.delete_at:
        raise AppError(
            400,
            "api.post.create_post.can_not_post_to_deleted.error",
            "Can not post to an archived channel.",
        )
    root_id = string_field(body, "root_id")
    if root_id and not is_valid_id(root_id):
        raise invalid_body_param("root_id")
    post_type = string_field(body, "type")
    if post_type.startswith("system_"):
        raise AppError(400, "api.context.invalid_param.app_error", "Invalid post.type parameter.")
    create_at = body.get("create_at")
    backdated = create_at if isinstance(create_at, int) and user.is_system_admin else 0
    pending_post_id = string_field(body, "pending_post_id")
    post = state.create_post(
        user,
        channel,
        string_field(body, "message"),
        root_id=root_id,
        props=_props(body, {}),
        post_type=post_type,
        file_ids=_attachable(state, user, channel, _file_ids(body) or []),
        pending_post_id=pending_post_id,
        create_at=backdated,
        remote_id="",
    )
    answer = post.to_json()
    answer["pending_post_id"] = pending_post_id
    return json_response(answer, status=201)


async def get_post(request: web.Request) -> web.Response:
    """GET /posts/{post_id}: the post without its action integrations."""
    user = current_user(request)
    post = _readable_post(sim_of(request).state, user, path_id(request, "post_id"))
    return json_response(post.to_json())


async def update_post(request: web.Request) -> web.Response:
    """PUT /posts/{post_id}: replace the post; omitted fields are blanked, as Mattermost does."""
    user = current_user(request)
    post_id = path_id(request, "post_id")
    body = await read_json_object(request, "post")
    if string_field(body, "id") != post_id:
        raise invalid_body_param("id")
    state = sim_of(request).state
    message, props = string_field(body, "message"), _props(body, {})
    is_pinned, has_reactions, file_ids = (
        _bool(body, "is_pinned"),
        _bool(body, "has_reactions"),
        _file_ids(body),
    )
    original = state.posts.get(post_id)
    changed = original is None or original.message != message
    post, _ = _require_editable(request, user, post_id, message if changed else None)
    post.is_pinned, post.has_reactions = is_pinned, has_reactions
    if file_ids is not None:
        post.file_ids = file_ids
    return json_response(state.update_post(post, message, props).to_json())


async def patch_post(request: web.Request) -> web.Response:
    """PUT /posts/{post_id}/patch: change only the fields given."""
    user = current_user(request)
    post_id = path_id(request, "post_id")
    body = await read_json_object(request, "post")
    state = sim_of(request).state
    new_message = string_field(body, "message") if body.get("message") is not None else None
    post, _ = _require_editable(request, user, post_id, new_message)
    message = post.message if new_message is None else new_message
    props, file_ids = _props(body, None), _file_ids(body)
    is_pinned = _bool(body, "is_pinned") if "is_pinned" in body else post.is_pinned
    has_reactions = _bool(body, "has_reactions") if "has_reactions" in body else post.has_reactions
    post.is_pinned, post.has_reactions = is_pinned, has_reactions
    if file_ids is not None:
        post.file_ids = file_ids
    return json_response(state.update_post(post, message, props).to_json())


async def delete_post(request: web.Request) -> web.Response:
    """DELETE /posts/{post_id}: ``delete_post`` for one's own (channel members, team admins),
    ``delete_others_posts`` for anyone's (team and system admins); replies go too."""
    user = current_user(request)
    state = sim_of(request).state
    post = state.get_post(path_id(request, "post_id"))
    channel = state.get_channel(post.channel_id)
    if not channel_grants(state, user, channel, "delete_post"):
        raise forbidden("delete_post")
    if post.user_id != user.id and not channel_grants(state, user, channel, "delete_others_posts"):
        raise forbidden("delete_others_posts")
    now = state.clock()
    for reply in state.posts.values():
        if reply.root_id == post.id and not reply.delete_at:
            reply.delete_at = reply.update_at = now
    post.update_at = now
    state.delete_post(post, by=user)
    return status_ok()


async def create_ephemeral_post(request: web.Request) -> web.Response:
    """POST /posts/ephemeral: system admins only (``create_post_ephemeral``); 201, never stored."""
    user = current_user(request)
    body = await read_json_object(request, "body")
    target_id = string_field(body, "user_id")
    if not target_id:
        raise invalid_body_param("user_id")
    post = body.get("post")
    if not isinstance(post, dict):
        raise invalid_body_param("post")
    if not user.is_system_admin:
        raise forbidden("create_post_ephemeral")
    channel_id = string_field(post, "channel_id")
    if not is_valid_id(channel_id):
        raise invalid_body_param("channel_id")
    sent = sim_of(request).state.send_ephemeral(
        target_id,
        channel_id,
        string_field(post, "message"),
        _props(post, {}),
        root_id=string_field(post, "root_id"),
    )
    return json_response(sent.to_json(), status=201)


async def get_posts_for_channel(request: web.Request) -> web.Response:
    """GET /channels/{channel_id}/posts: a ``PostList`` by page, ``before``/``after`` or ``since``."""
    user = current_user(request)
    channel_id = path_id(request, "channel_id")
    after, before = request.query.get("after", ""), request.query.get("before", "")
    for name, value in (("after", after), ("before", before)):
        if value and not is_valid_id(value):
            raise invalid_body_param(name)
    try:
        since = int(request.query.get("since") or 0)
    except ValueError:
        raise invalid_body_param("since") from None
    include_deleted = query_flag(request, "include_deleted")
    if include_deleted and not user.is_system_admin:
        raise forbidden("read_deleted_posts")
    state = sim_of(request).state
    state.require_read_channel(user, state.get_channel(channel_id))
    page, per_page = paging(request)
    query = PostQuery(page, per_page, since, before, after, include_deleted)
    return json_response(channel_post_list(state, channel_id, query))


async def get_post_thread(request: web.Request) -> web.Response:
    """GET /posts/{post_id}/thread: the root and every reply, newest first."""
    user = current_user(request)
    state = sim_of(request).state
    post = _readable_post(state, user, path_id(request, "post_id"))
    return json_response(thread_post_list(state, post))


def register(app: web.Application) -> None:
    """Add this area's routes (reactions included) to the application."""
    app.router.add_post(BASE, create_post)
    app.router.add_post(f"{BASE}/ephemeral", create_ephemeral_post)
    app.router.add_get(POST, get_post)
    app.router.add_put(POST, update_post)
    app.router.add_put(f"{POST}/patch", patch_post)
    app.router.add_delete(POST, delete_post)
    app.router.add_get(f"{POST}/thread", get_post_thread)
    app.router.add_get(f"/api/v4/channels/{{channel_id:{ID}}}/posts", get_posts_for_channel)
    reactions.register(app)
