"""REST routes: teams and their members."""

from __future__ import annotations

import json
import re

from aiohttp import web

from ..app import current_user, sim_of
from ..errors import AppError, forbidden, not_found
from ..models import Team, User
from ..permissions import ROLES, TEAM_ROLES, team_grants
from ._json import (
    ID,
    TEAM_NAME,
    invalid_body_param,
    json_response,
    paging,
    path_id,
    path_user_id,
    status_ok,
)

_ROLE_NAME = re.compile(r"^[a-z0-9_]{1,64}$")

BASE = "/api/v4/teams"


def require_view_team(user: User, team: Team) -> None:
    """``view_team``: team members and system admins (else 403)."""
    if not user.is_system_admin and user.id not in team.members:
        raise forbidden("view_team")


def require_team_visible(user: User, team: Team) -> None:
    """``getTeam``'s rule: open teams that allow open invites are visible to every user."""
    if team.type == "O" and team.allow_open_invite:
        return
    require_view_team(user, team)


async def get_team(request: web.Request) -> web.Response:
    """GET /teams/{team_id}."""
    user = current_user(request)
    team = sim_of(request).state.get_team(path_id(request, "team_id"))
    require_team_visible(user, team)
    return json_response(team.to_json())


async def get_team_by_name(request: web.Request) -> web.Response:
    """GET /teams/name/{name}."""
    user = current_user(request)
    team = sim_of(request).state.team_by_name(request.match_info["name"])
    if team is None:
        raise not_found("app.team.get_by_name.missing.app_error", "Unable to find the existing team.")
    require_team_visible(user, team)
    return json_response(team.to_json())


async def get_team_members(request: web.Request) -> web.Response:
    """GET /teams/{team_id}/members, paged (ordered by user id, as the store does)."""
    user = current_user(request)
    team = sim_of(request).state.get_team(path_id(request, "team_id"))
    require_view_team(user, team)
    page, per_page = paging(request)
    members = sorted(team.members)[page * per_page : (page + 1) * per_page]
    return json_response([team.member_json(uid) for uid in members])


async def get_team_member(request: web.Request) -> web.Response:
    """GET /teams/{team_id}/members/{user_id}."""
    user = current_user(request)
    team = sim_of(request).state.get_team(path_id(request, "team_id"))
    user_id = path_user_id(request, user)
    require_view_team(user, team)
    if user_id not in team.members:
        raise not_found(
            "app.team.get_member.missing.app_error", "No team member found for that user ID and team ID."
        )
    return json_response(team.member_json(user_id))


async def update_team_member_roles(request: web.Request) -> web.Response:
    """PUT /teams/{team_id}/members/{user_id}/roles: ``{"roles": "team_user [team_admin]"}``.

    Needs ``manage_team_roles`` (team and system admins), as ``updateTeamMemberRoles``.
    """
    caller = current_user(request)
    state = sim_of(request).state
    team_id = path_id(request, "team_id")
    user_id = path_user_id(request, caller)
    try:
        body = json.loads(await request.read() or b"null")
    except (ValueError, UnicodeDecodeError):
        body = None
    # ``MapFromJSON``: whatever does not decode as a string is no roles at all.
    raw = body.get("roles") if isinstance(body, dict) else None
    roles = raw if isinstance(raw, str) else ""
    names = roles.split()
    if not all(_ROLE_NAME.match(name) for name in names) or names == ["system_admin"]:
        raise invalid_body_param("team_member_roles")
    if not team_grants(state, caller, team_id, "manage_team_roles"):
        raise forbidden("manage_team_roles")
    team = state.get_team(team_id)
    if user_id not in team.members:
        raise not_found(
            "app.team.get_member.missing.app_error", "No team member found for that user ID and team ID."
        )
    for name in names:
        if name not in TEAM_ROLES:
            error_id = "app.role.get_by_name.app_error"
            if name in ROLES:
                error_id = "api.channel.update_team_member_roles.scheme_role.app_error"
            raise AppError(400, error_id, f"Unable to apply the role {name}.")
    state.set_team_roles(team, state.get_user(user_id), roles)
    return status_ok()


def register(app: web.Application) -> None:
    """Add this area's routes to the application."""
    app.router.add_get(f"{BASE}/name/{{name:{TEAM_NAME}}}", get_team_by_name)
    app.router.add_get(f"{BASE}/{{team_id:{ID}}}", get_team)
    app.router.add_get(f"{BASE}/{{team_id:{ID}}}/members", get_team_members)
    app.router.add_get(f"{BASE}/{{team_id:{ID}}}/members/{{user_id:{ID}}}", get_team_member)
    app.router.add_put(f"{BASE}/{{team_id:{ID}}}/members/{{user_id:{ID}}}/roles", update_team_member_roles)
