"""Domain values for storage tests, with every field set to something other than its default."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

from bot.domain.playbook import (
    AssigneeType,
    ChecklistItemTemplate,
    ChecklistTemplate,
    Metric,
    MetricType,
    Playbook,
)
from bot.domain.playbook_settings import RetrospectiveSettings
from bot.domain.run import ItemState, Run, RunChecklist, RunItem, RunStatus
from bot.domain.timeline import TimelineEvent, TimelineEventType
from bot.playbook_format import import_playbook, parse_document
from tests.paths import PLAYBOOK_TEMPLATES

TEMPLATES = PLAYBOOK_TEMPLATES
TEAM = "t" * 26
OTHER_TEAM = "o" * 26
ALICE = "a" * 26
BOB = "b" * 26
CAROL = "c" * 26
T0 = datetime(2026, 11, 23, 9, 30, 15, 123456, tzinfo=UTC)

_serial = itertools.count(1)


def uid(prefix: str = "x") -> str:
    """A fresh 26-character id."""
    return f"{prefix}{next(_serial):0>25}"[-26:]


def template_playbooks(team_id: str = TEAM) -> list[Playbook]:
    """The shared Mattermost template exports, imported."""
    paths = sorted(TEMPLATES.glob("*.json"))
    assert paths, f"no templates in {TEMPLATES}"
    return [
        import_playbook(
            parse_document(path.read_text(), path.name), team_id=team_id, importer_id=ALICE
        ).playbook
        for path in paths
    ]


def playbook(
    title: str = "Incident", *, team_id: str = TEAM, public: bool = True, **fields: object
) -> Playbook:
    """A small valid playbook, not stored yet (empty id)."""
    item = ChecklistItemTemplate(
        title="Page the on-call",
        description="Use **PagerDuty**",
        command="/page oncall",
        assignee_id=BOB,
        due_after=timedelta(minutes=15, microseconds=250),
        assignee_type=AssigneeType.OWNER,
    )
    defaults: dict[str, object] = {
        "public": public,
        "member_ids": (ALICE, BOB),
        "admin_ids": (ALICE,),
        "checklists": (ChecklistTemplate("Triage", (item, ChecklistItemTemplate("Assess impact"))),),
        "metrics": (
            Metric("Time to resolve", "From start to finish", MetricType.DURATION, target=3_600_000),
        ),
        "retrospective": RetrospectiveSettings(
            enabled=True, template="What went well?", reminder_interval_seconds=60
        ),
    }
    return Playbook(id="", team_id=team_id, title=title, **(defaults | fields)).validated()  # type: ignore[arg-type]


def run(playbook_id: str, number: int = 1, **fields: object) -> Run:
    """A run with two checklists, items in every state and every optional field set."""
    offset = timezone(timedelta(hours=2))
    items = (
        RunItem(
            id=uid("i"),
            title="Page the on-call",
            description="details",
            command="/page oncall",
            assignee_id=BOB,
            assignee_type=AssigneeType.OWNER,
            due_at=T0 + timedelta(minutes=15),
            state=ItemState.CLOSED,
            state_modified_at=(T0 + timedelta(minutes=3)).astimezone(offset),
            state_modified_by=ALICE,
            command_last_run_at=T0 + timedelta(minutes=2),
            revision=3,
        ),
        RunItem(id=uid("i"), title="Assess impact", state=ItemState.IN_PROGRESS, revision=1),
        RunItem(id=uid("i"), title="Skip me", state=ItemState.SKIPPED),
    )
    defaults: dict[str, object] = {
        "id": uid("r"),
        "number": number,
        "playbook_id": playbook_id,
        "team_id": TEAM,
        "name": f"Outage {number}",
        "owner_id": ALICE,
        "reporter_id": BOB,
        "channel_id": uid("c"),
        "created_at": T0,
        "summary": "Database down",
        "sequential_id": f"INC-{number:05d}",
        "participant_ids": (ALICE, BOB),
        "follower_ids": (BOB,),
        "checklists": (
            RunChecklist(uid("l"), "Triage", items[:2]),
            RunChecklist(uid("l"), "Empty", ()),
            RunChecklist(uid("l"), "Wrap up", items[2:]),
        ),
        "revision": 1,
    }
    return Run(**(defaults | fields))  # type: ignore[arg-type]


def finished(run_: Run) -> Run:
    """``run_`` finished an hour after it started."""
    return replace(run_, status=RunStatus.FINISHED, finished_at=run_.created_at + timedelta(hours=1))


def timeline_event(summary: str = "{actor} checked {task}", **details: object) -> TimelineEvent:
    """An event whose details hold every kind of value events may hold."""
    values = {"task": "Page {the} on-call", "count": 3, "urgent": True, "user_ids": (ALICE, BOB)} | details
    return TimelineEvent(TimelineEventType.TASK_STATE_MODIFIED, T0, ALICE, summary, values)  # type: ignore[arg-type]
