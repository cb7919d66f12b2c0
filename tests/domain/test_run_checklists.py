"""Changing a run's checklists live: add, rename, remove and move them; edit and move tasks."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.domain.run import InvalidChangeError, RunFinishedError, finish_run, locate
from bot.domain.run_checklists import (
    TaskEdit,
    add_checklist,
    edit_item,
    move_checklist,
    move_item,
    remove_checklist,
    rename_checklist,
    task_anywhere,
    task_text_problems,
)
from bot.domain.timeline import TimelineEventType
from tests.domain.test_run import LATER, ids_of, new_run

WHO = {"actor_id": "alice", "at": LATER}


def titles(run: object) -> list[tuple[str, list[str]]]:
    return [(c.title, [i.title for i in c.items]) for c in run.checklists]  # type: ignore[attr-defined]


def test_add_rename_move_and_remove_a_checklist() -> None:
    run = new_run()
    added = add_checklist(run, "  Follow   up ", checklist_id="new", **WHO)
    assert added.run.revision == run.revision + 1
    assert added.run.checklists[-1].title == "Follow up"
    assert added.events[0].type is TimelineEventType.CHECKLIST_ADDED
    renamed = rename_checklist(added.run, "new", "Aftercare", **WHO)
    assert renamed.events[0].details["old_checklist"] == "Follow up"
    assert rename_checklist(renamed.run, "new", "Aftercare", **WHO).already
    moved = move_checklist(renamed.run, "new", 1, **WHO)
    assert [c.title for c in moved.run.checklists] == ["Aftercare", "Triage", "Resolve"]
    assert move_checklist(moved.run, "new", 1, **WHO).already
    removed = remove_checklist(moved.run, moved.run.checklists[1].id, **WHO)
    assert [c.title for c in removed.run.checklists] == ["Aftercare", "Resolve"]
    assert removed.events[0].details["tasks"] == "3 tasks"
    emptied = remove_checklist(removed.run, "new", **WHO)
    assert emptied.events[0].details["tasks"] == "0 tasks"


def test_checklist_changes_refuse_bad_input() -> None:
    run = new_run()
    with pytest.raises(InvalidChangeError, match="needs a title"):
        add_checklist(run, "   ", checklist_id="x", **WHO)
    with pytest.raises(InvalidChangeError, match="Position 3 is out of range; this run has 2 checklists"):
        move_checklist(run, run.checklists[0].id, 3, **WHO)
    finished = finish_run(run, actor_id="alice", at=LATER, confirmed=True).run
    with pytest.raises(RunFinishedError):
        add_checklist(finished, "More", checklist_id="x", **WHO)


def test_move_a_task_within_and_between_checklists() -> None:
    run = new_run()
    checklist_id, item_id = ids_of(run, 1, 3)
    within = move_item(run, checklist_id, item_id, checklist_id, 1, **WHO)
    assert titles(within.run)[0][1] == ["Write first update", "Start bridge call", "Page on-call"]
    assert move_item(within.run, checklist_id, item_id, checklist_id, 1, **WHO).already
    other = run.checklists[1].id
    between = move_item(within.run, checklist_id, item_id, other, **WHO)
    assert titles(between.run) == [
        ("Triage", ["Start bridge call", "Page on-call"]),
        ("Resolve", ["Fix it", "Thank the reporter", "Write first update"]),
    ]
    assert between.events[0].type is TimelineEventType.CHECKLIST_ITEM_MOVED
    with pytest.raises(InvalidChangeError, match="has room for 3 tasks"):
        move_item(run, checklist_id, item_id, other, 4, **WHO)


def test_edit_a_task_records_each_change_and_moves_the_run_on_once() -> None:
    run = new_run()
    checklist_id, item_id = ids_of(run, 1, 2)
    due = LATER + timedelta(hours=2)
    edit = TaskEdit("Page the on-call", "Use PagerDuty", "/page oncall", "carol", due)
    change = edit_item(run, checklist_id, item_id, edit, **WHO)
    item = locate(change.run, 1, 2).item
    assert (item.title, item.description, item.command, item.assignee_id, item.due_at) == (
        "Page the on-call",
        "Use PagerDuty",
        "/page oncall",
        "carol",
        due,
    )
    assert [e.type for e in change.events] == [
        TimelineEventType.CHECKLIST_ITEM_RENAMED,
        TimelineEventType.CHECKLIST_ITEM_EDITED,
        TimelineEventType.ASSIGNEE_CHANGED,
        TimelineEventType.DUE_DATE_CHANGED,
    ]
    assert change.run.revision == run.revision + 1
    assert edit_item(change.run, checklist_id, item_id, edit, **WHO).already


def test_a_task_command_must_be_a_slash_command() -> None:
    run = new_run()
    checklist_id, item_id = ids_of(run, 1, 2)
    with pytest.raises(InvalidChangeError, match="starts with `/`"):
        edit_item(run, checklist_id, item_id, TaskEdit("Page", "", "page oncall", None, None), **WHO)


def test_a_task_is_found_by_id_after_a_move_and_not_once_gone() -> None:
    run = new_run()
    checklist_id, item_id = ids_of(run, 1, 3)
    moved = move_item(run, checklist_id, item_id, run.checklists[1].id, **WHO).run
    found = task_anywhere(moved, item_id)
    assert found is not None
    assert (found.checklist_no, found.item_no) == (2, 3)
    assert task_anywhere(moved, "gone") is None


def test_a_task_forms_text_problems_are_named_by_field() -> None:
    assert task_text_problems("Page", "", "/page oncall") == {}
    assert task_text_problems("", "", "page") == {
        "title": "A task needs a title.",
        "command": "A slash command starts with `/`, like `/page oncall`.",
    }
    assert set(task_text_problems("Page", "x" * 5000, "")) == {"description"}
