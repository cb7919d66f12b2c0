"""How runs are shown: golden posts for a fixed run and clock, the button contract, and limits.

Golden files live in ``tests/render/golden``; after an intended change to the rendering, rewrite
them with ``UPDATE_GOLDEN=1 pytest tests/render/test_runs_render.py`` and review the diff.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.domain.playbook import Playbook
from bot.domain.playbook_settings import WelcomeMessageSettings
from bot.domain.run import ItemState, Run, RunChecklist, RunItem, RunStatus
from bot.domain.timeline import TimelineEventType, event, run_created
from bot.render.checklists import MAX_PROPS_CHARS, checklist_post
from bot.render.dialogs import start_run_dialog
from bot.render.run_overview import overview_post
from bot.render.run_replies import run_chooser
from bot.render.runs import (
    MAX_HEADER_RUNES,
    MAX_MESSAGE_RUNES,
    channel_header,
    checklist_header,
    info_text,
    progress_text,
    timeline_text,
    welcome_message,
)
from bot.security import ContextSigner

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
STARTED = NOW - timedelta(minutes=30)
ALICE, BOB, CAROL = "a" * 26, "b" * 26, "c" * 26
NAMES = {ALICE: "alice", BOB: "bob"}  # carol is unknown, e.g. deleted since
URL = "https://bot.example.com/mattermost/action"
SIGNER = ContextSigner(b"k" * 32, clock=lambda: 1_795_000_000.0)
ACTION_ID = re.compile(r"^[A-Za-z0-9]+$")


def item(item_id: str, title: str, **fields: Any) -> RunItem:
    return RunItem(id=item_id, title=title, **fields)


def a_run(**changes: Any) -> Run:
    triage = RunChecklist(
        "cl1",
        "Triage",
        (
            item(
                "it1",
                "Take ownership",
                assignee_id=ALICE,
                state=ItemState.CLOSED,
                state_modified_by=ALICE,
                state_modified_at=STARTED,
                revision=1,
            ),
            item(
                "it2",
                "Page the on-call",
                command="/page oncall now",
                assignee_id=BOB,
                due_at=NOW - timedelta(minutes=5),
                description="Use **PagerDuty**.",
            ),
            item("it3", "Start a bridge call", due_at=NOW + timedelta(hours=2, minutes=15)),
            item("it4", "Tell the press", state=ItemState.SKIPPED, revision=2),
            item("it5", "Write notes", description="x" * 700, assignee_id=CAROL),
        ),
    )
    learn = RunChecklist("cl2", "Learn", (item("it6", "Hold the review"),))
    run = Run(
        id="r" * 26,
        number=42,
        playbook_id="p" * 26,
        team_id="t" * 26,
        name="Incident: DB down",
        owner_id=ALICE,
        reporter_id=BOB,
        channel_id="h" * 26,
        created_at=STARTED,
        summary="Writes fail on the primary.\n\n**Impact:** checkout is down.",
        sequential_id="INC-00042",
        participant_ids=(BOB, ALICE, CAROL),
        checklists=(triage, learn),
    )
    return replace(run, **changes)


def assert_golden(name: str, value: Any) -> None:
    path = GOLDEN / name
    text = (
        value if isinstance(value, str) else json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)
    )
    if UPDATE or not path.exists():
        if not UPDATE:
            pytest.fail(f"no golden file {path}; run with UPDATE_GOLDEN=1 to write it")
        path.parent.mkdir(exist_ok=True)
        path.write_text(text + "\n")
    assert text + "\n" == path.read_text()


def actions_of(post: dict[str, Any]) -> list[dict[str, Any]]:
    return [action for att in post["props"]["attachments"] for action in att.get("actions", [])]


# Golden posts ---------------------------------------------------------------------------------


def test_overview_of_a_run_in_progress() -> None:
    assert_golden(
        "overview_in_progress.json", overview_post(a_run(), "Incident Response", NAMES, NOW, SIGNER, URL)
    )


def test_overview_says_when_the_run_turned_its_status_updates_off() -> None:
    post = overview_post(a_run(), "Incident Response", NAMES, NOW, SIGNER, URL, updates_off_for_run=True)
    fields = {f["title"]: f["value"] for f in post["props"]["attachments"][0]["fields"]}
    assert fields["Status updates"] == "off for this run"
    assert "Post update" not in [a["name"] for a in actions_of(post)]
    finished = a_run(status=RunStatus.FINISHED, finished_at=NOW)
    after = overview_post(finished, "Incident Response", NAMES, NOW, SIGNER, URL, updates_off_for_run=True)
    assert "Status updates" not in [f["title"] for f in after["props"]["attachments"][0]["fields"]]


def test_overview_of_a_finished_run_offers_restore() -> None:
    finished = a_run(status=RunStatus.FINISHED, finished_at=NOW)
    post = overview_post(finished, "Incident Response", NAMES, NOW, SIGNER, URL)
    assert_golden("overview_finished.json", post)
    assert [a["name"] for a in actions_of(post)] == ["Restore run"]


def test_checklist_post() -> None:
    assert_golden("checklist_triage.json", checklist_post(a_run(), 1, NAMES, NOW, SIGNER, URL))


def test_a_checklist_in_a_linked_channel_names_its_run() -> None:
    post = checklist_post(a_run(linked_channel=True), 1, NAMES, NOW, SIGNER, URL)
    plain = checklist_post(a_run(), 1, NAMES, NOW, SIGNER, URL)
    assert post["message"] == f"#{a_run().number} Incident: DB down · {plain['message']}"


def test_the_which_run_question_has_a_button_per_run() -> None:
    first, second = a_run(number=7), a_run(id="r" * 26, number=8, name="Cache down")
    [attachment] = run_chooser([second, first], "check 1 2", "http://mm/hooks/commands/h", SIGNER, URL)
    assert attachment["text"].startswith("This channel has several runs. Which one do you mean?")
    assert "`#8`" in attachment["text"]
    assert [a["name"] for a in attachment["actions"]] == ["#8 Cache down", "#7 Incident: DB down"]
    context = attachment["actions"][0]["integration"]["context"]
    assert (context["a"], context["r"], context["cmd"]) == ("pick_run", "r" * 26, "check 1 2")


def test_start_run_dialog() -> None:
    playbooks = [
        Playbook("p" * 26, "t" * 26, "Incident Response"),
        Playbook("q" * 26, "t" * 26, "Release " + "x" * 200),
    ]
    dialog = start_run_dialog(playbooks, "p" * 26, "", "**Summary**\n", state='{"d":"start_run"}')
    assert_golden("start_run_dialog.json", dialog)
    assert len(dialog["title"]) <= 24
    assert all(
        len(e["display_name"]) <= 24 and len(e.get("help_text", "")) <= 150 for e in dialog["elements"]
    )


def test_info_text() -> None:
    assert_golden("info.md", info_text(a_run(), NAMES, NOW))


def test_timeline_text() -> None:
    events = [
        run_created(STARTED, BOB, run_name="Incident: DB down"),
        event(
            TimelineEventType.OWNER_CHANGED,
            STARTED + timedelta(minutes=2),
            BOB,
            "{actor} changed the owner from {old_owner_id} to {new_owner_id}",
            old_owner_id=BOB,
            new_owner_id=ALICE,
        ),
        event(
            TimelineEventType.TASK_STATE_MODIFIED,
            STARTED + timedelta(minutes=75),
            ALICE,
            "{actor} checked “{task}”",
            task="Take | ownership",
        ),
    ]
    assert_golden("timeline.md", timeline_text(a_run(), events, NAMES))


# The button contract ----------------------------------------------------------------------------


def test_item_buttons_carry_the_agreed_signed_contexts() -> None:
    post = checklist_post(a_run(), 1, NAMES, NOW, SIGNER, URL)
    contexts = {a["id"]: (a["name"], SIGNER.verify(a["integration"]["context"])) for a in actions_of(post)}
    ids = {"r": "r" * 26, "c": "cl1"}
    assert contexts["i1uncheck"] == ("Uncheck", {"a": "item", **ids, "i": "it1", "t": "", "v": 1})
    assert contexts["i2check"] == ("Check", {"a": "item", **ids, "i": "it2", "t": "closed", "v": 0})
    assert contexts["i2skip"] == ("Skip", {"a": "item", **ids, "i": "it2", "t": "skipped", "v": 0})
    assert contexts["i2assign"] == ("Assign to me", {"a": "assign_me", **ids, "i": "it2", "v": 0})
    assert contexts["i2run"] == ("Run /page…", {"a": "run_cmd", **ids, "i": "it2", "v": 0})
    assert contexts["i4restore"] == ("Restore", {"a": "item", **ids, "i": "it4", "t": "", "v": 2})
    assert all(ACTION_ID.match(action_id) for action_id in contexts)
    assert len(contexts) == len(actions_of(post))  # unique within the post
    assert all(a["integration"]["url"] == URL for a in actions_of(post))


def test_overview_button_finishes_the_run() -> None:
    (finish,) = actions_of(overview_post(a_run(), "Incident Response", NAMES, NOW, SIGNER, URL))
    assert (finish["id"], finish["name"]) == ("finish", "Finish run")
    assert SIGNER.verify(finish["integration"]["context"]) == {"a": "finish", "r": "r" * 26}


def test_a_finished_run_has_no_item_buttons() -> None:
    finished = a_run(status=RunStatus.FINISHED, finished_at=NOW)
    post = checklist_post(finished, 1, NAMES, NOW, SIGNER, URL)
    assert actions_of(post) == []
    assert "overdue" not in json.dumps(post)


# Limits ---------------------------------------------------------------------------------------


def test_a_huge_checklist_still_fits_in_one_post() -> None:
    items = tuple(
        item(f"{n:026d}", "T" * 1024, description="d" * 4000, command="/x " + "y" * 1000) for n in range(200)
    )
    huge = a_run(checklists=(RunChecklist("g" * 26, "B" * 1024, items),))
    post = checklist_post(huge, 1, NAMES, NOW, SIGNER, URL)
    assert len(json.dumps(post["props"], ensure_ascii=False)) <= MAX_PROPS_CHARS
    assert len(post["message"]) <= MAX_MESSAGE_RUNES
    assert len(post["props"]["attachments"]) == 200


def test_long_descriptions_end_in_an_ellipsis() -> None:
    post = checklist_post(a_run(), 1, NAMES, NOW, SIGNER, URL)
    notes = post["props"]["attachments"][4]["text"]
    assert notes.endswith("x…")
    assert "assigned to someone" in notes


def test_header_and_texts_stay_within_limits() -> None:
    long_run = a_run(name="N" * 1024, summary="S " * 5000)
    assert len(channel_header(long_run)) <= MAX_HEADER_RUNES
    assert len(info_text(long_run, NAMES, NOW)) <= MAX_MESSAGE_RUNES
    many = [run_created(STARTED + timedelta(seconds=n), ALICE, run_name="x" * 300) for n in range(500)]
    table = timeline_text(long_run, many, NAMES)
    assert len(table) <= MAX_MESSAGE_RUNES
    assert table.startswith("#### Timeline of INC-00042 · NNN")
    assert table.splitlines()[1].startswith("_")
    assert "earlier events not shown" in table


def test_welcome_message_only_when_the_playbook_has_one() -> None:
    playbook = Playbook("p" * 26, "t" * 26, "Incident Response")
    assert welcome_message(a_run(), playbook) == ""
    welcoming = replace(playbook, welcome_message=WelcomeMessageSettings("Read the summary.", enabled=True))
    assert welcome_message(a_run(), welcoming) == "#### Welcome to Incident: DB down\nRead the summary."
    assert welcome_message(a_run(), welcoming, channel_name="inc-42").startswith(
        "#### Welcome to Incident: DB down in ~inc-42\n"
    )


def test_a_skipped_task_is_neither_done_nor_counted() -> None:
    skipped = RunChecklist("cl1", "Triage", tuple(item(f"i{n}", f"Task {n}") for n in range(6)))
    skipped = replace(skipped, items=(*skipped.items, item("i9", "Not needed", state=ItemState.SKIPPED)))
    run = a_run(checklists=(skipped,))
    assert progress_text(run) == "0/6 done · 1 skipped"
    assert checklist_header(run, 1) == "**1. Triage** — 0/6 done · 1 skipped"
    assert progress_text(a_run(checklists=(replace(skipped, items=skipped.items[:6]),))) == "0/6 done"
