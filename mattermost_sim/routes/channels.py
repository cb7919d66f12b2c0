"""REST routes: channels, channel members and direct channels."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .. import system_posts
from ..app import current_user, sim_of
from ..errors import AppError, forbidden, not_found
from ..models import Channel, ChannelMember, User
from ..permissions import channel_grants, team_grants
from ..state import SimState
from ._json import (
    CHANNEL_NAME,
    ID,
    TEAM_NAME,
    invalid_body_param,
    is_valid_id,
    json_response,
    paging,
    path_id,
    path_user_id,
    query_flag,
    read_json,
    read_json_object,
    status_ok,
    string_field,
)

BASE = "/api/v4/channels"
CHANNEL = f"{BASE}/{{channel_id:{ID}}}"
DEFAULT_CHANNEL = "town-square"
MAX_USER_IDS = 1000


def _channel_missing_by_name() -> AppError:
    return not_found("app.channel.get_by_name.missing.app_error", "Unable to find the existing channel.")


def visible_by_name(state: SimState, user: User, channel: Channel) -> Channel:
    """``getChannelByName``'s rule: open channels need the team; private ones hide behind 404."""
    if channel.type == "O":
        if not user.is_system_admin and not state.is_team_member(user, channel.team_id):
            raise forbidden("read_public_channel")
    elif not state.can_read_channel(user, channel):
        raise _channel_missing_by_name()
    return channel


async def create_channel(request: web.Request) -> web.Response:
    """POST /channels: an open or private channel, the caller its first member (201)."""
    user = current_user(request)
    body = await read_json_object(request, "channel")
    team_id = string_field(body, "team_id")
    display_name = string_field(body, "display_name")
    channel_type = string_field(body, "type")
    if not team_id:
        raise invalid_body_param("team_id")
    if not display_name:
        raise invalid_body_param("display_name")
    state = sim_of(request).state
    permission = "create_private_channel" if channel_type == "P" else "create_public_channel"
    if not team_grants(state, user, team_id, permission):
        raise forbidden(permission)
    channel = state.create_channel(
        user,
        team_id,
        string_field(body, "name"),
        display_name,
        channel_type,
        string_field(body, "header"),
        string_field(body, "purpose"),
    )
    system_posts.joined_channel(state, user, channel)
    return json_response(channel.to_json(), status=201)


async def get_channel(request: web.Request) -> web.Response:
    """GET /channels/{channel_id}: members, team members (open channels) and admins."""
    user = current_user(request)
    state = sim_of(request).state
    channel = state.get_channel(path_id(request, "channel_id"))
    state.require_read_channel(user, channel)
    return json_response(channel.to_json())


async def patch_channel(request: web.Request) -> web.Response:
    """PUT /channels/{channel_id}/patch: ``display_name``, ``header``, ``purpose``."""
    user = current_user(request)
    state = sim_of(request).state
    channel = state.get_channel(path_id(request, "channel_id"))
    body = await read_json_object(request, "channel")
    permission = (
        "manage_private_channel_properties" if channel.type == "P" else "manage_public_channel_properties"
    )
    if not channel_grants(state, user, channel, permission):
        raise forbidden(permission)
    changes = {key: string_field(body, key) for key in ("display_name", "header", "purpose") if key in body}
    if channel.type in ("D", "G") and ("display_name" in changes or "purpose" in changes):
        raise invalid_body_param("channel")
    before = {"display_name": channel.display_name, "header": channel.header, "purpose": channel.purpose}
    state.patch_channel(channel, **changes)
    system_posts.channel_patched(state, user, channel, before)
    return json_response(channel.to_json())


async def delete_channel(request: web.Request) -> web.Response:
    """DELETE /channels/{channel_id}: archive the channel (members and admins)."""
    user = current_user(request)
    state = sim_of(request).state
    channel = state.get_channel(path_id(request, "channel_id"))
    permission = "delete_private_channel" if channel.type == "P" else "delete_public_channel"
    if not channel_grants(state, user, channel, permission):
        raise forbidden(permission)
    state.archive_channel(channel, by=user)
    return status_ok()


async def get_channel_by_name(request: web.Request) -> web.Response:
    """GET /teams/{team_id}/channels/name/{channel_name}[?include_deleted=true]."""
    user = current_user(request)
    state = sim_of(request).state
    team_id = path_id(request, "team_id")
    channel = state.channel_by_name(
        team_id, request.match_info["channel_name"], query_flag(request, "include_deleted")
    )
    if channel is None:
        raise _channel_missing_by_name()
    return json_response(visible_by_name(state, user, channel).to_json())


async def get_channel_by_team_and_channel_names(request: web.Request) -> web.Response:
    """GET /teams/name/{team_name}/channels/name/{channel_name}."""
    user = current_user(request)
    state = sim_of(request).state
    team = state.team_by_name(request.match_info["team_name"])
    if team is None:
        raise not_found("app.team.get_by_name.missing.app_error", "Unable to find the existing team.")
    name = request.match_info["channel_name"]
    channel = state.channel_by_name(team.id, name, query_flag(request, "include_deleted"))
    if channel is None:
        raise _channel_missing_by_name()
    return json_response(visible_by_name(state, user, channel).to_json())


def _may_add(state: SimState, caller: User, channel: Channel, user_id: str) -> str:
    """``addChannelMember``'s permission rule: the permission missing to add ``user_id``, or ``""``."""
    if channel.type == "P":
        return (
            ""
            if channel_grants(state, caller, channel, "manage_private_channel_members")
            else ("manage_private_channel_members")
        )
    if user_id == caller.id:
        if user_id in channel.members or team_grants(state, caller, channel.team_id, "join_public_channels"):
            return ""
        return "join_public_channels"
    if channel_grants(state, caller, channel, "manage_public_channel_members"):
        return ""
    return "manage_public_channel_members"


async def add_channel_members(request: web.Request) -> web.Response:
    """POST /channels/{channel_id}/members: ``user_id`` (one member) or ``user_ids`` (an array); 201.

    Each new member is announced and gets the system message (joined, or added by the caller).
    """
    caller = current_user(request)
    state = sim_of(request).state
    channel = state.get_channel(path_id(request, "channel_id"))
    body = await read_json_object(request, "user_id")
    many = isinstance(body.get("user_ids"), list)
    user_ids = _member_ids(body, many)
    if channel.type in ("D", "G"):
        raise AppError(
            400, "api.channel.add_user_to_channel.type.app_error", "Can not add user to this channel type."
        )
    if channel.type == "P" and _may_add(state, caller, channel, ""):
        raise forbidden("manage_private_channel_members")
    members, last_error = [], None
    for user_id in user_ids:
        try:
            missing = _may_add(state, caller, channel, user_id)
            if missing:
                raise forbidden(missing)
            members.append(_add_member(state, caller, channel, user_id))
        except AppError as error:
            last_error = error
    if last_error is not None and not members:
        raise last_error
    body_out = [member.to_json() for member in members]
    single = not many and len(members) == 1 and members[0].user_id == body.get("user_id")
    return json_response(body_out[0] if single else body_out, status=201)


def _add_member(state: SimState, caller: User, channel: Channel, user_id: str) -> ChannelMember:
    existing = channel.members.get(user_id)
    if existing is not None:
        return existing
    target = state.get_user(user_id)
    if not state.is_team_member(target, channel.team_id):
        raise not_found(
            "app.team.get_member.missing.app_error", "No team member found for that user ID and team ID."
        )
    member = state.add_channel_member(channel, target)
    system_posts.member_added(state, caller, target, channel)
    return member


def _member_ids(body: dict[str, Any], many: bool) -> list[str]:
    if many:
        raw = body["user_ids"]
        if len(raw) > MAX_USER_IDS:
            raise invalid_body_param("user_ids")
        if not all(isinstance(uid, str) and is_valid_id(uid) for uid in raw):
            raise invalid_body_param("user_id in user_ids")
        return list(dict.fromkeys(raw))
    user_id = body.get("user_id")
    if not isinstance(user_id, str) or not is_valid_id(user_id):
        raise invalid_body_param("user_id or user_ids")
    return [user_id]


async def get_channel_members(request: web.Request) -> web.Response:
    """GET /channels/{channel_id}/members, paged (per_page at most 200)."""
    user = current_user(request)
    state = sim_of(request).state
    channel = state.get_channel(path_id(request, "channel_id"))
    # ``read_channel`` on the channel itself: unlike reading its posts, no fallback to the team for
    # public channels, so someone outside the channel may not list its members.
    if not channel_grants(state, user, channel, "read_channel"):
        raise forbidden("read_channel")
    page, per_page = paging(request)
    members = list(channel.members.values())[page * per_page : (page + 1) * per_page]
    return json_response([member.to_json() for member in members])


async def get_channel_member(request: web.Request) -> web.Response:
    """GET /channels/{channel_id}/members/{user_id}."""
    user = current_user(request)
    state = sim_of(request).state
    channel = state.get_channel(path_id(request, "channel_id"))
    user_id = path_user_id(request, user)
    state.require_read_channel(user, channel)
    member = channel.members.get(user_id)
    if member is None:
        raise not_found(
            "app.channel.get_member.missing.app_error",
            "No channel member found for that user ID and channel ID.",
        )
    return json_response(member.to_json())


async def remove_channel_member(request: web.Request) -> web.Response:
    """DELETE /channels/{channel_id}/members/{user_id}: leave, or remove someone (members, admins)."""
    caller = current_user(request)
    state = sim_of(request).state
    channel = state.get_channel(path_id(request, "channel_id"))
    user_id = path_user_id(request, caller)
    target = state.get_user(user_id)
    if channel.type in ("D", "G"):
        raise AppError(
            400,
            "api.channel.remove_user_from_channel.direct.app_error",
            "Can not remove user from this channel type.",
        )
    if user_id != caller.id:
        permission = (
            "manage_private_channel_members" if channel.type == "P" else "manage_public_channel_members"
        )
        if not channel_grants(state, caller, channel, permission):
            raise forbidden(permission)
    if channel.name == DEFAULT_CHANNEL:
        raise AppError(
            400,
            "api.channel.remove.default.app_error",
            f"Unable to remove user from the default channel {DEFAULT_CHANNEL}.",
        )
    if user_id not in channel.members:
        raise not_found(
            "app.channel.get_member.missing.app_error",
            "No channel member found for that user ID and channel ID.",
        )
    state.remove_channel_member(channel, target, remover=caller)
    if user_id == caller.id:
        enabled = sim_of(request).config.enable_default_channel_leave_join_messages
        system_posts.left_channel(state, caller, channel, enabled)
    else:
        system_posts.removed_from_channel(state, caller, target, channel)
    return status_ok()


async def create_direct_channel(request: web.Request) -> web.Response:
    """POST /channels/direct: exactly two user ids, the caller one of them (unless admin); 201."""
    caller = current_user(request)
    user_ids = await read_json(request, "user_ids")
    if not isinstance(user_ids, list) or len(user_ids) != 2:
        raise invalid_body_param("user_ids")
    if not all(isinstance(uid, str) and is_valid_id(uid) for uid in user_ids):
        raise invalid_body_param("user_id")
    if caller.id not in user_ids and not caller.is_system_admin:
        raise forbidden("manage_system")
    state = sim_of(request).state
    first, second = (state.get_user(uid) for uid in user_ids)
    creator, other = (
        (first, second) if first.id == caller.id or caller.id not in user_ids else (second, first)
    )
    channel = state.direct_channel(creator, other)
    return json_response(channel.to_json(), status=201)


def register(app: web.Application) -> None:
    """Add this area's routes to the application."""
    app.router.add_post(BASE, create_channel)
    app.router.add_post(f"{BASE}/direct", create_direct_channel)
    app.router.add_get(CHANNEL, get_channel)
    app.router.add_put(f"{CHANNEL}/patch", patch_channel)
    app.router.add_delete(CHANNEL, delete_channel)
    app.router.add_post(f"{CHANNEL}/members", add_channel_members)
    app.router.add_get(f"{CHANNEL}/members", get_channel_members)
    app.router.add_get(f"{CHANNEL}/members/{{user_id:{ID}}}", get_channel_member)
    app.router.add_delete(f"{CHANNEL}/members/{{user_id:{ID}}}", remove_channel_member)
    app.router.add_get(
        f"/api/v4/teams/{{team_id:{ID}}}/channels/name/{{channel_name:{CHANNEL_NAME}}}", get_channel_by_name
    )
    app.router.add_get(
        f"/api/v4/teams/name/{{team_name:{TEAM_NAME}}}/channels/name/{{channel_name:{CHANNEL_NAME}}}",
        get_channel_by_team_and_channel_names,
    )
