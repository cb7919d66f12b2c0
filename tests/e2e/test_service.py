"""The service starts against Mattermost, registers /playbook once, and answers it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import BotApp, StartupError
from tests.servers import Backstage

from .conftest import Harness, bot_settings


async def test_help_answers_alice_ephemerally(harness: Harness) -> None:
    response = await harness.command(harness.alice, "/playbook help")
    assert response["response_type"] == "ephemeral"
    assert "/playbook help" in response["text"]


async def test_unknown_subcommand_gets_a_friendly_answer(harness: Harness) -> None:
    response = await harness.command(harness.alice, "/playbook frobnicate")
    assert "`frobnicate` is not a `/playbook` command" in response["text"]
    assert "**Runs**" not in response["text"]  # not the whole help
    response = await harness.command(harness.alice, "/playbook chek 1 2")
    assert response["text"].startswith("`chek` is not a `/playbook` command. Did you mean `/playbook check")


async def test_restart_updates_the_command_instead_of_adding_one(harness: Harness, tmp_path: Path) -> None:
    second = BotApp(bot_settings(harness.mattermost, f"sqlite+aiosqlite:///{tmp_path / 'again.sqlite'}"))
    await second.start()
    try:
        listed = await harness.root.team_commands(harness.team_id)
        commands = [c for c in listed if c["trigger"] == "playbook"]
        assert len(commands) == 1
        assert commands[0]["url"] == f"{second.settings.public_url}/mattermost/command"
        response = await harness.command(harness.alice, "/playbook help")
        assert "/playbook help" in response["text"]
    finally:
        await second.stop()


async def test_a_forged_command_token_is_refused(harness: Harness) -> None:
    import aiohttp

    form = {
        "token": "forged",
        "team_id": harness.team_id,
        "channel_id": "c",
        "user_id": "u",
        "command": "/playbook",
        "text": "help",
    }
    url = f"{harness.bot.settings.public_url}/mattermost/command"
    async with aiohttp.ClientSession() as session, session.post(url, data=form) as resp:
        assert resp.status == 401


async def test_a_wrong_bot_token_stops_start_up_with_a_clear_reason(
    mattermost: Backstage, tmp_path: Path
) -> None:
    settings = bot_settings(mattermost, f"sqlite+aiosqlite:///{tmp_path / 'x.sqlite'}")
    settings = settings.model_copy(update={"mattermost_token": type(settings.mattermost_token)("nope")})
    bot = BotApp(settings)
    with pytest.raises(StartupError, match="refused the bot's token"):
        await bot.start()
    await bot.stop()
