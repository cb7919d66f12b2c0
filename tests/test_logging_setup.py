"""Structured logs with request context, and secrets kept out of them and out of the settings' repr."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from bot.config import Settings, hide_url_password, url_password
from bot.logging_setup import (
    REDACTED,
    Redactor,
    configure_logging,
    current_log_context,
    log_context,
    redact,
    register_secret,
)

TOKEN = "xoxo-bot-token-7f3a9c"
SECRET = "signing-secret-d41d8c"
SIGNATURE = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"


@pytest.fixture
def output() -> Iterator[io.StringIO]:
    """The root logger writing to a buffer through configure_logging, restored afterwards."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    stream = io.StringIO()
    yield stream
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        (f"GET /api/v4/users/me headers={{'Authorization': 'Bearer {TOKEN}'}}", "/api/v4/users/me"),
        (f"Authorization: Bearer {TOKEN}", "Authorization: Bearer"),
        (f"authorization={TOKEN}", "authorization="),
        (f"body token={TOKEN}&team_id=abc&text=list", "team_id=abc&text=list"),
        (f"access_token={TOKEN}", "access_token="),
        (f'{{"token": "{TOKEN}", "user_id": "u1"}}', '"user_id": "u1"'),
        (f"{{'sig': '{SIGNATURE}', 'a': 'finish'}}", "'a': 'finish'"),
        (f"X-Playbooks-Signature: sha256={SIGNATURE}", "X-Playbooks-Signature"),
        (f"context sig={SIGNATURE}", "context sig="),
        ("postgresql+asyncpg://bot:pa55-word-x@db.example.com/playbooks", "bot:"),
    ],
)
def test_credential_shaped_text_is_redacted(text: str, kept: str) -> None:
    redacted = Redactor().redact(text)
    assert REDACTED in redacted
    assert TOKEN not in redacted
    assert SIGNATURE not in redacted
    assert "pa55-word-x" not in redacted
    assert kept in redacted


def test_registered_secrets_are_redacted_wherever_they_appear() -> None:
    redactor = Redactor()
    redactor.add(SECRET)
    redactor.add("abc")  # too short to be told apart from ordinary text: ignored
    assert redactor.redact(f"key material {SECRET}!") == f"key material {REDACTED}!"
    assert redactor.redact("abc def") == "abc def"


def test_text_lines_carry_the_context_and_hide_secrets_in_tracebacks(output: io.StringIO) -> None:
    configure_logging("INFO", json=False, stream=output)
    register_secret(TOKEN)
    log = logging.getLogger("tests.logging")
    with log_context(run_id="run123", user_id="user456"):
        try:
            raise ConnectionError(f"refused with {TOKEN}")
        except ConnectionError:
            log.exception("the call failed for %s", TOKEN)
    text = output.getvalue()
    assert "ERROR tests.logging: the call failed for [redacted] [run_id=run123 user_id=user456]" in text
    assert "ConnectionError: refused with [redacted]" in text
    assert TOKEN not in text


def test_json_lines_have_time_level_logger_message_and_context(output: io.StringIO) -> None:
    configure_logging("DEBUG", json=True, stream=output)
    register_secret(SECRET)
    log = logging.getLogger("tests.json")
    with log_context(kind="action", run_id="r1"), log_context(user_id="u1", run_id="r2"):
        log.debug("signed with %s", SECRET)
    log.info("outside")
    first, second = (json.loads(line) for line in output.getvalue().splitlines())
    assert first["level"] == "DEBUG"
    assert first["logger"] == "tests.json"
    assert first["message"] == f"signed with {REDACTED}"
    assert (first["kind"], first["run_id"], first["user_id"]) == ("action", "r2", "u1")
    assert first["time"].endswith("+00:00")
    assert set(second) == {"time", "level", "logger", "message"}


def test_json_lines_hide_secrets_inside_exceptions(output: io.StringIO) -> None:
    configure_logging("INFO", json=True, stream=output)
    try:
        raise ValueError(f"Authorization: Bearer {TOKEN}")
    except ValueError:
        logging.getLogger("tests.json").exception("failed")
    entry = json.loads(output.getvalue())
    assert "ValueError: Authorization: Bearer [redacted]" in entry["exception"]
    assert TOKEN not in output.getvalue()


async def test_the_context_follows_work_started_for_the_request() -> None:
    seen: list[dict[str, str]] = []

    async def later() -> None:
        seen.append(dict(current_log_context()))

    with log_context(run_id="r9", empty=""):
        task = asyncio.create_task(later())
    await task
    assert seen == [{"run_id": "r9"}]
    assert current_log_context() == {}


def test_configuring_twice_keeps_one_handler(output: io.StringIO) -> None:
    configure_logging("INFO", stream=output)
    configure_logging("INFO", stream=output)
    logging.getLogger("tests.twice").warning("a single line")
    assert output.getvalue().count("a single line") == 1


def test_redact_uses_the_process_wide_secrets() -> None:
    register_secret("process-wide-secret")
    assert redact("a process-wide-secret b") == f"a {REDACTED} b"


def test_settings_repr_and_str_hide_every_secret() -> None:
    settings = Settings(
        mattermost_url="https://chat.example.com",
        mattermost_token=SecretStr(TOKEN),
        secret=SecretStr(SECRET),
        database_url="postgresql+asyncpg://bot:pa55-word-x@db.example.com/playbooks",
    )
    for shown in (repr(settings), str(settings), f"{settings}"):
        assert TOKEN not in shown
        assert SECRET not in shown
        assert "pa55-word-x" not in shown
        assert "postgresql+asyncpg://bot:***@db.example.com/playbooks" in shown


@pytest.mark.parametrize(
    ("url", "hidden", "password"),
    [
        ("postgresql+asyncpg://bot:s3cret@db/p", "postgresql+asyncpg://bot:***@db/p", "s3cret"),
        ("postgresql+asyncpg://bot@db/p", "postgresql+asyncpg://bot@db/p", None),
        ("sqlite+aiosqlite:///playbooks.sqlite", "sqlite+aiosqlite:///playbooks.sqlite", None),
        ("postgresql://u:p@ss:word@db/p", "postgresql://u:***@db/p", "p@ss:word"),
    ],
)
def test_database_url_passwords(url: str, hidden: str, password: str | None) -> None:
    assert hide_url_password(url) == hidden
    assert url_password(url) == password
