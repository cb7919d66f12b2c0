"""Garbage through a running bot's real endpoints: slash commands as Mattermost forwards them,
clicks and dialog submissions as Mattermost posts them. Each gets a clear answer, nothing
escapes as a server error, and nothing stored changes."""

from __future__ import annotations

import json
import secrets
from typing import Any

import aiohttp
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.callback_codec import ACTION_KEY, DIALOG_KEY
from bot.render.buttons import NONCE_KEY
from handlers.http import ACTION_PATH, DIALOG_PATH, SOMETHING_WENT_WRONG
from handlers.registry import build_routers
from mattermost_sim.client_answers import MattermostError
from storage.base import Base
from tests.e2e.conftest import Harness

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
ROUTERS = build_routers()
TIMEOUT = aiohttp.ClientTimeout(total=10)
# Book-keeping a request may touch without changing anything a person sees.
BOOKKEEPING = {"handled_events", "bot_settings", "scheduled_jobs"}
# What no garbage may change. A genuine button may legitimately record a preference whatever ids it
# carries (e.g. "ignore this thread"), so signed-but-garbage callbacks are held to these tables.
CORE = (
    "playbooks",
    "playbook_members",
    "runs",
    "run_participants",
    "run_checklists",
    "run_items",
    "timeline_events",
    "run_posts",
)

context_values = st.one_of(
    st.text(max_size=30), st.integers(-(2**53) + 1, 2**53 - 1), st.sampled_from(["", "0", "-1", "1"])
)
payloads = st.dictionaries(
    st.sampled_from(["r", "c", "i", "v", "t", "p", "f", "u", "s", "k", "confirm", "n", "x"]),
    context_values,
    max_size=6,
)
json_scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=20)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=12,
)
words = st.sampled_from([route.name for route in ROUTERS.commands.routes]) | st.text(max_size=15)
command_texts = st.lists(words | st.sampled_from(['"', "@alice", "1", "0", "-3", "99999999999"]), max_size=5)


async def snapshot(harness: Harness, tables: tuple[str, ...] | None = None) -> dict[str, int]:
    """The number of rows of ``tables`` (default: every table a person's action would change)."""
    assert harness.bot.services is not None
    counts: dict[str, int] = {}
    async with harness.bot.services.transaction() as session:
        for table in Base.metadata.sorted_tables:
            if table.name in tables if tables is not None else table.name not in BOOKKEEPING:
                counts[table.name] = int(
                    (await session.execute(select(func.count()).select_from(table))).scalar_one()
                )
    return counts


async def post_json(harness: Harness, path: str, body: Any) -> tuple[int, dict[str, Any]]:
    url = f"http://127.0.0.1:{harness.bot.port}{path}"
    async with (
        aiohttp.ClientSession(timeout=TIMEOUT) as session,
        session.post(url, data=json.dumps(body), headers={"Content-Type": "application/json"}) as response,
    ):
        answer = await response.json()
        assert isinstance(answer, dict)
        return response.status, answer


@FAST
@given(command_texts.map(" ".join))
@example("create")
async def test_any_slash_command_gets_a_clear_reply_and_changes_nothing(harness: Harness, text: str) -> None:
    before = await snapshot(harness)
    try:
        reply = await harness.command(harness.alice, f"/playbook {text}")
    except MattermostError:
        return  # Mattermost itself refused the command text; the bot never saw it
    await harness.settle()
    if not (reply.get("text", "").strip() or reply.get("attachments")):
        # A command that opens a form (`create`, `run`) answers with the form instead of a text.
        await harness.alice.next_dialog()
    assert SOMETHING_WENT_WRONG not in reply.get("text", "")
    assert await snapshot(harness) == before


@FAST
@given(json_values | st.dictionaries(st.sampled_from(["user_id", "context", "post_id"]), json_values))
async def test_any_click_body_is_refused_clearly(harness: Harness, body: Any) -> None:
    before = await snapshot(harness)
    status, answer = await post_json(harness, ACTION_PATH, body)
    assert status in (200, 400)
    assert answer.get("error") or answer.get("ephemeral_text")
    assert await snapshot(harness) == before


@FAST
@given(st.sampled_from(sorted(ROUTERS.actions.names)), payloads, st.booleans())
async def test_a_genuine_button_with_garbage_in_it_is_answered_clearly(
    harness: Harness, action: str, payload: dict[str, str | int], as_alice: bool
) -> None:
    assert harness.bot.services is not None
    before = await snapshot(harness, CORE)
    user_id = (await harness.alice.me())["id"] if as_alice else "unknownuser0000000000000000"
    context = harness.bot.services.signer.sign({**payload, ACTION_KEY: action})
    click = {
        "user_id": user_id,
        "channel_id": harness.town_square_id,
        "team_id": harness.team_id,
        "post_id": "nosuchpost",
        "context": context,
    }
    status, answer = await post_json(harness, ACTION_PATH, click)
    await harness.settle()
    assert status == 200
    assert answer.get("ephemeral_text") or "update" in answer or answer == {}
    assert SOMETHING_WENT_WRONG not in answer.get("ephemeral_text", "")
    assert await snapshot(harness, CORE) == before


@FAST
@given(
    st.sampled_from(sorted(ROUTERS.dialogs.names)),
    payloads,
    st.dictionaries(st.text(max_size=12), json_values, max_size=5),
    st.booleans(),
)
async def test_a_genuine_dialog_with_garbage_in_it_is_answered_clearly(
    harness: Harness, dialog: str, payload: dict[str, str | int], submission: dict[str, Any], forged: bool
) -> None:
    assert harness.bot.services is not None
    before = await snapshot(harness, CORE)
    signed = harness.bot.services.signer.sign(
        {**payload, DIALOG_KEY: dialog, NONCE_KEY: secrets.token_hex(8)}
    )
    state = json.dumps(signed, separators=(",", ":"), sort_keys=True)
    if forged:
        state = state.replace('"sig":"', '"sig":"0')
    body = {
        "user_id": (await harness.alice.me())["id"],
        "channel_id": harness.town_square_id,
        "team_id": harness.team_id,
        "callback_id": dialog,
        "state": state,
        "submission": submission,
    }
    status, answer = await post_json(harness, DIALOG_PATH, body)
    await harness.settle()
    assert status == 200
    assert SOMETHING_WENT_WRONG not in answer.get("error", "")
    if forged:
        assert answer == {"error": "This form has expired. Please open it again."}
    assert await snapshot(harness, CORE) == before
