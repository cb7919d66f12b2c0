"""REST routes: teams and their members."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ..app import current_user, sim_of
from ..errors import forbidden, not_found
from ..models import Team, User
from ._json import ID, TEAM_NAME, json_response, paging, path_id, path_user_id

BASE = "/api/v4/teams"


def require_view_team(user: User, team: Team) -> None:
    """``view_team``: team members and system admins (else 403)."""
    if not user.is_system_admin and user.id not in team.members:
        raise forbidden("view_team")


def require_team_visible(user: User, team: Team) -> None:
    """``getTeam``'s rule: open teams that allow open invites are visible to every user."""
    if team.type == "O":
        return
    require_view_team(user, team)


def team_member_json(team_id: str, user_id: str) -> dict[str, Any]:
    """The ``TeamMember`` object as the REST API returns it."""
    return {
        "team_id": team_id,
        "user_id": user_id,
        "roles": "team_user",
        "delete_at": 0,
        "scheme_guest": False,
        "scheme_user": True,
        "scheme_admin": False,
        "explicit_roles": "",
    }


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
    return json_response([team_member_json(team.id, uid) for uid in members])


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
    return json_response(team_member_json(team.id, user_id))


def register(app: web.Application) -> None:
    """Add this area's routes to the application."""
    app.router.add_get(f"{BASE}/name/{{name:{TEAM_NAME}}}", get_team_by_name)
    app.router.add_get(f"{BASE}/{{team_id:{ID}}}", get_team)
    app.router.add_get(f"{BASE}/{{team_id:{ID}}}/members", get_team_members)
    app.router.add_get(f"{BASE}/{{team_id:{ID}}}/members/{{user_id:{ID}}}", get_team_member)
