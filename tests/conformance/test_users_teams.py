"""Users and teams as the bot and a person read them: the same answers on both servers."""

from __future__ import annotations

from typing import Any

from .shapes import assert_conform
from .sides import REAL_ONLY, Side, Sides

pytestmark = REAL_ONLY
MISSING_ID = "zzzzzzzzzzzzzzzzzzzzzzzzzz"


async def _user_reads(side: Side) -> dict[str, Any]:
    alice, bot = side.user_ids["alice"], side.user_ids["playbooks"]
    observed: dict[str, Any] = {}
    for who in ("alice", "playbooks"):
        observed[who] = {
            "me": await side.call(who, "GET", "/users/me"),
            "user": await side.call(who, "GET", f"/users/{alice}"),
            "bot_user": await side.call(who, "GET", f"/users/{bot}"),
            "by_username": await side.call(who, "GET", "/users/username/alice"),
            "unknown_username": await side.call(who, "GET", "/users/username/nobody-here"),
            "unknown_id": await side.call(who, "GET", f"/users/{MISSING_ID}"),
            "by_ids": await side.call(who, "POST", "/users/ids", [alice, bot, MISSING_ID]),
            "by_usernames": await side.call(who, "POST", "/users/usernames", ["alice", "nobody-here"]),
            "my_teams": await side.call(who, "GET", "/users/me/teams"),
        }
    observed["no_token"] = await side.call(None, "GET", "/users/me")
    observed["bad_token"] = await side.call(None, "GET", "/users/me", params={"access_token": "x" * 26})
    return observed


async def test_users(sides: Sides) -> None:
    """``/users/me``, by id, by username, by ids; 401 and 404 answers."""
    sim, real = await sides.each(_user_reads)
    assert_conform(sim, real)


async def _team_reads(side: Side) -> dict[str, Any]:
    team = side.team_id
    observed: dict[str, Any] = {}
    for who in ("alice", "playbooks", "root"):
        observed[who] = {
            "by_name": await side.call(who, "GET", "/teams/name/acme"),
            "by_id": await side.call(who, "GET", f"/teams/{team}"),
            "unknown_name": await side.call(who, "GET", "/teams/name/nowhere"),
            "member_alice": await side.call(who, "GET", f"/teams/{team}/members/{side.user_ids['alice']}"),
            "member_bot": await side.call(who, "GET", f"/teams/{team}/members/{side.user_ids['playbooks']}"),
        }
    return observed


async def test_teams_and_members(sides: Sides) -> None:
    """Teams by name and id, and team members (the bot is a team admin)."""
    sim, real = await sides.each(_team_reads)
    assert_conform(sim, real)


async def _team_roles(side: Side) -> dict[str, Any]:
    team, alice = side.team_id, side.user_ids["alice"]
    path = f"/teams/{team}/members/{alice}/roles"
    return {
        "by_person": await side.call("alice", "PUT", path, {"roles": "team_user team_admin"}),
        "unknown_role": await side.call("root", "PUT", path, {"roles": "team_user wizard"}),
        "system_role": await side.call("root", "PUT", path, {"roles": "system_admin"}),
        "bad_body": await side.call("root", "PUT", path, {"roles": 7}),
        "not_a_member": await side.call(
            "root", "PUT", f"/teams/{team}/members/{MISSING_ID}/roles", {"roles": "team_user"}
        ),
        "by_bot": await side.call("playbooks", "PUT", path, {"roles": "team_user team_admin"}),
        "member_after": await side.call("alice", "GET", f"/teams/{team}/members/{alice}"),
        "alice_creates_command": await side.call(
            "alice",
            "POST",
            "/commands",
            {"team_id": team, "trigger": "alices", "url": "http://127.0.0.1:9/x", "method": "P"},
        ),
        "demoted": await side.call("root", "PUT", path, {"roles": "team_user"}),
        "member_demoted": await side.call("alice", "GET", f"/teams/{team}/members/{alice}"),
    }


async def test_team_member_roles(sides: Sides) -> None:
    """``PUT /teams/{id}/members/{user}/roles``: team admins grant ``team_admin``, which lets a
    person manage slash commands."""
    sim, real = await sides.each(_team_roles)
    assert_conform(sim, real)


async def _time_zones(side: Side) -> dict[str, Any]:
    manual = {"useAutomaticTimezone": "false", "manualTimezone": "Europe/Paris", "automaticTimezone": ""}
    return {
        "new_account": await side.call("playbooks", "GET", "/users/me"),
        "patched": await side.call("alice", "PUT", "/users/me/patch", {"timezone": manual}),
        "seen_by_bot": await side.call("playbooks", "GET", f"/users/{side.user_ids['alice']}"),
        "not_a_map": await side.call("alice", "PUT", "/users/me/patch", {"timezone": "Europe/Paris"}),
        "someone_else": await side.call(
            "alice", "PUT", f"/users/{side.user_ids['playbooks']}/patch", {"timezone": manual}
        ),
    }


async def test_time_zones(sides: Sides) -> None:
    """A new account's ``timezone`` (automatic, none detected) and a person choosing a manual zone
    (``PUT /users/me/patch``), read back by the bot: same shapes and same zone values."""
    sim, real = await sides.each(_time_zones)
    assert_conform(sim, real)
    for answers in (sim, real):
        assert answers["new_account"].body["timezone"] == {
            "automaticTimezone": "",
            "manualTimezone": "",
            "useAutomaticTimezone": "true",
        }
        assert answers["seen_by_bot"].body["timezone"]["manualTimezone"] == "Europe/Paris"
