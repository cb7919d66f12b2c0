"""Server settings that change answers: untrusted internal connections, the post edit time limit,
and ``PUT /config/patch`` through which tests set them on both servers alike."""

from __future__ import annotations

import time
from typing import Any

from .shapes import Exact, assert_conform
from .sides import REAL_ONLY, Side, Sides, json_reply

pytestmark = REAL_ONLY
RESERVED = "http://192.0.2.1:9"  # TEST-NET-1: reserved, refused before any connection is tried


async def _untrusted(side: Side) -> dict[str, Any]:
    team, square = side.team_id, side.town_square_id
    side.reply("by-name", json_reply({"text": "reached"}))
    for trigger, url in (
        ("reserved", f"{RESERVED}/slash"),
        ("byname", side.hook("by-name").replace("127.0.0.1", "localhost")),
    ):
        await side.call(
            "playbooks", "POST", "/commands", {"team_id": team, "trigger": trigger, "url": url, "method": "P"}
        )
    action = {"id": "go", "type": "button", "name": "Go", "integration": {"url": f"{RESERVED}/action"}}
    post = await side.post("playbooks", square, "Buttons", props={"attachments": [{"actions": [action]}]})
    submit = {"url": f"{RESERVED}/dialog", "channel_id": square, "team_id": team, "submission": {}}
    run = {"channel_id": square, "team_id": team}
    return {
        "command_to_reserved": await side.call(
            "alice", "POST", "/commands/execute", {**run, "command": "/reserved"}
        ),
        "command_to_localhost": await side.call(
            "alice", "POST", "/commands/execute", {**run, "command": "/byname"}
        ),
        "button_to_reserved": await side.call("alice", "POST", f"/posts/{post['id']}/actions/go", {}),
        "dialog_to_reserved": await side.call("alice", "POST", "/actions/dialogs/submit", submit),
    }


async def test_integrations_on_reserved_addresses_are_refused(sides: Sides) -> None:
    """Commands, buttons and dialogs are not sent to addresses outside
    ``AllowedUntrustedInternalConnections`` (here ``127.0.0.0/8 localhost ::1``)."""
    sim, real = await sides.each(_untrusted)
    assert_conform(sim, real)


async def _config(side: Side) -> dict[str, Any]:
    return {
        "get_as_person": await side.call("alice", "GET", "/config"),
        "patch_as_person": await side.patch_config("alice", {"PostEditTimeLimit": 5}),
        "patch_as_bot": await side.patch_config("playbooks", {"PostEditTimeLimit": 5}),
        "patch_wrong_type": await side.patch_config("root", {"PostEditTimeLimit": "5"}),
        "patch_not_an_object": await side.call("root", "PUT", "/config/patch", ["x"]),
        "patch": Exact(
            (await side.patch_config("root", {"PostEditTimeLimit": 300})).body["ServiceSettings"][
                "PostEditTimeLimit"
            ]
        ),
        "read_back": Exact(
            (await side.call("root", "GET", "/config")).body["ServiceSettings"]["PostEditTimeLimit"]
        ),
    }


async def test_config_patch_is_for_system_admins(sides: Sides) -> None:
    """``PUT /config/patch``: decoded first (400), then system admins only (403); answers the config."""
    sim, real = await sides.each(_config)
    assert_conform(sim, real)


async def _edit_limit(side: Side) -> dict[str, Any]:
    square = side.town_square_id
    old = await side.post("root", square, "backdated", create_at=int(time.time() * 1000) - 120_000)
    mine = await side.post("playbooks", square, "fresh")
    limited = await side.patch_config("root", {"PostEditTimeLimit": 60})
    observed: dict[str, Any] = {
        "limited": Exact(limited.status),
        "backdated": Exact(old["create_at"] < int(time.time() * 1000) - 60_000),
        "admin_put_message": await side.call(
            "root", "PUT", f"/posts/{old['id']}", {"id": old["id"], "message": "new"}
        ),
        "admin_put_same_message": await side.call(
            "root",
            "PUT",
            f"/posts/{old['id']}",
            {"id": old["id"], "message": "backdated", "props": {"k": "v"}},
        ),
        "admin_patch_same_message": await side.call(
            "root", "PUT", f"/posts/{old['id']}/patch", {"message": "backdated"}
        ),
        "admin_patch_props": await side.call(
            "root", "PUT", f"/posts/{old['id']}/patch", {"props": {"k": "w"}}
        ),
        "bot_fresh_edit": await side.call(
            "playbooks", "PUT", f"/posts/{mine['id']}/patch", {"message": "fresh!"}
        ),
    }
    await side.patch_config("root", {"PostEditTimeLimit": 1})
    await side.wait(1.5)
    observed["bot_late_patch"] = await side.call(
        "playbooks", "PUT", f"/posts/{mine['id']}/patch", {"message": "late"}
    )
    observed["bot_late_put"] = await side.call(
        "playbooks", "PUT", f"/posts/{mine['id']}", {"id": mine["id"], "message": "late"}
    )
    observed["bot_late_props"] = await side.call(
        "playbooks", "PUT", f"/posts/{mine['id']}/patch", {"props": {"a": "b"}}
    )
    await side.patch_config("root", {"PostEditTimeLimit": -1})
    observed["unlimited"] = await side.call(
        "playbooks", "PUT", f"/posts/{mine['id']}/patch", {"message": "any time"}
    )
    return observed


async def test_post_edit_time_limit(sides: Sides) -> None:
    """``PostEditTimeLimit`` refuses message edits of older posts, to admins and bots too; props
    may still change."""
    sim, real = await sides.each(_edit_limit)
    assert_conform(sim, real)
