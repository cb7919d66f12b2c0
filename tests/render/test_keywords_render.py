"""Keyword prompts and channel settings as posted: golden JSON for fixed inputs, and the buttons' contract.

Rewrite the golden files after an intended change with
``UPDATE_GOLDEN=1 pytest tests/render/test_keywords_render.py`` and review the diff.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from bot.domain.channel_settings import ChannelSettings
from bot.render.channel_settings import channel_settings_post
from bot.render.keywords import (
    PromptedPlaybook,
    ignored_prompt,
    keyword_prompt,
    prompt_message,
    trigger_summary,
)
from bot.security import ContextSigner

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
URL = "https://bot.example.com/mattermost/action"
SIGNER = ContextSigner(b"k" * 32, clock=lambda: 1_795_000_000.0)
CHANNEL, ROOT = "c" * 26, "r" * 26
INCIDENT = PromptedPlaybook("p" * 26, "Incident Response", ("sev-1",))
OUTAGE = PromptedPlaybook("q" * 26, "Database Outage", ("database down", "sev-1"))


def assert_golden(name: str, value: Any) -> None:
    path = GOLDEN / name
    text = json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)
    if UPDATE or not path.exists():
        if not UPDATE:
            pytest.fail(f"no golden file {path}; run with UPDATE_GOLDEN=1 to write it")
        path.write_text(text + "\n")
    assert text + "\n" == path.read_text()


def actions_of(post: dict[str, Any]) -> list[dict[str, Any]]:
    return [action for att in post["props"]["attachments"] for action in att.get("actions", [])]


def test_the_prompt_for_two_playbooks() -> None:
    post = keyword_prompt([INCIDENT, OUTAGE], channel_id=CHANNEL, root_id=ROOT, signer=SIGNER, url=URL)
    assert_golden("keyword_prompt.json", post)


def test_the_prompt_buttons_carry_the_thread_and_playbook() -> None:
    post = keyword_prompt([INCIDENT, OUTAGE], channel_id=CHANNEL, root_id=ROOT, signer=SIGNER, url=URL)
    actions = actions_of(post)
    assert [a["name"] for a in actions] == [
        "Run Incident Response",
        "Run Database Outage",
        "Ignore this thread",
    ]
    assert all(re.fullmatch(r"[A-Za-z0-9]+", a["id"]) for a in actions)
    contexts = [SIGNER.verify(a["integration"]["context"]) for a in actions]
    assert contexts[0] == {"a": "kw_run", "c": CHANNEL, "r": ROOT, "p": INCIDENT.id}
    assert contexts[2] == {"a": "kw_ignore", "c": CHANNEL, "r": ROOT}


def test_one_playbook_is_asked_about_directly() -> None:
    assert prompt_message([INCIDENT]) == (
        "`sev-1` is a trigger for the **Incident Response** playbook. Would you like to run it?"
    )


def test_at_most_five_playbooks_are_offered() -> None:
    many = [PromptedPlaybook(f"{n}" * 26, f"Playbook {n}", (f"k{n}",)) for n in range(1, 8)]
    post = keyword_prompt(many, channel_id=CHANNEL, root_id=ROOT, signer=SIGNER, url=URL)
    assert len(actions_of(post)) == 6
    assert "Playbook 6" not in post["message"]


def test_backticks_in_keywords_cannot_break_the_code_span() -> None:
    odd = PromptedPlaybook("p" * 26, "Odd", ("a`b",))
    assert prompt_message([odd]).startswith("`a'b` is a trigger")


def test_the_ignored_prompt_has_no_buttons() -> None:
    assert ignored_prompt("bob") == {
        "message": "@bob asked me to ignore this thread, so I won't suggest playbooks here again.",
        "props": {"attachments": []},
    }


def test_the_summary_quotes_the_message_with_a_link() -> None:
    summary = trigger_summary(
        "Database down!\n\nsee graphs", author="alice", channel_name="ops", permalink="/acme/pl/xyz"
    )
    assert summary == (
        "Started from [a message](/acme/pl/xyz) by @alice in ~ops:\n> Database down!\n>\n> see graphs"
    )


def test_channel_settings() -> None:
    post = channel_settings_post(
        ChannelSettings(keyword_prompts=False, welcome_message=True),
        channel_id=CHANNEL,
        is_run_channel=True,
        signer=SIGNER,
        url=URL,
    )
    assert_golden("channel_settings.json", post)
    contexts = [SIGNER.verify(a["integration"]["context"]) for a in actions_of(post)]
    assert contexts == [
        {"a": "ch_set", "c": CHANNEL, "k": "prompts", "v": 1},
        {"a": "ch_set", "c": CHANNEL, "k": "welcome", "v": 0},
    ]
