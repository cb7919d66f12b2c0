"""Message buttons, menus and interactive dialogs end to end, as clients and a bot drive them."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from mattermost_sim import Simulator
from mattermost_sim.dialogs import dialog_problems

from .fake_integration import (
    ALICE,
    BOT,
    ROOT,
    FakeIntegration,
    Listener,
    Received,
    execute,
    listening,
    post_of,
    register,
    reply_json,
    reply_raw,
    rest,
    running_integration,
    town_square,
    user,
)

VALID_DIALOG: dict[str, Any] = {
    "callback_id": "declare",
    "title": "Declare incident",
    "submit_label": "Declare",
    "state": "run-1",
    "elements": [
        {"display_name": "Title", "name": "title", "type": "text", "min_length": 3, "max_length": 80},
        {"display_name": "Details", "name": "details", "type": "textarea", "optional": True},
        {
            "display_name": "Severity",
            "name": "severity",
            "type": "select",
            "default": "sev2",
            "options": [{"text": "SEV 1", "value": "sev1"}, {"text": "SEV 2", "value": "sev2"}],
        },
        {"display_name": "Owner", "name": "owner", "type": "select", "data_source": "users"},
        {"display_name": "Page", "name": "page", "type": "bool", "default": "false"},
        {
            "display_name": "Scope",
            "name": "scope",
            "type": "radio",
            "options": [{"text": "All", "value": "all"}],
        },
    ],
}


@pytest.fixture
async def integration() -> AsyncIterator[FakeIntegration]:
    """The integration server commands, buttons and dialogs point at."""
    async with running_integration() as server:
        yield server


def buttons(integration: FakeIntegration) -> dict[str, Any]:
    """An in-channel command reply carrying a button and a menu."""
    action_url = integration.url("/action")
    return {
        "response_type": "in_channel",
        "text": "Incident declared",
        "attachments": [
            {
                "text": "What next?",
                "actions": [
                    {
                        "id": "ack",
                        "type": "button",
                        "name": "Acknowledge",
                        "integration": {"url": action_url, "context": {"incident": "42", "sig": "s3cr3t"}},
                    },
                    {
                        "id": "severity",
                        "type": "select",
                        "name": "Severity",
                        "options": [{"text": "SEV 1", "value": "sev1"}],
                        "integration": {"url": action_url, "context": {"incident": "42"}},
                    },
                ],
            }
        ],
    }


async def post_with_buttons(sim: Simulator, integration: FakeIntegration, alice: Listener) -> dict[str, Any]:
    """Have alice run a command whose reply is a post with actions; return that post."""
    await register(sim, integration)
    integration.on("/slash", reply_json(buttons(integration)))
    status, _, _ = await execute(sim, "/incident start")
    assert status == 200
    return post_of(await alice.next("posted"))


async def click(
    sim: Simulator, post_id: str, action_id: str, body: Any = None, token: str = ALICE
) -> tuple[int, str, Any]:
    """Click as the webapp does."""
    return await rest(sim, "POST", f"/api/v4/posts/{post_id}/actions/{action_id}", token, body or {})


async def test_clicking_a_button_calls_the_integration_with_its_context(
    sim: Simulator, integration: FakeIntegration
) -> None:
    integration.on(
        "/action",
        reply_json({"update": {"message": "Acknowledged", "props": {}}, "ephemeral_text": "Thanks"}),
    )
    alice_user, channel = user(sim, "alice"), town_square(sim)

    async with listening(sim, ALICE) as alice:
        post = await post_with_buttons(sim, integration, alice)
        status, content_type, answer = await click(sim, post["id"], "ack")
        edited = post_of(await alice.next("post_edited"))
        ephemeral = post_of(await alice.next("ephemeral_message"))

    assert "integration" not in post["props"]["attachments"][0]["actions"][0]
    assert (status, content_type) == (200, "application/json")
    request = integration.last("/action")
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["User-Agent"] == "Mattermost-Bot/1.1"
    assert "Authorization" not in request.headers
    assert request.json() == {
        "user_id": alice_user.id,
        "user_name": "alice",
        "channel_id": channel.id,
        "channel_name": "town-square",
        "team_id": channel.team_id,
        "team_domain": "acme",
        "post_id": post["id"],
        "trigger_id": answer["trigger_id"],
        "type": "button",
        "data_source": "",
        "context": {"incident": "42", "sig": "s3cr3t"},
    }
    assert answer == {"status": "OK", "trigger_id": request.json()["trigger_id"]}
    assert (edited["id"], edited["message"]) == (post["id"], "Acknowledged")
    assert edited["props"] == {"from_webhook": "true"}
    assert (ephemeral["message"], ephemeral["root_id"]) == ("Thanks", post["id"])


async def test_a_menu_choice_arrives_inside_the_context_and_absent_props_are_kept(
    sim: Simulator, integration: FakeIntegration
) -> None:
    integration.on("/action", reply_json({"update": {"message": "Severity set"}}))

    async with listening(sim, ALICE) as alice:
        post = await post_with_buttons(sim, integration, alice)
        status, _, _ = await click(sim, post["id"], "severity", {"selected_option": "sev1"})
        edited = post_of(await alice.next("post_edited"))

    assert status == 200
    assert integration.last("/action").json()["context"] == {"incident": "42", "selected_option": "sev1"}
    assert edited["message"] == "Severity set"
    assert edited["props"]["attachments"] == post["props"]["attachments"]


async def test_action_ids_outside_letters_and_digits_never_match(
    sim: Simulator, integration: FakeIntegration
) -> None:
    async with listening(sim, ALICE) as alice:
        post = await post_with_buttons(sim, integration, alice)

    status, content_type, error = await click(sim, post["id"], "ack_now")

    assert (status, content_type) == (404, "application/json")
    assert error["status_code"] == 404
    assert not any(request.path == "/action" for request in integration.received)


async def test_unknown_actions_are_404_and_outsiders_403(
    sim: Simulator, integration: FakeIntegration
) -> None:
    async with listening(sim, ALICE) as alice:
        post = await post_with_buttons(sim, integration, alice)
    sim.state.add_user("eve", "eve-token")

    missing_status, _, missing = await click(sim, post["id"], "nothere")
    outsider_status, _, _ = await click(sim, post["id"], "ack", token="eve-token")

    assert (missing_status, missing["id"]) == (404, "api.post.do_action.action_id.app_error")
    assert outsider_status == 403


@pytest.mark.parametrize(
    "answer",
    [reply_raw("nope", "text/plain", status=503), reply_raw("{broken", "application/json")],
)
async def test_failed_clicks_answer_400_and_are_recorded(
    sim: Simulator, integration: FakeIntegration, answer: Any
) -> None:
    integration.on("/action", answer)
    async with listening(sim, ALICE) as alice:
        post = await post_with_buttons(sim, integration, alice)

    status, _, error = await click(sim, post["id"], "ack")

    assert status == 400
    assert error["id"] == "api.post.do_action.action_integration.app_error"
    assert sim.integrations.failures[-1].kind == "action"


async def test_a_slow_action_integration_times_out(sim: Simulator, integration: FakeIntegration) -> None:
    integration.on("/action", reply_json({}, delay=2.0))
    async with listening(sim, ALICE) as alice:
        post = await post_with_buttons(sim, integration, alice)
    sim.integrations.timeout = 0.2

    status, _, error = await click(sim, post["id"], "ack")

    assert (status, error["id"]) == (400, "api.post.do_action.action_integration.app_error")
    assert "timed out" in sim.integrations.failures[-1].detail


async def test_buttons_of_ephemeral_posts_work(sim: Simulator, integration: FakeIntegration) -> None:
    await register(sim, integration)
    integration.on("/slash", reply_json({**buttons(integration), "response_type": "ephemeral"}))
    integration.on("/action", reply_json({"ephemeral_text": "Got it"}))

    async with listening(sim, ALICE) as alice:
        await execute(sim, "/incident")
        ephemeral = post_of(await alice.next("ephemeral_message"))
        status, _, _ = await click(sim, ephemeral["id"], "ack")
        reply = post_of(await alice.next("ephemeral_message", lambda e: post_of(e)["message"] == "Got it"))

    assert status == 200
    assert integration.last("/action").json()["post_id"] == ephemeral["id"]
    assert reply["user_id"] == user(sim, "alice").id


def open_dialog_on_command(sim: Simulator, dialog: dict[str, Any], outcome: list[tuple[int, Any]]) -> Any:
    """A command handler that opens ``dialog`` with the request's trigger, as a bot does."""

    async def handler(request: Received) -> web.StreamResponse:
        trigger_id = request.fields()["trigger_id"][0]
        body = {"trigger_id": trigger_id, "url": "http://127.0.0.1:9/never", "dialog": dialog}
        status, _, answer = await rest(sim, "POST", "/api/v4/actions/dialogs/open", BOT, body)
        outcome.append((status, answer))
        return web.Response(status=200, text="")

    return handler


async def test_a_dialog_opens_for_the_invoker_and_its_submission_is_relayed(
    sim: Simulator, integration: FakeIntegration
) -> None:
    await register(sim, integration)
    opened: list[tuple[int, Any]] = []
    integration.on("/slash", open_dialog_on_command(sim, VALID_DIALOG, opened))
    integration.on("/submit", reply_json({"errors": {"title": "Too vague"}}))
    channel = town_square(sim)

    async with listening(sim, ALICE) as alice, listening(sim, ROOT) as root:
        await execute(sim, "/incident declare")
        event = await alice.next("open_dialog")
        # root is also a channel member; only alice may see her dialog.
        await execute(sim, "/incident declare", token=ROOT)
        await root.next("open_dialog")

    assert opened[0] == (200, {"status": "OK"})
    assert root.names().count("open_dialog") == 1
    sent = json.loads(event["data"]["dialog"])
    assert sent["url"] == "http://127.0.0.1:9/never"
    assert sent["trigger_id"] != integration.received[0].fields()["trigger_id"][0]
    assert sent["dialog"]["title"] == "Declare incident"
    assert [d.dialog["title"] for d in sim.integrations.dialogs_opened(user(sim, "alice").id)] == [
        "Declare incident"
    ]

    submission = {
        "url": integration.url("/submit"),
        "callback_id": sent["dialog"]["callback_id"],
        "state": sent["dialog"]["state"],
        "channel_id": channel.id,
        "team_id": channel.team_id,
        "submission": {"title": "db", "severity": "sev1", "page": True},
        "cancelled": False,
    }
    status, _, answer = await rest(sim, "POST", "/api/v4/actions/dialogs/submit", ALICE, submission)

    assert (status, answer) == (200, {"errors": {"title": "Too vague"}})
    assert integration.last("/submit").json() == {
        "type": "dialog_submission",
        "callback_id": "declare",
        "state": "run-1",
        "user_id": user(sim, "alice").id,
        "channel_id": channel.id,
        "team_id": channel.team_id,
        "submission": {"title": "db", "severity": "sev1", "page": True},
        "cancelled": False,
    }


async def test_invalid_dialogs_are_refused_and_recorded(sim: Simulator, integration: FakeIntegration) -> None:
    await register(sim, integration)
    opened: list[tuple[int, Any]] = []
    bad = {**VALID_DIALOG, "title": "A title far longer than twenty-four"}
    integration.on("/slash", open_dialog_on_command(sim, bad, opened))

    async with listening(sim, ALICE) as alice:
        await execute(sim, "/incident declare")
        # Nothing reaches alice: a later event is the point by which it would have.
        await rest(sim, "POST", "/api/v4/posts", ALICE, {"channel_id": town_square(sim).id, "message": "x"})
        await alice.next("posted")

    status, error = opened[0]
    assert status == 400
    assert error["id"] == "interactive_message.dialog.invalid"
    assert "title must be 1-24 characters" in error["message"]
    assert "open_dialog" not in alice.names()
    if sim.validator is not None:
        assert any("title must be 1-24" in v for v in sim.validator.take_violations())


async def test_triggers_expire_and_unknown_triggers_are_refused(
    sim: Simulator, integration: FakeIntegration
) -> None:
    await register(sim, integration)
    integration.on("/slash", reply_raw("", "text/plain"))
    await execute(sim, "/incident")
    trigger_id = integration.last("/slash").fields()["trigger_id"][0]
    now = sim.state.clock
    sim.state.clock = lambda: now() + int(sim.integrations.trigger_timeout * 1000) + 1

    late = {"trigger_id": trigger_id, "url": integration.url("/submit"), "dialog": VALID_DIALOG}
    expired_status, _, expired = await rest(sim, "POST", "/api/v4/actions/dialogs/open", BOT, late)
    unknown_status, _, unknown = await rest(
        sim, "POST", "/api/v4/actions/dialogs/open", BOT, {**late, "trigger_id": "made-up"}
    )

    assert (expired_status, expired["id"]) == (400, "interactive_message.decode_trigger_id.expired")
    assert (unknown_status, unknown["id"]) == (
        400,
        "interactive_message.decode_trigger_id.base64_decode_failed",
    )
    assert sim.integrations.dialogs == type(sim.integrations.dialogs)()


async def test_a_failing_submission_target_is_a_400(sim: Simulator, integration: FakeIntegration) -> None:
    integration.on("/submit", reply_raw("down", "text/plain", status=502))
    channel = town_square(sim)
    body = {
        "url": integration.url("/submit"),
        "channel_id": channel.id,
        "team_id": channel.team_id,
        "submission": {},
    }

    status, _, error = await rest(sim, "POST", "/api/v4/actions/dialogs/submit", ALICE, body)

    assert (status, error["id"]) == (400, "api.post.do_action.action_integration.app_error")
    assert sim.integrations.failures[-1].kind == "dialog_submission"


def test_the_valid_dialog_has_no_problems() -> None:
    assert dialog_problems(VALID_DIALOG) == []


@pytest.mark.parametrize(
    ("element", "problem"),
    [
        ({"display_name": "", "name": "a", "type": "text"}, "display_name cannot be empty"),
        ({"display_name": "D" * 25, "name": "a", "type": "text"}, "display_name cannot be longer than 24"),
        ({"display_name": "D", "name": "n" * 301, "type": "text"}, "name cannot be longer than 300"),
        (
            {"display_name": "D", "name": "a", "type": "text", "help_text": "h" * 151},
            "help_text cannot be longer",
        ),
        ({"display_name": "D", "name": "a", "type": "text", "subtype": "color"}, "invalid subtype"),
        ({"display_name": "D", "name": "a", "type": "text", "min_length": 2}, "exceeds max_length"),
        (
            {"display_name": "D", "name": "a", "type": "text", "min_length": -1, "max_length": 5},
            "cannot be negative",
        ),
        (
            {"display_name": "D", "name": "a", "type": "text", "default": "d" * 151},
            "default cannot be longer than 150",
        ),
        (
            {"display_name": "D", "name": "a", "type": "textarea", "placeholder": "p" * 3001},
            "placeholder cannot be",
        ),
        ({"display_name": "D", "name": "a", "type": "select"}, "needs options or a data_source"),
        (
            {
                "display_name": "D",
                "name": "a",
                "type": "select",
                "default": "x",
                "options": [{"text": "Y", "value": "y"}],
            },
            "default 'x' is not one of the options",
        ),
        ({"display_name": "D", "name": "a", "type": "select", "data_source": "teams"}, "invalid data_source"),
        (
            {"display_name": "D", "name": "a", "type": "select", "options": [{"text": "Y"}]},
            "needs non-empty string",
        ),
        ({"display_name": "D", "name": "a", "type": "bool", "default": "yes"}, "bool default must be"),
        ({"display_name": "D", "name": "a", "type": "radio"}, "a radio element needs options"),
        ({"display_name": "D", "name": "a", "type": "date"}, "unsupported element type 'date'"),
        ({"display_name": "D", "name": "a", "type": "text", "optional": "yes"}, "optional must be a boolean"),
    ],
)
def test_element_problems_are_named(element: dict[str, Any], problem: str) -> None:
    problems = dialog_problems({"title": "T", "elements": [element]})

    assert any(problem in found for found in problems), problems


def test_dialog_level_problems_are_named() -> None:
    element = {"display_name": "D", "name": "same", "type": "text"}

    assert dialog_problems({"title": "", "elements": []}) == ["title must be 1-24 characters, got 0"]
    assert dialog_problems({"title": "T", "elements": [element, element]}) == [
        "duplicate element name 'same'"
    ]
    assert dialog_problems({"title": "T", "icon_url": "ftp://x"}) == ["icon_url must be an http(s) URL"]
    assert dialog_problems("dialog") == ["dialog must be an object"]
