"""REST routes: emoji reactions on posts."""

from __future__ import annotations

import functools
import re
from pathlib import Path

from aiohttp import web

from ..app import current_user, sim_of
from ..errors import AppError, forbidden, not_found
from ..models import Post, Reaction, User
from ..permissions import channel_grants
from ..state import SimState
from ._json import (
    EMOJI_NAME,
    ID,
    is_valid_id,
    json_response,
    path_id,
    path_user_id,
    read_json_object,
    status_ok,
)

EMOJI_NAME_MAX_LENGTH = 64
_EMOJI_NAME_RE = re.compile(r"^[a-zA-Z0-9\-+_]+$")
_SYSTEM_EMOJIS = Path(__file__).resolve().parent.parent / "system_emojis.txt"


@functools.cache
def _system_emojis() -> frozenset[str]:
    """Mattermost's system emoji names (``model.SystemEmojis`` of the pinned server)."""
    return frozenset(_SYSTEM_EMOJIS.read_text().split())


def is_system_emoji(name: str) -> bool:
    """Whether ``name`` is one of Mattermost's system emojis (the simulator has no custom ones)."""
    return name in _system_emojis()


def _invalid_reaction() -> AppError:
    return AppError(400, "api.reaction.save_reaction.invalid.app_error", "Reaction is not valid.")


def _reactable_post(state: SimState, user: User, post_id: str, permission: str) -> Post:
    """A live post on whose channel the user holds ``permission`` (``SessionHasPermissionToChannelByPost``:
    channel roles, then team roles); anything else is 403."""
    post = state.posts.get(post_id)
    channel = state.channels.get(post.channel_id) if post is not None and not post.delete_at else None
    if post is None or channel is None or not channel_grants(state, user, channel, permission):
        raise forbidden(permission)
    return post


def _reaction_json(reaction: Reaction, post: Post) -> dict[str, object]:
    return reaction.to_json() | {"channel_id": post.channel_id}


async def save_reaction(request: web.Request) -> web.Response:
    """POST /reactions: react as oneself; 200 with the ``Reaction`` (the spec's 201 is wrong)."""
    user = current_user(request)
    body = await read_json_object(request, "reaction")
    user_id, post_id, emoji_name = (body.get(key) for key in ("user_id", "post_id", "emoji_name"))
    if not (isinstance(user_id, str) and isinstance(post_id, str) and isinstance(emoji_name, str)):
        raise _invalid_reaction()
    if not is_valid_id(user_id) or not is_valid_id(post_id) or not emoji_name:
        raise _invalid_reaction()
    if len(emoji_name) > EMOJI_NAME_MAX_LENGTH or not _EMOJI_NAME_RE.match(emoji_name):
        raise AppError(400, "model.reaction.is_valid.emoji_name.app_error", "Invalid emoji name.")
    if user_id != user.id:
        raise AppError(
            403,
            "api.reaction.save_reaction.user_id.app_error",
            "You cannot save reaction for the other user.",
        )
    state = sim_of(request).state
    post = _reactable_post(state, user, post_id, "add_reaction")
    if not is_system_emoji(emoji_name):
        raise not_found("app.emoji.get_by_name.no_result", "We could not find the emoji.")
    return json_response(_reaction_json(state.add_reaction(user, post, emoji_name), post))


async def delete_reaction(request: web.Request) -> web.Response:
    """DELETE /users/{user_id}/posts/{post_id}/reactions/{emoji_name}: own reactions, or admins'."""
    caller = current_user(request)
    user_id = path_user_id(request, caller)
    post_id = path_id(request, "post_id")
    emoji_name = request.match_info["emoji_name"]
    if len(emoji_name) > EMOJI_NAME_MAX_LENGTH:
        raise AppError(400, "api.context.invalid_url_param.app_error", "Invalid emoji_name in request URL.")
    state = sim_of(request).state
    post = _reactable_post(state, caller, post_id, "remove_reaction")
    if user_id != caller.id and not caller.is_system_admin:
        raise forbidden("remove_others_reactions")
    state.remove_reaction(state.get_user(user_id), post, emoji_name)
    return status_ok()


async def get_reactions(request: web.Request) -> web.Response:
    """GET /posts/{post_id}/reactions: every reaction on a post the caller may read."""
    user = current_user(request)
    state = sim_of(request).state
    post = _reactable_post(state, user, path_id(request, "post_id"), "read_channel_content")
    reactions = state.post_reactions(post.id)
    # An empty list is answered as JSON null, as Go encodes a nil slice.
    return json_response([_reaction_json(r, post) for r in reactions] if reactions else None)


def register(app: web.Application) -> None:
    """Add this area's routes to the application."""
    app.router.add_post("/api/v4/reactions", save_reaction)
    app.router.add_get(f"/api/v4/posts/{{post_id:{ID}}}/reactions", get_reactions)
    app.router.add_delete(
        f"/api/v4/users/{{user_id:{ID}}}/posts/{{post_id:{ID}}}/reactions/{{emoji_name:{EMOJI_NAME}}}",
        delete_reaction,
    )
