"""The task form and the answers to live checklist changes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.domain.run import locate
from bot.render import task_forms
from mattermost_sim.dialogs import dialog_problems
from tests.domain.test_run import new_run

PARIS = ZoneInfo("Europe/Paris")
DUE = datetime(2026, 12, 24, 8, 0, tzinfo=UTC)


def test_the_edit_form_is_prefilled_in_the_persons_time_zone_and_valid() -> None:
    run = new_run()
    ref = locate(run, 1, 1)
    item = replace(ref.item, due_at=DUE, assignee_id="bob", title="x" * 200)
    dialog = task_forms.task_dialog(run, ref.checklist.id, item, PARIS, "state")
    assert dialog_problems(dialog) == []
    fields = {e["name"]: e for e in dialog["elements"]}
    assert fields["due"]["default"] == "2026-12-24 09:00"
    assert "Europe/Paris" in fields["due"]["help_text"]
    assert fields["assignee"] == {
        "display_name": "Assignee",
        "name": "assignee",
        "type": "select",
        "data_source": "users",
        "optional": True,
        "placeholder": "Nobody",
        "default": "bob",
    }
    assert fields["title"]["type"] == "textarea"  # longer than a text field's default may be
    assert fields["command"]["default"] == "/zoom start"
    assert [o["text"] for o in fields["checklist"]["options"]] == ["1. Triage", "2. Resolve"]
    assert fields["checklist"]["default"] == ref.checklist.id
    assert (dialog["title"], dialog["submit_label"]) == ("Edit task", "Save")


def test_the_add_form_is_empty_and_valid() -> None:
    run = new_run()
    dialog = task_forms.task_dialog(run, run.checklists[1].id, None, ZoneInfo("UTC"), "state")
    assert dialog_problems(dialog) == []
    assert all("default" not in e for e in dialog["elements"] if e["name"] != "checklist")
    assert (dialog["title"], dialog["submit_label"]) == ("Add a task", "Add")


def test_due_answers_name_utc_and_the_persons_time() -> None:
    run = new_run()
    ref = locate(run, 1, 2)
    dated = replace(ref, item=replace(ref.item, due_at=DUE))
    assert task_forms.due_changed(dated, PARIS, already=False) == (
        "1.2 “Page on-call” is now due Dec 24, 08:00 UTC (2026-12-24 09:00 Europe/Paris)."
    )
    assert task_forms.due_changed(ref, PARIS, already=False) == "Removed the due date of 1.2 “Page on-call”."


def test_the_overdue_notice_mentions_the_assignee_and_the_owner() -> None:
    run = new_run()
    ref = locate(run, 1, 2)
    dated = replace(ref, item=replace(ref.item, due_at=DUE))
    names = {"alice": "alice", "bob": "bob"}
    assert task_forms.task_overdue(run, dated, names) == (
        ":alarm_clock: @bob, @alice: task 1.2 “Page on-call” of **Database down** is overdue "
        "(due Dec 24, 08:00 UTC)."
    )
