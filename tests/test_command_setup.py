"""Connecting ``/playbook`` in a team (:mod:`bot.command_setup`), its configuration, and the
``response_url`` hooks of deferred replies."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import SecretStr

from bot.command_setup import connect_command, setup_instructions
from bot.config import Settings, parse_command_tokens
from bot.mattermost.errors import Forbidden, MattermostError, Unavailable
from bot.mattermost.gateway_integrations import command_hook_path, same_url
from bot.mattermost.types import MMTeam

HOOK_ID = "a" * 13 + "0123456789xyz"
URL = "http://bot.internal:8080/mattermost/command"
ACME = MMTeam(id="t" * 26, name="acme", display_name="Acme")


class CommandGateway:
    """What :func:`connect_command` asks of the gateway; ``refusal`` makes registration fail."""

    def __init__(self, *, refusal: MattermostError | None = None, visible: set[str] | None = None) -> None:
        self.refusal = refusal
        self.visible = visible or set()
        self.registered: list[str] = []

    async def ensure_slash_command(self, team_id: str, trigger: str, url: str, *args: Any, **kw: Any) -> str:
        if self.refusal is not None:
            raise self.refusal
        self.registered.append(trigger)
        return "own-token"

    async def visible_command_triggers(self, team_id: str) -> set[str]:
        return self.visible


async def connect(gateway: CommandGateway, configured: str | None = None) -> Any:
    return await connect_command(
        gateway,  # type: ignore[arg-type]
        ACME,
        trigger="playbook",
        command_url=URL,
        configured_token=configured,
    )


async def test_a_configured_token_is_used_without_registering() -> None:
    gateway = CommandGateway()
    connection = await connect(gateway, "admin-token")
    assert (connection.team_id, connection.token) == (ACME.id, "admin-token")
    assert gateway.registered == []


async def test_a_team_admin_bot_registers_its_command() -> None:
    connection = await connect(CommandGateway())
    assert connection.token == "own-token"
    assert connection.instructions == ""


async def test_without_the_permission_the_instructions_say_how_to_make_the_command() -> None:
    gateway = CommandGateway(refusal=Forbidden(403, "api.context.permissions.app_error", "no"))
    connection = await connect(gateway)
    assert connection.token is None
    text = connection.instructions
    assert text.startswith("/playbook is not connected in team 'acme': the bot may not manage slash commands")
    assert "Add Slash Command" in text
    assert f"Request URL {URL}, Request Method POST" in text
    assert "PLAYBOOKS_COMMAND_TOKENS=acme=<token>" in text
    assert "command_tokens: {acme: <token>}" in text


async def test_without_the_permission_an_existing_command_only_needs_its_token_given() -> None:
    refusal = Forbidden(403, "api.context.permissions.app_error", "no")
    connection = await connect(CommandGateway(refusal=refusal, visible={"playbook", "echo"}))
    assert "cannot read the token of the /playbook command someone made there" in connection.instructions
    assert "Add Slash Command" not in connection.instructions
    assert "copy its token" in connection.instructions


async def test_a_trigger_taken_by_another_integration_is_explained() -> None:
    taken = MattermostError(400, "api.command.duplicate_trigger.app_error", "in use")
    connection = await connect(CommandGateway(refusal=taken))
    assert connection.token is None
    assert "another integration already uses /playbook" in connection.instructions


async def test_an_unreachable_mattermost_is_not_hidden() -> None:
    with pytest.raises(Unavailable):
        await connect(CommandGateway(refusal=Unavailable(0, "timeout", "slow")))


def test_instructions_name_every_field_of_the_form() -> None:
    text = setup_instructions("ops", "runbook", URL, reason="no permission")
    for needed in (
        "Command Trigger Word 'runbook'",
        "Autocomplete on",
        "Autocomplete Hint '[run|list|show|check|finish|help]'",
        "Team Admin",
        "PLAYBOOKS_COMMAND_TOKENS=ops=<token>",
    ):
        assert needed in text


def test_command_tokens_come_from_the_environment_or_a_mapping(monkeypatch: pytest.MonkeyPatch) -> None:
    assert parse_command_tokens(" acme=abc , ops=de=f,") == {"acme": "abc", "ops": "de=f"}
    for bad in ("acme", "=abc", "acme="):
        with pytest.raises(ValueError, match="TEAM=TOKEN"):
            parse_command_tokens(bad)
    monkeypatch.setenv("PLAYBOOKS_COMMAND_TOKENS", "acme=abc,ops=def")
    settings = Settings(mattermost_url="http://mm", mattermost_token=SecretStr("t"))
    assert {k: v.get_secret_value() for k, v in settings.command_tokens.items()} == {
        "acme": "abc",
        "ops": "def",
    }
    assert "abc" not in repr(settings)
    monkeypatch.delenv("PLAYBOOKS_COMMAND_TOKENS")
    mapped = Settings(
        mattermost_url="http://mm", mattermost_token=SecretStr("t"), command_tokens={"acme": "x"}
    )
    assert mapped.command_tokens["acme"].get_secret_value() == "x"


@pytest.mark.parametrize(
    "url",
    [
        f"http://127.0.0.1:8065/hooks/commands/{HOOK_ID}",
        f"https://chat.example.com/hooks/commands/{HOOK_ID}",
        f"https://example.com/chat/hooks/commands/{HOOK_ID}",  # a SiteURL with a sub-path
    ],
)
def test_a_response_url_is_followed_on_the_bots_own_server_whatever_its_host(url: str) -> None:
    assert command_hook_path(url) == f"/hooks/commands/{HOOK_ID}"


@pytest.mark.parametrize(
    "url",
    [
        f"ftp://chat.example.com/hooks/commands/{HOOK_ID}",
        f"/hooks/commands/{HOOK_ID}",
        "https://chat.example.com/hooks/commands/short",
        f"https://chat.example.com/hooks/commands/{HOOK_ID}/more",
        f"https://chat.example.com/api/v4/users?x=/hooks/commands/{HOOK_ID}",
        f"https://chat.example.com/hooks/commands/{HOOK_ID}?to=elsewhere",
        f"https://chat.example.com/hooks/incoming/{HOOK_ID}",
        "",
    ],
)
def test_anything_else_is_not_a_response_url(url: str) -> None:
    with pytest.raises(ValueError, match="command hook"):
        command_hook_path(url)


def test_command_urls_compare_by_endpoint() -> None:
    assert same_url("HTTP://Bot:8080/mattermost/command/", "http://bot:8080/mattermost/command")
    assert not same_url("http://bot:8080/mattermost/command", "http://bot:8081/mattermost/command")
