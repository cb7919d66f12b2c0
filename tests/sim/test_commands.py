"""Custom slash command management through ``/api/v4/commands``, as a bot registers its commands."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from mattermost_sim import Simulator
from mattermost_sim.seed import load_seed_file

BOT = "bot-token"
ALICE = "alice-token"
ROOT = "root-token"
SEED = Path(__file__).resolve().parents[2] / "seed.yaml"


@pytest.fixture
async def lenient_sim() -> AsyncIterator[Simulator]:
    """A seeded simulator without strict mode, so invalid bodies reach the routes' own checks."""
    simulator = Simulator()
    load_seed_file(simulator.state, SEED)
    await simulator.start()
    try:
        yield simulator
    finally:
        await simulator.stop()


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _team_id(sim: Simulator) -> str:
    team = sim.state.team_by_name("acme")
    assert team is not None
    return team.id


async def _call(
    sim: Simulator, method: str, path: str, token: str, body: Any = None, **params: str
) -> tuple[int, str, Any]:
    """One REST call: status, exact Content-Type and decoded JSON body."""
    async with (
        aiohttp.ClientSession() as client,
        client.request(
            method,
            f"{sim.url}/api/v4{path}",
            json=body,
            params=params or None,
            headers=_auth(token),
            timeout=aiohttp.ClientTimeout(total=10),
        ) as response,
    ):
        return response.status, response.headers.get("Content-Type", ""), await response.json()


def _command(sim: Simulator, **overrides: Any) -> dict[str, Any]:
    body = {
        "team_id": _team_id(sim),
        "trigger": "Incident",
        "method": "P",
        "url": "http://127.0.0.1:9/slash",
        "display_name": "Incidents",
        "description": "Run incidents",
        "auto_complete": True,
        "auto_complete_desc": "Start or update an incident",
        "auto_complete_hint": "[start|status] [title]",
    }
    body.update(overrides)
    return body


async def test_create_returns_201_with_token_and_lower_cased_trigger(sim: Simulator) -> None:
    status, content_type, created = await _call(sim, "POST", "/commands", BOT, _command(sim))

    assert (status, content_type) == (201, "application/json")
    bot = sim.state.user_by_username("playbooks")
    assert bot is not None
    assert created["trigger"] == "incident"
    assert created["creator_id"] == bot.id
    assert created["team_id"] == _team_id(sim)
    assert (len(created["token"]), len(created["id"])) == (26, 26)
    assert created["create_at"] > 0
    assert created["delete_at"] == 0
    assert created["auto_complete_hint"] == "[start|status] [title]"


@pytest.mark.parametrize(
    ("overrides", "error_id"),
    [
        ({"trigger": ""}, "model.command.is_valid.trigger.app_error"),
        ({"trigger": "/incident"}, "model.command.is_valid.trigger.app_error"),
        ({"trigger": "two words"}, "model.command.is_valid.trigger.app_error"),
        ({"trigger": "x" * 129}, "model.command.is_valid.trigger.app_error"),
        ({"method": "X"}, "model.command.is_valid.method.app_error"),
        ({"url": "ftp://example.com/x"}, "model.command.is_valid.url_http.app_error"),
        ({"url": "http://example.com/" + "x" * 1024}, "model.command.is_valid.url.app_error"),
        ({"display_name": "d" * 65}, "model.command.is_valid.display_name.app_error"),
        ({"description": "d" * 129}, "model.command.is_valid.description.app_error"),
        ({"trigger": "join"}, "api.command.duplicate_trigger.app_error"),
        ({"trigger": "ME"}, "api.command.duplicate_trigger.app_error"),
    ],
)
async def test_invalid_commands_are_refused_with_mattermost_error_ids(
    lenient_sim: Simulator, overrides: dict[str, Any], error_id: str
) -> None:
    sim = lenient_sim
    status, content_type, error = await _call(sim, "POST", "/commands", BOT, _command(sim, **overrides))

    assert (status, content_type) == (400, "application/json")
    assert error["id"] == error_id
    assert error["status_code"] == 400
    assert sim.state.commands == {}


async def test_trigger_is_unique_per_team_whatever_its_case(sim: Simulator) -> None:
    await _call(sim, "POST", "/commands", BOT, _command(sim))

    status, _, error = await _call(sim, "POST", "/commands", ROOT, _command(sim, trigger="INCIDENT"))

    assert status == 400
    assert error["id"] == "api.command.duplicate_trigger.app_error"


async def test_only_team_admins_may_create(sim: Simulator) -> None:
    outsider = sim.state.add_user("mallory", "mallory-token")

    outsider_status, _, error = await _call(sim, "POST", "/commands", outsider.token, _command(sim))
    member_status, _, _ = await _call(sim, "POST", "/commands", ALICE, _command(sim))
    list_status, _, _ = await _call(sim, "GET", "/commands", ALICE, team_id=_team_id(sim), custom_only="true")

    assert (outsider_status, member_status, list_status) == (403, 403, 403)
    assert error["id"] == "api.context.permissions.app_error"
    assert sim.state.commands == {}


async def test_team_admin_role_granted_through_rest_lets_a_person_manage_commands(sim: Simulator) -> None:
    alice = sim.state.user_by_username("alice")
    assert alice is not None
    roles_path = f"/teams/{_team_id(sim)}/members/{alice.id}/roles"

    refused, _, _ = await _call(sim, "PUT", roles_path, ALICE, {"roles": "team_user team_admin"})
    granted, _, ok = await _call(sim, "PUT", roles_path, ROOT, {"roles": "team_user team_admin"})
    created, _, _ = await _call(sim, "POST", "/commands", ALICE, _command(sim))
    _, _, member = await _call(sim, "GET", f"/teams/{_team_id(sim)}/members/{alice.id}", ALICE)

    assert (refused, granted, ok, created) == (403, 200, {"status": "OK"}, 201)
    assert (member["roles"], member["scheme_admin"]) == ("team_user team_admin", True)


async def test_team_role_changes_refuse_unknown_roles_and_non_members(sim: Simulator) -> None:
    outsider = sim.state.add_user("mallory", "mallory-token")
    team = _team_id(sim)
    alice = sim.state.user_by_username("alice")
    assert alice is not None

    unknown, _, unknown_error = await _call(
        sim, "PUT", f"/teams/{team}/members/{alice.id}/roles", ROOT, {"roles": "team_user wizard"}
    )
    system_role, _, _ = await _call(
        sim, "PUT", f"/teams/{team}/members/{alice.id}/roles", ROOT, {"roles": "system_admin"}
    )
    missing, _, missing_error = await _call(
        sim, "PUT", f"/teams/{team}/members/{outsider.id}/roles", ROOT, {"roles": "team_user"}
    )

    assert (unknown, system_role, missing) == (400, 400, 404)
    assert unknown_error["id"] == "app.role.get_by_name.app_error"
    assert missing_error["id"] == "app.team.get_member.missing.app_error"


async def test_requests_without_a_valid_token_get_401(sim: Simulator) -> None:
    status, _, error = await _call(sim, "POST", "/commands", "wrong-token", _command(sim))

    assert status == 401
    assert error["id"] == "api.context.session_expired.app_error"


async def test_list_custom_only_gives_team_admins_every_command_with_tokens(sim: Simulator) -> None:
    _, _, mine = await _call(sim, "POST", "/commands", BOT, _command(sim))
    _, _, roots = await _call(sim, "POST", "/commands", ROOT, _command(sim, trigger="roots"))

    status, content_type, listed = await _call(
        sim, "GET", "/commands", BOT, team_id=_team_id(sim), custom_only="true"
    )

    assert (status, content_type) == (200, "application/json")
    assert [(c["id"], c["token"]) for c in listed] == [
        (mine["id"], mine["token"]),
        (roots["id"], roots["token"]),
    ]


async def test_list_without_custom_only_adds_the_built_in_commands_sanitized(sim: Simulator) -> None:
    await _call(sim, "POST", "/commands", BOT, _command(sim))
    await _call(sim, "POST", "/commands", ROOT, _command(sim, trigger="quiet", auto_complete=False))

    _, _, as_admin = await _call(sim, "GET", "/commands", BOT, team_id=_team_id(sim))
    _, _, as_person = await _call(sim, "GET", "/commands", ALICE, team_id=_team_id(sim))

    custom = [(c["trigger"], c["token"], c["url"]) for c in as_admin if c["id"]]
    assert custom == [("incident", "", ""), ("quiet", "", "")]
    assert [c["trigger"] for c in as_person if c["id"]] == ["incident"]
    built_in = {c["trigger"] for c in as_person if not c["id"]}
    assert {"echo", "join", "me", "help"} <= built_in
    assert {c["trigger"] for c in as_admin if not c["id"]} == built_in


async def test_list_needs_a_team_id(sim: Simulator) -> None:
    status, _, error = await _call(sim, "GET", "/commands", BOT)

    assert status == 400
    assert error["id"] == "api.context.invalid_body_param.app_error"


async def test_get_update_regen_and_delete_round_trip(sim: Simulator) -> None:
    _, _, created = await _call(sim, "POST", "/commands", BOT, _command(sim))
    path = f"/commands/{created['id']}"

    status, _, fetched = await _call(sim, "GET", path, BOT)
    assert (status, fetched) == (200, created)

    changed = {**created, "trigger": "Runs", "url": "http://127.0.0.1:9/runs", "method": "G"}
    status, _, updated = await _call(sim, "PUT", path, BOT, changed)
    assert status == 200
    assert (updated["trigger"], updated["method"], updated["url"]) == ("runs", "G", "http://127.0.0.1:9/runs")
    assert updated["token"] == created["token"]

    status, content_type, regenerated = await _call(sim, "PUT", f"{path}/regen_token", BOT)
    assert (status, content_type) == (200, "application/json")
    assert len(regenerated["token"]) == 26
    assert regenerated["token"] != created["token"]

    status, _, deleted = await _call(sim, "DELETE", path, BOT)
    assert (status, deleted) == (200, {"status": "OK"})
    status, _, error = await _call(sim, "GET", path, BOT)
    assert status == 404
    assert error["id"] == "store.sql_command.save.get.app_error"


async def test_update_body_must_name_the_command_and_keep_its_team(sim: Simulator) -> None:
    _, _, created = await _call(sim, "POST", "/commands", BOT, _command(sim))
    path = f"/commands/{created['id']}"

    status_id, _, wrong_id = await _call(sim, "PUT", path, BOT, {**created, "id": "x" * 26})
    other_team = sim.state.add_team("other", "Other")
    status_team, _, wrong_team = await _call(sim, "PUT", path, BOT, {**created, "team_id": other_team.id})

    assert (status_id, wrong_id["id"]) == (400, "api.context.invalid_body_param.app_error")
    assert (status_team, wrong_team["id"]) == (400, "api.command.team_mismatch.app_error")


async def test_people_without_the_permission_do_not_even_see_a_command(sim: Simulator) -> None:
    _, _, created = await _call(sim, "POST", "/commands", BOT, _command(sim))
    path = f"/commands/{created['id']}"

    get_status, _, _ = await _call(sim, "GET", path, ALICE)
    delete_status, _, _ = await _call(sim, "DELETE", path, ALICE)
    regen_status, _, _ = await _call(sim, "PUT", f"{path}/regen_token", ALICE)
    admin_status, _, as_admin = await _call(sim, "GET", path, ROOT)

    assert (get_status, delete_status, regen_status) == (404, 404, 404)
    assert (admin_status, as_admin["token"]) == (200, created["token"])


async def test_a_deleted_trigger_can_be_registered_again(sim: Simulator) -> None:
    _, _, created = await _call(sim, "POST", "/commands", BOT, _command(sim))
    await _call(sim, "DELETE", f"/commands/{created['id']}", BOT)

    status, _, again = await _call(sim, "POST", "/commands", BOT, _command(sim))

    assert status == 201
    assert again["id"] != created["id"]


async def test_malformed_command_id_is_a_400_or_no_route(lenient_sim: Simulator) -> None:
    status, _, error = await _call(lenient_sim, "GET", "/commands/notanid", BOT)
    no_route, _, missing = await _call(lenient_sim, "GET", "/commands/not-an-id", BOT)

    assert (status, error["id"]) == (400, "api.context.invalid_url_param.app_error")
    assert (no_route, missing["id"]) == (404, "api.context.404.app_error")
