"""Buttons, menus and dialogs: the requests Mattermost sends the integration, and what it does next."""

from __future__ import annotations

import json
from typing import Any

from .shapes import Exact, assert_conform
from .sides import REAL_ONLY, Captured, Side, Sides, json_reply

pytestmark = REAL_ONLY
DIALOG = {
    "callback_id": "start-run",
    "title": "Start a run",
    "elements": [
        {"display_name": "Name", "name": "name", "type": "text"},
        {"display_name": "Kind", "name": "kind", "type": "select", "options": [{"text": "A", "value": "a"}]},
        {"display_name": "Notes", "name": "notes", "type": "textarea", "optional": True},
    ],
    "submit_label": "Start",
    "notify_on_cancel": True,
    "state": "opaque-state",
}


def _buttons(side: Side) -> dict[str, Any]:
    integration = {"url": side.hook("action"), "context": {"run": "r1", "n": 2}}
    return {
        "attachments": [
            {
                "text": "Task 1",
                "actions": [
                    {
                        "id": "check",
                        "type": "button",
                        "name": "Check",
                        "style": "primary",
                        "integration": integration,
                    },
                    {
                        "id": "pick",
                        "type": "select",
                        "name": "Owner",
                        "options": [{"text": "Alice", "value": "alice"}, {"text": "Bob", "value": "bob"}],
                        "integration": integration,
                    },
                    {
                        "id": "fails",
                        "type": "button",
                        "name": "Fail",
                        "integration": {"url": side.hook("fails")},
                    },
                ],
            }
        ]
    }


def _action_request(captured: Captured) -> dict[str, Any]:
    body = captured.json()
    return {"envelope": Exact(captured.envelope()), "body": body, "keys": Exact(sorted(body))}


async def _click(side: Side) -> dict[str, Any]:
    square = side.town_square_id
    post = await side.post("playbooks", square, "Checklist", props=_buttons(side))
    update = {"message": "Checklist (1 done)"}  # no props: the buttons stay
    side.reply("action", json_reply({"update": update, "ephemeral_text": "Checked"}))
    side.reply("fails", json_reply({"error": "no"}, status=500))
    async with side.person("alice") as alice:
        await alice.listen()
        clicked = await side.call("alice", "POST", f"/posts/{post['id']}/actions/check", {})
        button = await side.received("action")
        ephemeral = json.loads((await alice.next_event("ephemeral_message"))["data"]["post"])
        edited = json.loads((await alice.next_event("post_edited"))["data"]["post"])
        picked = await side.call(
            "alice", "POST", f"/posts/{post['id']}/actions/pick", {"selected_option": "bob"}
        )
        menu = await side.received("action", 1)
        return {
            "clicked": clicked,
            "button_request": _action_request(button),
            "menu": picked,
            "menu_request": _action_request(menu),
            "menu_context": Exact(menu.json().get("context")),
            "ephemeral": ephemeral,
            "ephemeral_text": Exact(ephemeral["message"]),
            "edited": edited,
            "after": await side.call("alice", "GET", f"/posts/{post['id']}"),
            "failing": await side.call("alice", "POST", f"/posts/{post['id']}/actions/fails", {}),
            "unknown_action": await side.call("alice", "POST", f"/posts/{post['id']}/actions/nosuch", {}),
            "bad_action_id": await side.call("alice", "POST", f"/posts/{post['id']}/actions/no-such", {}),
            "bad_post_id": await side.call("alice", "POST", "/posts/short/actions/check", {}),
        }


async def test_clicking_buttons_and_menus(sides: Sides) -> None:
    """The integration request of a button and of a menu choice; the reply's update and ephemeral text."""
    sim, real = await sides.each(_click)
    assert_conform(sim, real)


async def _dialog(side: Side) -> dict[str, Any]:
    square = side.town_square_id
    post = await side.post("playbooks", square, "Start?", props=_buttons(side))
    side.reply("action", json_reply({}))
    side.reply("dialog", json_reply({"errors": {"name": "Name taken"}}))
    async with side.person("alice") as alice:
        await alice.listen()
        await side.call("alice", "POST", f"/posts/{post['id']}/actions/check", {})
        trigger_id = (await side.received("action")).json()["trigger_id"]
        opened = await side.call(
            "playbooks",
            "POST",
            "/actions/dialogs/open",
            {"trigger_id": trigger_id, "url": side.hook("dialog"), "dialog": DIALOG},
        )
        event = await alice.next_event("open_dialog")
        dialog = json.loads(event["data"]["dialog"])
        submit = {
            "url": dialog["url"],
            "callback_id": dialog["dialog"]["callback_id"],
            "state": dialog["dialog"]["state"],
            "submission": {"name": "Outage", "kind": "a", "notes": None},
            "channel_id": square,
            "team_id": side.team_id,
            "cancelled": False,
        }
        submitted = await side.call("alice", "POST", "/actions/dialogs/submit", submit)
        request = await side.received("dialog")
        return {
            "opened": opened,
            "event": event,
            "dialog": dialog,
            "reopen_used_trigger": await side.call(
                "playbooks",
                "POST",
                "/actions/dialogs/open",
                {"trigger_id": "bad", "url": side.hook("dialog"), "dialog": DIALOG},
            ),
            "open_without_url": await side.call(
                "playbooks", "POST", "/actions/dialogs/open", {"trigger_id": trigger_id, "dialog": DIALOG}
            ),
            "submitted": submitted,
            "request": _action_request(request),
            "request_body": Exact(
                {k: v for k, v in request.json().items() if k not in ("user_id", "channel_id", "team_id")}
            ),
            "request_ids": Exact(
                (
                    request.json()["user_id"] == side.user_ids["alice"],
                    request.json()["channel_id"] == square,
                    request.json()["team_id"] == side.team_id,
                )
            ),
        }


async def test_opening_and_submitting_a_dialog(sides: Sides) -> None:
    """``open_dialog`` for the clicking person, and the ``dialog_submission`` Mattermost forwards."""
    sim, real = await sides.each(_dialog)
    assert_conform(sim, real)


async def _dialog_from_a_direct_message(side: Side) -> dict[str, Any]:
    alice, bot = side.user_ids["alice"], side.user_ids["playbooks"]
    direct = (await side.call("alice", "POST", "/channels/direct", [alice, bot])).body["id"]
    other_team = {"id": await side.stage.add_team("other", "Other")}
    side.reply("dialog", json_reply({}))
    submit = {
        "url": side.hook("dialog"),
        "callback_id": "c",
        "state": "",
        "submission": {},
        "channel_id": direct,
    }
    observed: dict[str, Any] = {
        "with_team": await side.call(
            "alice", "POST", "/actions/dialogs/submit", {**submit, "team_id": side.team_id}
        ),
        "without_team": await side.call("alice", "POST", "/actions/dialogs/submit", submit),
        "other_team": await side.call(
            "alice", "POST", "/actions/dialogs/submit", {**submit, "team_id": other_team["id"]}
        ),
        "unknown_channel": await side.call(
            "alice",
            "POST",
            "/actions/dialogs/submit",
            {**submit, "channel_id": "z" * 26, "team_id": side.team_id},
        ),
        "no_url": await side.call("alice", "POST", "/actions/dialogs/submit", {**submit, "url": ""}),
    }
    request = (await side.received("dialog")).json()
    observed["forwarded_team"] = Exact((request["team_id"] == side.team_id, request["channel_id"] == direct))
    return observed


async def test_dialog_submitted_from_a_direct_message_carries_the_clients_team(sides: Sides) -> None:
    """The submission's ``team_id`` is the one the client sends, checked for ``view_team``."""
    sim, real = await sides.each(_dialog_from_a_direct_message)
    assert_conform(sim, real)
