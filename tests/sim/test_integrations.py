"""Slash commands end to end: a user runs a command, the simulated server calls the integration.

The bot registers its command over REST, alice runs it through ``POST /api/v4/commands/execute``
as the webapp does, and a small integration server on 127.0.0.1 answers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from mattermost_sim import Simulator

from .fake_integration import (
    ALICE,
    BOT,
    ROOT,
    FakeIntegration,
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

SILENT_ACK = {"response_type": "ephemeral", "text": ""}


@pytest.fixture
async def integration() -> AsyncIterator[FakeIntegration]:
    """The integration server commands point at."""
    async with running_integration() as server:
        yield server


async def test_the_form_carries_every_field_and_the_token_header(
    sim: Simulator, integration: FakeIntegration
) -> None:
    command = await register(sim, integration)
    integration.on("/slash", reply_json(SILENT_ACK))
    alice, root, channel = user(sim, "alice"), user(sim, "root"), town_square(sim)

    status, content_type, response = await execute(sim, "/Incident start  db down\n@root and ~town-square")

    assert (status, content_type) == (200, "application/json")
    request = integration.last("/slash")
    assert request.method == "POST"
    assert request.headers["Authorization"] == f"Token {command['token']}"
    assert request.headers["Accept"] == "application/json"
    assert request.headers["User-Agent"] == "Mattermost-Bot/1.1"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    fields = request.fields()
    assert {
        name: values[0] for name, values in fields.items() if name not in ("trigger_id", "response_url")
    } == {
        "token": command["token"],
        "team_id": channel.team_id,
        "team_domain": "acme",
        "channel_id": channel.id,
        "channel_name": "town-square",
        "user_id": alice.id,
        "user_name": "alice",
        "command": "/incident",
        "text": "start  db down\n@root and ~town-square",
        "user_mentions": "root",
        "user_mentions_ids": root.id,
        "channel_mentions": "town-square",
        "channel_mentions_ids": channel.id,
        "root_id": "",
    }
    assert fields["response_url"][0].startswith(f"{sim.url}/hooks/commands/")
    assert response["trigger_id"] == fields["trigger_id"][0]
    assert sim.integrations.calls[-1].kind == "command"
    assert sim.integrations.calls[-1].status == 200


async def test_get_commands_put_the_form_in_the_query_after_the_urls_own(
    sim: Simulator, integration: FakeIntegration
) -> None:
    await register(sim, integration, "/slash?source=mm", method="G")
    integration.on("/slash", reply_json(SILENT_ACK))

    status, _, _ = await execute(sim, "/incident")

    request = integration.last("/slash")
    assert status == 200
    assert request.method == "GET"
    assert "Content-Type" not in request.headers
    assert request.query_string.startswith("source=mm&")
    fields = request.fields()
    assert fields["text"] == [""]
    assert "user_mentions" not in fields
    assert "channel_mentions" not in fields


async def test_in_channel_replies_are_posted_as_the_invoking_user(
    sim: Simulator, integration: FakeIntegration
) -> None:
    await register(sim, integration)
    integration.on(
        "/slash", reply_json({"response_type": "in_channel", "text": "Declared <https://x.test|INC-1>"})
    )

    async with listening(sim, ROOT) as root:
        status, _, response = await execute(sim, "/incident start")
        post = post_of(await root.next("posted"))

    assert status == 200
    assert response["response_type"] == "in_channel"
    assert post["user_id"] == user(sim, "alice").id
    assert post["props"]["from_webhook"] == "true"
    assert post["message"] == "Declared [INC-1](https://x.test)"


async def test_ephemeral_replies_reach_the_invoker_alone(
    sim: Simulator, integration: FakeIntegration
) -> None:
    await register(sim, integration)
    integration.on("/slash", reply_json({"text": "only for you"}))

    async with listening(sim, ALICE) as alice, listening(sim, ROOT) as root:
        await execute(sim, "/incident help")
        ephemeral = post_of(await alice.next("ephemeral_message"))
        # A channel-wide post after it is the point by which root would have seen it too.
        integration.on("/slash", reply_json({"response_type": "in_channel", "text": "marker"}))
        await execute(sim, "/incident marker")
        await root.next("posted")

    assert ephemeral["message"] == "only for you"
    assert ephemeral["channel_id"] == town_square(sim).id
    assert "ephemeral_message" not in root.names()


async def test_plain_text_replies_become_ephemeral_text(sim: Simulator, integration: FakeIntegration) -> None:
    await register(sim, integration)
    integration.on("/slash", reply_raw("plain *markdown*", "text/plain"))

    async with listening(sim, ALICE) as alice:
        status, _, response = await execute(sim, "/incident")
        ephemeral = post_of(await alice.next("ephemeral_message"))

    assert status == 200
    assert response["text"] == "plain *markdown*"
    assert ephemeral["message"] == "plain *markdown*"


async def test_extra_responses_are_each_posted(sim: Simulator, integration: FakeIntegration) -> None:
    await register(sim, integration)
    reply = {
        "response_type": "in_channel",
        "text": "first",
        "goto_location": "https://x.test/runs/1",
        "extra_responses": [{"response_type": "in_channel", "text": "second"}, {"text": "just you"}],
    }
    integration.on("/slash", reply_json(reply))

    async with listening(sim, ALICE) as alice:
        _, _, response = await execute(sim, "/incident")
        await alice.next("ephemeral_message")

    posted = [post_of(e)["message"] for e in alice.events if e["event"] == "posted"]
    assert posted == ["first", "second"]
    assert response["goto_location"] == "https://x.test/runs/1"


async def test_channel_id_must_be_a_channel_of_the_invoker(
    sim: Simulator, integration: FakeIntegration
) -> None:
    await register(sim, integration)
    team_id = town_square(sim).team_id
    channel = {"team_id": team_id, "name": "ops-private", "display_name": "Ops", "type": "P"}
    _, _, private = await rest(sim, "POST", "/api/v4/channels", ROOT, channel)
    integration.on(
        "/slash", reply_json({"response_type": "in_channel", "text": "x", "channel_id": private["id"]})
    )

    status, _, error = await execute(sim, "/incident")

    assert status == 500
    assert error["id"] == "api.command.execute_command.create_post_failed.app_error"
    assert sim.integrations.failures[-1].error_id == "api.command.command_post.forbidden.app_error"
    assert [p.type for p in sim.state.channel_posts(private["id"])] == ["system_join_channel"]


async def test_commands_run_in_a_dm_use_the_team_the_client_names(
    sim: Simulator, integration: FakeIntegration
) -> None:
    await register(sim, integration)
    integration.on("/slash", reply_json({"response_type": "in_channel", "text": "from the DM"}))
    ids = [user(sim, "alice").id, user(sim, "playbooks").id]
    _, _, direct = await rest(sim, "POST", "/api/v4/channels/direct", ALICE, ids)
    team_id = town_square(sim).team_id

    without_team, _, _ = await rest(
        sim, "POST", "/api/v4/commands/execute", ALICE, {"channel_id": direct["id"], "command": "/incident"}
    )
    status, _, _ = await rest(
        sim,
        "POST",
        "/api/v4/commands/execute",
        ALICE,
        {"channel_id": direct["id"], "command": "/incident", "team_id": team_id},
    )

    assert without_team == 403
    assert status == 200
    fields = integration.last("/slash").fields()
    assert (fields["team_id"], fields["channel_name"]) == ([team_id], ["__".join(sorted(ids))])
    assert [p.message for p in sim.state.channel_posts(direct["id"])] == ["from the DM"]


async def test_replies_to_a_command_run_in_a_thread_stay_in_it(
    sim: Simulator, integration: FakeIntegration
) -> None:
    await register(sim, integration)
    integration.on("/slash", reply_json({"response_type": "in_channel", "text": "in the thread"}))
    _, _, root = await rest(
        sim, "POST", "/api/v4/posts", ALICE, {"channel_id": town_square(sim).id, "message": "r"}
    )

    status, _, _ = await execute(sim, "/incident", root_id=root["id"])

    assert status == 200
    assert integration.last("/slash").fields()["root_id"] == [root["id"]]
    assert [p.root_id for p in sim.state.channel_posts(town_square(sim).id)] == ["", root["id"]]


async def test_unknown_triggers_are_404(sim: Simulator, integration: FakeIntegration) -> None:
    await register(sim, integration)

    status, _, error = await execute(sim, "/nothing here")

    assert status == 404
    assert error["id"] == "api.command.execute_command.not_found.app_error"
    assert integration.received == []


async def test_non_members_cannot_run_commands_in_a_channel(
    sim: Simulator, integration: FakeIntegration
) -> None:
    await register(sim, integration)
    sim.state.add_team_member(
        sim.state.teams[town_square(sim).team_id], sim.state.add_user("eve", "eve-token")
    )

    status, _, error = await execute(sim, "/incident", token="eve-token")

    assert status == 403
    assert error["id"] == "api.context.permissions.app_error"


@pytest.mark.parametrize(
    ("answer", "error_id"),
    [
        (reply_raw("boom", "text/plain", status=500), "api.command.execute_command.failed_resp.app_error"),
        (reply_raw("{not json", "application/json"), "api.command.execute_command.failed.app_error"),
        (reply_raw("", "application/json"), "api.command.execute_command.failed.app_error"),
        (reply_json({"text": 42}), "api.command.execute_command.failed.app_error"),
    ],
)
async def test_failed_replies_give_the_client_a_500(
    sim: Simulator, integration: FakeIntegration, answer: Any, error_id: str
) -> None:
    await register(sim, integration)
    integration.on("/slash", answer)

    status, content_type, error = await execute(sim, "/incident")

    assert (status, content_type) == (500, "application/json")
    assert error["id"] == error_id
    assert sim.integrations.failures[-1].error_id == error_id


async def test_a_slow_integration_times_out(sim: Simulator, integration: FakeIntegration) -> None:
    await register(sim, integration)
    sim.integrations.timeout = 0.2
    integration.on("/slash", reply_json(SILENT_ACK, delay=2.0))

    status, _, error = await execute(sim, "/incident")

    assert status == 500
    assert error["id"] == "api.command.execute_command.failed.app_error"
    assert "timed out" in sim.integrations.failures[-1].detail
    assert sim.integrations.calls[-1].status == 0


async def test_an_unreachable_integration_fails(sim: Simulator, integration: FakeIntegration) -> None:
    await register(sim, integration)
    async with running_integration() as gone:
        dead_url = gone.url("/slash")
    command = sim.state.command_by_trigger(town_square(sim).team_id, "incident")
    assert command is not None
    status_put, _, _ = await rest(
        sim, "PUT", f"/api/v4/commands/{command.id}", BOT, {**command.to_json(), "url": dead_url}
    )

    status, _, error = await execute(sim, "/incident")

    assert status_put == 200
    assert status == 500
    assert error["id"] == "api.command.execute_command.failed.app_error"
    assert sim.integrations.failures[-1].url == dead_url


async def _response_url(sim: Simulator, integration: FakeIntegration) -> str:
    await register(sim, integration)
    integration.on("/slash", reply_json(SILENT_ACK))
    await execute(sim, "/incident")
    return integration.last("/slash").fields()["response_url"][0]


async def _post_to_hook(url: str, body: Any) -> tuple[int, str, Any]:
    import aiohttp

    async with aiohttp.ClientSession() as session:
        kwargs: dict[str, Any] = {"json": body} if not isinstance(body, str) else {"data": body}
        async with session.post(url, timeout=aiohttp.ClientTimeout(total=10), **kwargs) as response:
            return response.status, response.headers.get("Content-Type", ""), await response.text()


async def test_response_url_posts_later_replies_as_the_user(
    sim: Simulator, integration: FakeIntegration
) -> None:
    url = await _response_url(sim, integration)

    async with listening(sim, ALICE) as alice:
        answer = await _post_to_hook(url, {"response_type": "in_channel", "text": "done later"})
        plain = await _post_to_hook(url, "a plain note")
        post = post_of(await alice.next("posted"))
        ephemeral = post_of(await alice.next("ephemeral_message"))

    assert answer == (200, "text/plain", "ok")
    assert plain == (200, "text/plain", "ok")
    assert (post["message"], post["user_id"], post["props"]["from_webhook"]) == (
        "done later",
        user(sim, "alice").id,
        "true",
    )
    assert post["channel_id"] == town_square(sim).id
    assert ephemeral["message"] == "a plain note"


async def test_response_url_works_five_times(sim: Simulator, integration: FakeIntegration) -> None:
    url = await _response_url(sim, integration)

    statuses = [(await _post_to_hook(url, {"text": f"update {n}"}))[0] for n in range(6)]

    assert statuses == [200, 200, 200, 200, 200, 400]


async def test_response_url_expires(sim: Simulator, integration: FakeIntegration) -> None:
    url = await _response_url(sim, integration)
    now = sim.state.clock
    sim.state.clock = lambda: now() + int(sim.integrations.response_url_lifetime * 1000) + 1

    status, _, body = await _post_to_hook(url, {"text": "too late"})

    assert status == 404
    assert '"web.command_webhook.general.app_error"' in body


async def test_unknown_response_url_is_404(sim: Simulator) -> None:
    status, content_type, _ = await _post_to_hook(f"{sim.url}/hooks/commands/{'x' * 26}", {"text": "?"})

    assert (status, content_type) == (404, "application/json")
