"""A running bot seen from operations: health, readiness, metrics, body limits, and no leaked secret."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from bot.app import BotApp, StartupError
from bot.config import Settings
from bot.mattermost.errors import MattermostError
from bot.mattermost.gateway import MattermostGateway
from handlers.http import ACTION_PATH, COMMAND_PATH, DIALOG_PATH, MAX_BODY_BYTES, STALE_BUTTON, TOO_LARGE
from mattermost_sim.client_answers import MattermostError as ClientError
from tests.servers import Backstage

from .conftest import Harness, bot_settings, unused_port

TIMEOUT = aiohttp.ClientTimeout(total=10)


async def request(harness: Harness, method: str, path: str, **options: Any) -> tuple[int, str]:
    """Call the bot's HTTP server as Mattermost or a probe would."""
    url = f"http://127.0.0.1:{harness.bot.port}{path}"
    async with (
        aiohttp.ClientSession(timeout=TIMEOUT) as session,
        session.request(method, url, **options) as response,
    ):
        return response.status, await response.text()


def command_tokens(harness: Harness) -> list[str]:
    return list(harness.bot.tokens.by_team.values())


# Health, readiness, metrics ---------------------------------------------------------------------


async def test_a_running_bot_is_healthy_ready_and_times_its_callbacks(harness: Harness) -> None:
    assert await request(harness, "GET", "/healthz") == (200, '{"status": "ok"}')
    assert await request(harness, "GET", "/readyz") == (
        200,
        '{"status": "ready", "checks": {"database": "ok", "mattermost": "ok"}}',
    )
    reply = await harness.command(harness.alice, "/playbook help")
    assert "/playbook" in reply["text"]
    status, body = await request(harness, "GET", "/metrics")
    assert status == 200
    assert 'playbooks_callback_seconds_count{kind="command"} 1.0' in body.splitlines()
    assert "playbooks_active_runs 0.0" in body.splitlines()


async def test_a_bot_whose_token_mattermost_refuses_is_not_ready(harness: Harness) -> None:
    harness.faults.fail(401, count=1, method="GET", path_pattern=r"^/api/v4/users/")
    status, body = await request(harness, "GET", "/readyz")
    assert status == 503
    assert '"mattermost": "failed (Unauthorized)"' in body
    assert '"database": "ok"' in body
    assert (await request(harness, "GET", "/readyz"))[0] == 200  # the fault was one answer only


# Body size limits --------------------------------------------------------------------------------

OVERSIZE = b"x" * (MAX_BODY_BYTES + 1)


async def chunks(total: int) -> AsyncIterator[bytes]:
    """A body of ``total`` bytes sent without a Content-Length (chunked)."""
    for _ in range(total // 65536 + 1):
        yield b"y" * 65536


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", COMMAND_PATH),
        ("POST", ACTION_PATH),
        ("POST", DIALOG_PATH),
        ("GET", "/healthz"),
        ("GET", "/readyz"),
        ("GET", "/metrics"),
        ("POST", "/metrics"),
        ("POST", "/nowhere"),
    ],
)
async def test_every_route_refuses_an_announced_oversize_body(
    harness: Harness, method: str, path: str
) -> None:
    status, body = await request(harness, method, path, data=OVERSIZE)
    assert status == 413
    assert TOO_LARGE in body
    assert await request(harness, "GET", "/healthz") == (200, '{"status": "ok"}')


@pytest.mark.parametrize("path", [COMMAND_PATH, ACTION_PATH, DIALOG_PATH])
async def test_a_chunked_oversize_callback_is_refused_without_reading_it_all(
    harness: Harness, path: str
) -> None:
    status, body = await request(harness, "POST", path, data=chunks(4 * MAX_BODY_BYTES))
    assert status == 413
    assert TOO_LARGE in body
    reply = await harness.command(harness.alice, "/playbook help")
    assert "/playbook" in reply["text"]


async def test_a_chunked_body_to_a_probe_is_ignored(harness: Harness) -> None:
    status, _ = await request(harness, "GET", "/healthz", data=chunks(4 * MAX_BODY_BYTES))
    assert status == 200
    assert (await request(harness, "GET", "/readyz"))[0] == 200


# Secrets -----------------------------------------------------------------------------------------


async def test_a_forged_command_token_is_refused_and_no_token_is_logged(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    forged = "forged-command-token-1234"
    form = {
        "token": forged,
        "team_id": harness.team_id,
        "channel_id": harness.town_square_id,
        "user_id": "someone",
        "command": "/playbook",
        "text": "list",
    }
    status, body = await request(harness, "POST", COMMAND_PATH, data=form)
    assert status == 401
    assert "invalid command token" in body
    assert "refused a slash command with a wrong token" in caplog.text
    for secret in [forged, *command_tokens(harness), harness.mattermost.token("playbooks")]:
        assert secret not in caplog.text
        assert secret not in body


async def test_a_forged_click_is_refused_and_its_signature_is_not_logged(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    signature = "ab" * 32
    click = {"user_id": "someone", "post_id": "p", "context": {"a": "finish", "r": "run", "sig": signature}}
    status, body = await request(harness, "POST", ACTION_PATH, json=click)
    assert status == 200
    assert STALE_BUTTON in body
    assert "forged or expired" in caplog.text
    assert signature not in caplog.text


async def test_a_normal_conversation_logs_no_secret(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await harness.command(harness.alice, "/playbook list")
    await harness.command(harness.alice, "/playbook nonsense")
    await harness.settle()
    for secret in [*command_tokens(harness), harness.mattermost.token("playbooks")]:
        assert secret not in caplog.text


async def test_a_wrong_token_at_startup_is_reported_without_the_token(
    mattermost: Backstage, tmp_path: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "wrong-bot-token-5678"
    settings = bot_settings(mattermost, f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite'}")
    bot = BotApp(Settings(**{**settings.model_dump(), "mattermost_token": wrong}))
    with pytest.raises(StartupError) as refused:
        await bot.start()
    await bot.stop()
    assert "refused the bot's token" in str(refused.value)
    assert wrong not in str(refused.value)
    assert wrong not in caplog.text


async def test_gateway_errors_do_not_carry_the_token_or_the_authorization_header(
    mattermost: Backstage,
) -> None:
    wrong = "wrong-bot-token-5678"
    gateway = MattermostGateway(mattermost.url, wrong, request_timeout=5)
    unreachable = MattermostGateway(f"http://127.0.0.1:{unused_port()}", wrong, request_timeout=5)
    try:
        for client in (gateway, unreachable):
            with pytest.raises(MattermostError) as failed:
                await client.user("nobody")
            text = f"{failed.value} {failed.value!r} {failed.value.message}"
            assert wrong not in text
            assert "Bearer" not in text
            assert "Authorization" not in text
    finally:
        await gateway.close()
        await unreachable.close()


# Rotating the slash command token ----------------------------------------------------------------


async def test_a_restart_picks_up_a_regenerated_command_token(mattermost: Backstage, tmp_path: Any) -> None:
    settings = bot_settings(mattermost, f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite'}")
    api = f"{mattermost.url}/api/v4"
    headers = {"Authorization": f"Bearer {mattermost.token('root')}"}
    async with (
        aiohttp.ClientSession(timeout=TIMEOUT, headers=headers) as admin,
        mattermost.person("alice") as alice,
    ):
        team = await alice.team("acme")
        town_square = await alice.channel_by_name(team["id"], "town-square")

        async def playbook_help() -> dict[str, Any]:
            return await alice.execute(town_square["id"], "/playbook help", team_id=team["id"])

        first = BotApp(settings)
        await first.start()
        try:
            assert "/playbook" in (await playbook_help())["text"]
            params = {"team_id": team["id"], "custom_only": "true"}
            async with admin.get(f"{api}/commands", params=params) as response:
                (command,) = [c for c in await response.json() if c["trigger"] == "playbook"]
            async with admin.put(f"{api}/commands/{command['id']}/regen_token") as response:
                new_token = (await response.json())["token"]
            assert new_token != command["token"]
            with pytest.raises(ClientError):
                await playbook_help()  # the running bot still holds the old token
        finally:
            await first.stop()

        second = BotApp(settings)
        await second.start()
        try:
            assert list(second.tokens.by_team.values()) == [new_token]
            assert "/playbook" in (await playbook_help())["text"]
        finally:
            await second.stop()
