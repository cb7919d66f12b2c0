"""REST routes: users, the teams and channels a user belongs to, and typing notices."""

from __future__ import annotations

from aiohttp import web

from ..app import current_user, sim_of
from ..errors import forbidden, not_found
from ..models import User
from ..state import Broadcast
from ._json import (
    ID,
    USERNAME,
    invalid_body_param,
    is_valid_id,
    json_response,
    path_id,
    path_user_id,
    query_flag,
    read_id_list,
    read_json_object,
    status_ok,
    string_field,
)

BASE = "/api/v4/users"
USER_ID = "{user_id:" + ID + "}"  # ``me`` included
MAX_IDS = 1000


def require_self_or_admin(caller: User, user_id: str) -> None:
    """``SessionHasPermissionToUser``: a user acts for themself; admins for anyone (else 403)."""
    if caller.id != user_id and not caller.is_system_admin:
        raise forbidden("edit_other_users")


def user_json(caller: User, user: User) -> dict[str, object]:
    """A user as one caller sees it: whole for themself and system admins, else sanitized."""
    return user.to_json(full=caller.id == user.id or caller.is_system_admin)


async def get_me(request: web.Request) -> web.Response:
    """GET /users/me."""
    user = current_user(request)
    return json_response(user.to_json(full=True))


async def get_user(request: web.Request) -> web.Response:
    """GET /users/{user_id}; ``me`` is the caller."""
    caller = current_user(request)
    user_id = path_user_id(request, caller)
    return json_response(user_json(caller, sim_of(request).state.get_user(user_id)))


async def get_user_by_username(request: web.Request) -> web.Response:
    """GET /users/username/{username}."""
    caller = current_user(request)
    user = sim_of(request).state.user_by_username(request.match_info["username"])
    if user is None:
        raise not_found(
            "app.user.get_by_username.app_error", "Unable to find an existing account matching your username."
        )
    return json_response(user_json(caller, user))


async def get_users_by_ids(request: web.Request) -> web.Response:
    """POST /users/ids: a JSON array of ids; unknown ids are left out (whole for admins only)."""
    caller = current_user(request)
    ids = await read_id_list(request, "user_ids")
    if not ids or len(ids) > MAX_IDS:
        raise invalid_body_param("user_ids")
    users = sim_of(request).state.users
    full = caller.is_system_admin
    return json_response([users[uid].to_json(full=full) for uid in ids if uid in users])


async def get_users_by_usernames(request: web.Request) -> web.Response:
    """POST /users/usernames: a JSON array of usernames; unknown ones are left out."""
    caller = current_user(request)
    usernames = await read_id_list(request, "usernames")
    if not usernames or len(usernames) > MAX_IDS:
        raise invalid_body_param("usernames")
    state = sim_of(request).state
    found = (state.user_by_username(name) for name in usernames)
    full = caller.is_system_admin
    return json_response([user.to_json(full=full) for user in found if user is not None])


async def get_teams_for_user(request: web.Request) -> web.Response:
    """GET /users/{user_id}/teams: the teams the user is on (self, or admins)."""
    caller = current_user(request)
    user_id = path_user_id(request, caller)
    require_self_or_admin(caller, user_id)
    teams = sim_of(request).state.teams.values()
    return json_response([team.to_json() for team in teams if user_id in team.members])


async def get_channels_for_team_for_user(request: web.Request) -> web.Response:
    """GET /users/{user_id}/teams/{team_id}/channels: the user's channels in a team, DMs included."""
    caller = current_user(request)
    user_id = path_user_id(request, caller)
    team_id = path_id(request, "team_id")
    require_self_or_admin(caller, user_id)
    state = sim_of(request).state
    if not caller.is_system_admin and not state.is_team_member(caller, team_id):
        raise forbidden("view_team")
    include_deleted = query_flag(request, "include_deleted")
    channels = sorted(
        (
            channel
            for channel in state.channels.values()
            if user_id in channel.members
            and channel.team_id in (team_id, "")
            and (include_deleted or not channel.delete_at)
        ),
        key=lambda channel: (channel.display_name, channel.name),
    )
    return json_response([channel.to_json() for channel in channels])


async def publish_typing(request: web.Request) -> web.Response:
    """POST /users/{user_id}/typing: announce ``typing`` to the channel's other members."""
    caller = current_user(request)
    user_id = path_user_id(request, caller)
    require_self_or_admin(caller, user_id)
    body = await read_json_object(request, "typing")
    channel_id = string_field(body, "channel_id")
    parent_id = string_field(body, "parent_id")
    if not is_valid_id(channel_id):
        raise invalid_body_param("channel_id")
    state = sim_of(request).state
    channel = state.channels.get(channel_id)
    if channel is None or not (caller.is_system_admin or caller.id in channel.members):
        raise forbidden("create_post")
    state.publish(
        "typing",
        {"parent_id": parent_id, "user_id": user_id},
        Broadcast(channel_id=channel_id, omit_users=frozenset({user_id})),
    )
    return status_ok()


PATCHABLE_TEXT = ("nickname", "first_name", "last_name", "locale")


async def patch_user(request: web.Request) -> web.Response:
    """PUT /users/{user_id}/patch: the fields given change (``UserPatch``); ``timezone`` is a
    string map that replaces the whole stored one, as Mattermost keeps it."""
    caller = current_user(request)
    user_id = path_user_id(request, caller)
    require_self_or_admin(caller, user_id)
    body = await read_json_object(request, "user")
    user = sim_of(request).state.get_user(user_id)
    for key in PATCHABLE_TEXT:
        if key in body:
            setattr(user, key, string_field(body, key))
    if "timezone" in body:
        zone = body["timezone"]
        if not isinstance(zone, dict) or not all(isinstance(v, str) for v in zone.values()):
            raise invalid_body_param("timezone")
        user.timezone_props = {str(k): v for k, v in zone.items()}
    return json_response(user.to_json(full=True))


def register(app: web.Application) -> None:
    """Add this area's routes to the application."""
    app.router.add_get(f"{BASE}/me", get_me)
    app.router.add_post(f"{BASE}/ids", get_users_by_ids)
    app.router.add_post(f"{BASE}/usernames", get_users_by_usernames)
    app.router.add_get(f"{BASE}/username/{{username:{USERNAME}}}", get_user_by_username)
    app.router.add_get(f"{BASE}/{USER_ID}", get_user)
    app.router.add_get(f"{BASE}/{USER_ID}/teams", get_teams_for_user)
    app.router.add_get(f"{BASE}/{USER_ID}/teams/{{team_id:{ID}}}/channels", get_channels_for_team_for_user)
    app.router.add_post(f"{BASE}/{USER_ID}/typing", publish_typing)
    app.router.add_put(f"{BASE}/{USER_ID}/patch", patch_user)
