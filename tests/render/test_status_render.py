"""How status updates are shown: golden posts, dialog and texts for a fixed run and clock.

Rewrite the golden files after an intended change with
``UPDATE_GOLDEN=1 pytest tests/render/test_status_render.py`` and review the diff.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from bot.domain.status import ActiveRun, OverdueRun, StatusUpdate, Todo, TodoTask
from bot.render.run_overview import overview_post
from bot.render.status import (
    digest_message,
    reminder_post,
    snoozed_post,
    todo_text,
    update_dialog,
    update_dm,
    update_post,
)

from .test_runs_render import ALICE, BOB, NAMES, NOW, SIGNER, URL, a_run, actions_of, assert_golden

UPDATE = StatusUpdate(
    id="u" * 26,
    run_id="r" * 26,
    author_id=BOB,
    message="Rolled back the deploy.\n\n**Next:** watch the error rate.",
    posted_at=NOW - timedelta(minutes=10),
    next_reminder_at=NOW + timedelta(minutes=50),
)


def test_update_post_is_attributed_to_its_author() -> None:
    post = update_post(a_run(), UPDATE, NAMES)
    assert_golden("status_update.json", post)
    assert post["props"]["attachments"][0]["author_name"] == "@bob posted an update"


def test_update_dm_names_the_run_channel() -> None:
    post = update_dm(a_run(), UPDATE, NAMES, "incident-db-down")
    assert post["message"].endswith("_You follow this run in ~incident-db-down._")


def test_reminder_post_asks_the_owner_with_update_and_snooze_buttons() -> None:
    post = reminder_post(a_run(), NAMES, NOW - timedelta(minutes=1), SIGNER, URL)
    assert_golden("status_reminder.json", post)
    assert [a["name"] for a in actions_of(post)] == ["Post update", "Snooze 1h", "Snooze 4h", "Snooze 1d"]


def test_snoozed_post_has_no_buttons() -> None:
    post = snoozed_post(a_run(), NAMES, ALICE, NOW + timedelta(hours=4))
    assert actions_of(post) == []
    assert "@alice snoozed this reminder until Nov 23, 14:00 UTC." in post["props"]["attachments"][0]["text"]


def test_update_dialog() -> None:
    dialog = update_dialog(
        a_run(), "**Current status:**\n", "custom", "2h30m", 2, state='{"d":"status_update"}'
    )
    assert_golden("status_update_dialog.json", dialog)
    assert len(dialog["title"]) <= 24
    assert all(
        len(e["display_name"]) <= 24 and len(e.get("help_text", "")) <= 150 for e in dialog["elements"]
    )


def test_overview_with_an_update_and_an_overdue_next_one() -> None:
    post = overview_post(
        a_run(),
        "Incident Response",
        NAMES,
        NOW,
        SIGNER,
        URL,
        latest_update=UPDATE,
        next_update_due=NOW - timedelta(minutes=5),
        updates_enabled=True,
    )
    assert_golden("overview_with_update.json", post)
    assert [a["name"] for a in actions_of(post)] == ["Post update", "Finish run"]


TODO = Todo(
    overdue_runs=(OverdueRun("r" * 26, "Incident: DB down", "incident-db-down", NOW - timedelta(hours=2)),),
    tasks=(
        TodoTask(
            "r" * 26,
            "Incident: DB down",
            "incident-db-down",
            "1.2",
            "Page the on-call",
            NOW - timedelta(minutes=5),
        ),
        TodoTask(
            "r" * 26,
            "Incident: DB down",
            "incident-db-down",
            "2.1",
            "Hold the review",
            NOW + timedelta(days=2),
        ),
        TodoTask("s" * 26, "Release 4.2", "release-4-2", "1.1", "Tag the release"),
    ),
    runs=(
        ActiveRun(a_run(), "incident-db-down", owned=True),
        ActiveRun(replace(a_run(), sequential_id="REL-00007", name="Release 4.2"), "release-4-2"),
    ),
)


def test_todo_text() -> None:
    assert_golden("todo.md", todo_text(TODO, NOW))
    assert "Nothing to do" in todo_text(Todo(), NOW)


def test_digest_message_shows_only_sections_with_something_in_them() -> None:
    assert_golden("digest.md", digest_message(TODO, NOW))
    tasks_only = digest_message(Todo(tasks=TODO.tasks), NOW)
    assert "Overdue status updates" not in tasks_only
