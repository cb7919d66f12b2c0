"""The task-line grammar of the checklist forms: parse, format, and the round trip."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.domain.task_lines import (
    ChecklistText,
    TaskLine,
    TaskLineError,
    format_checklists,
    format_span,
    format_tasks,
    parse_checklists,
    parse_span,
    parse_task,
    parse_tasks,
)


def test_a_full_line_reads_title_command_assignee_and_due_time() -> None:
    task = parse_task("- Page the DBA  /page dba  @oncall  +15m")
    assert task == TaskLine("Page the DBA", "/page dba", "oncall", timedelta(minutes=15))


def test_the_parts_after_the_title_come_in_any_order_and_the_bullet_is_optional() -> None:
    assert parse_task("Call  +1d12h  @Owner") == TaskLine("Call", "", "owner", timedelta(days=1, hours=12))
    assert parse_task("[ ] Single spaces stay in the title") == TaskLine("Single spaces stay in the title")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("- /page dba", "starts with its title"),
        ("- Page  +soon", "not a due time"),
        ("- Page  +0m", "after the run starts"),
        ("- Page  @a b", "not one assignee"),
        ("- Page  /a  /b", "one command"),
        ("- Page  later today", "I don't know what `later today` is"),
    ],
)
def test_a_bad_line_is_named_with_its_number(line: str, message: str) -> None:
    with pytest.raises(TaskLineError) as raised:
        parse_tasks(f"- Fine\n{line}", first_line=1)
    assert raised.value.line == 2
    assert raised.value.message.startswith("Line 2: ")
    assert message in raised.value.message


def test_indented_lines_are_the_description_of_the_task_above() -> None:
    tasks = parse_tasks("- Set severity\n    sev-1: down\n    sev-2: degraded\n\n- Next")
    assert tasks == (TaskLine("Set severity", description="sev-1: down\nsev-2: degraded"), TaskLine("Next"))
    with pytest.raises(TaskLineError, match="Line 1"):
        parse_tasks("   orphan description")


def test_tasks_round_trip() -> None:
    tasks = (
        TaskLine("Page the DBA", "/page dba", "oncall", timedelta(minutes=15), "Primary first."),
        TaskLine("Take ownership", assignee="owner"),
        TaskLine("Write it up", due_after=timedelta(weeks=1, days=2, hours=3, minutes=4)),
    )
    text = format_tasks(tasks)
    assert text.splitlines()[0] == "- Page the DBA  /page dba  @oncall  +15m"
    assert parse_tasks(text) == tasks


def test_checklists_round_trip_with_headers() -> None:
    checklists = (
        ChecklistText("Triage", (TaskLine("Page", due_after=timedelta(hours=1)),)),
        ChecklistText("Empty"),
        ChecklistText("Learn", (TaskLine("Review"), TaskLine("Share"))),
    )
    text = format_checklists(checklists)
    assert text.startswith("## Triage\n- Page  +1h\n\n## Empty\n\n## Learn")
    assert parse_checklists(text) == checklists
    assert parse_checklists("") == ()


def test_tasks_before_any_checklist_title_are_refused() -> None:
    with pytest.raises(TaskLineError, match="Line 1: start with a checklist title"):
        parse_checklists("- orphan\n## Triage")
    with pytest.raises(TaskLineError, match="Line 2: a checklist needs a title"):
        parse_checklists("## A\n##")


def test_spans() -> None:
    assert parse_span("1d 12h") == timedelta(days=1, hours=12)
    assert format_span(timedelta(days=8, minutes=5)) == "1w1d5m"
    assert format_span(timedelta(0)) == "0m"
    for bad in ("", "5", "5s", "h"):
        with pytest.raises(ValueError, match="is not a time like"):
            parse_span(bad)


def test_changes_are_named_one_level_deep_and_merged_into_a_newer_version() -> None:
    from dataclasses import replace

    from bot.domain.playbook import Playbook
    from bot.domain.playbook_changes import changed_fields, merged

    base = Playbook("p1", "t1", "Incident")
    edited = replace(
        base,
        title="Major incident",
        status_updates=replace(base.status_updates, reminder_message_template="Status:"),
    )
    fields = changed_fields(base, edited)
    assert fields == ("title", "status_updates.reminder_message_template")
    meanwhile = replace(
        base,
        description="Saved by someone else",
        status_updates=replace(base.status_updates, broadcast_enabled=True),
    )
    result = merged(meanwhile, edited, fields)
    assert result.title == "Major incident"
    assert result.description == "Saved by someone else"
    assert result.status_updates.broadcast_enabled
    assert result.status_updates.reminder_message_template == "Status:"
    assert changed_fields(base, base) == ()
