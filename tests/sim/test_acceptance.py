"""The simulator as a separate server: started from the shell with the README's seed, then used
by a client speaking only the public Mattermost API (REST with mattermostautodriver, websocket
with aiohttp), exactly as the foundation's acceptance scenario describes."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from mattermostautodriver import AsyncTypedDriver

from tests.paths import ROOT

from .fake_integration import FakeIntegration, reply_json, running_integration

READY_PREFIX = "simulated Mattermost serving on "
START_TIMEOUT_S = 30.0
EVERY_FORM_FIELD = {
    "token",
    "team_id",
    "team_domain",
    "channel_id",
    "channel_name",
    "user_id",
    "user_name",
    "command",
    "text",
    "trigger_id",
    "response_url",
}


@pytest.fixture
async def server_url() -> AsyncIterator[str]:
    """``python -m mattermost_sim --seed seed.yaml`` on a port it picks, stopped after the test."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "mattermost_sim", "--host", "127.0.0.1", "--port", "0",
        "--seed", str(ROOT / "seed.yaml"),
        cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL, env=os.environ.copy(),
    )  # fmt: skip
    assert process.stdout is not None
    try:
        # The simulator says where it serves once it listens: wait for that line (or its end).
        async with asyncio.timeout(START_TIMEOUT_S):
            line = (await process.stdout.readline()).decode()
        if not line.startswith(READY_PREFIX):
            pytest.fail(f"the simulator did not start: {line!r}, exit status {await process.wait()}")
        yield line.removeprefix(READY_PREFIX).strip()
    finally:
        if process.returncode is None:
            process.terminate()
        await asyncio.wait_for(process.wait(), timeout=10)


async def _driver(url: str, token: str) -> AsyncTypedDriver:
    driver = AsyncTypedDriver(
        {
            "url": "127.0.0.1",
            "port": int(url.rsplit(":", 1)[1]),
            "scheme": "http",
            "token": token,
            "request_timeout": 5,
        }
    )
    await driver.login()
    return driver


async def test_a_client_uses_the_simulator_as_a_mattermost_server(
    server_url: str,
) -> None:
    bot = await _driver(server_url, "bot-token")
    me = await bot.users.get_user("me")
    assert me["username"] == "playbooks"
    assert me["is_bot"] is True
    team = await bot.teams.get_team_by_name("acme")
    channel = await bot.channels.create_channel(team["id"], "ops-room", "Ops Room", "O")

    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(
            f"{server_url.replace('http', 'ws')}/api/v4/websocket",
            headers={"Authorization": "Bearer bot-token"},
        ) as ws,
    ):
        hello = await ws.receive_json(timeout=5)
        assert hello["event"] == "hello"
        assert hello["seq"] == 0
        post = await bot.posts.create_post(channel["id"], "hello, world")
        event = await ws.receive_json(timeout=5)
        assert set(event) == {"event", "data", "broadcast", "seq"}
        assert event["event"] == "posted"
        assert event["seq"] == 1
        assert event["broadcast"]["channel_id"] == channel["id"]
        assert json.loads(event["data"]["post"])["id"] == post["id"]

    async with running_integration() as integration:
        await _execute_a_registered_command(server_url, bot, team, integration)
    await bot.client.close()


async def _execute_a_registered_command(
    url: str, bot: AsyncTypedDriver, team: dict[str, Any], integration: FakeIntegration
) -> None:
    integration.on("/command", reply_json({"response_type": "ephemeral", "text": "got it"}))
    command = await bot.client.post(
        "/api/v4/commands",
        options={"team_id": team["id"], "trigger": "ops", "method": "P", "url": integration.url("/command")},
    )
    alice = await _driver(url, "alice-token")
    town_square = await alice.channels.get_channel_by_name(team["id"], "town-square")
    response = await alice.client.post(
        "/api/v4/commands/execute",
        options={"channel_id": town_square["id"], "command": "/ops status now", "team_id": team["id"]},
    )
    assert response["text"] == "got it"
    received = integration.last("/command")
    fields = received.fields()
    assert set(fields) >= EVERY_FORM_FIELD
    assert fields["token"] == [command["token"]]
    assert fields["text"] == ["status now"]
    assert received.headers["Authorization"] == f"Token {command['token']}"
    await alice.client.close()


async def test_the_simulator_refuses_what_mattermost_refuses(server_url: str) -> None:
    async with aiohttp.ClientSession() as session:

        async def call(method: str, path: str, token: str, body: Any = None) -> tuple[int, Any]:
            async with session.request(
                method, f"{server_url}/api/v4{path}", json=body, headers={"Authorization": f"Bearer {token}"}
            ) as response:
                return response.status, await response.json(content_type=None)

        status, _ = await call("GET", "/users/me", "not-a-token")
        assert status == 401
        _, team = await call("GET", "/teams/name/acme", "bot-token")
        status, private = await call(
            "POST",
            "/channels",
            "bot-token",
            {"team_id": team["id"], "name": "secret", "display_name": "S", "type": "P"},
        )
        assert status == 201
        status, error = await call("GET", f"/channels/{private['id']}", "alice-token")
        assert status == 403
        assert error["id"] == "api.context.permissions.app_error"
        status, error = await call(
            "POST",
            "/channels",
            "bot-token",
            {"team_id": team["id"], "name": "Not Valid!", "display_name": "X", "type": "O"},
        )
        assert status == 400
        assert error["id"].startswith("model.channel.is_valid")
        _, post = await call("POST", "/posts", "bot-token", {"channel_id": private["id"], "message": "x"})
        status, _ = await call("POST", f"/posts/{post['id']}/actions/bad_id", "bot-token", {})
        assert status == 404
