"""Domain aggregates ⇄ table rows (plain dicts), built on :mod:`storage.codec`.

A playbook is stored whole in ``playbooks.document``; its columns only index it. A run is spread
over ``runs``, ``run_participants``, ``run_followers``, ``run_checklists`` and ``run_items`` so
single items can be updated in place. The fields of a run, checklist or item that have no column
go to that row's ``document``, so a new domain field is stored without a migration. Timeline
events have a column per field; ``tests/storage/test_codec.py`` fails if one gets none.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from bot.domain.playbook import Playbook
from bot.domain.run import ItemState, Run, RunChecklist, RunItem, RunStatus
from bot.domain.timeline import TimelineEvent, TimelineEventType
from storage.codec import decode, encode, from_document, to_document

Row = dict[str, Any]
StoredRow = Mapping[Any, Any]
"""A row as read back, such as SQLAlchemy's ``RowMapping``."""
E = TypeVar("E", ItemState, RunStatus, TimelineEventType)

RUN_COLUMNS = frozenset(
    {
        "id",
        "playbook_id",
        "team_id",
        "number",
        "name",
        "summary",
        "owner_id",
        "reporter_id",
        "channel_id",
        "status",
        "created_at",
        "finished_at",
        "revision",
    }
)
"""Run fields with a column of their own in ``runs``."""

RUN_CHILDREN = frozenset({"participant_ids", "follower_ids", "checklists"})
"""Run fields kept in child tables."""

ITEM_COLUMNS = frozenset(
    {
        "id",
        "title",
        "description",
        "command",
        "assignee_id",
        "due_at",
        "state",
        "state_modified_at",
        "state_modified_by",
        "command_last_run_at",
        "revision",
    }
)
"""Item fields with a column of their own in ``run_items``."""

CHECKLIST_COLUMNS = frozenset({"id", "title"})
CHECKLIST_CHILDREN = frozenset({"items"})
EVENT_COLUMNS = frozenset({"type", "at", "actor_id", "summary", "details"})

ADMIN = "admin"
MEMBER = "member"


def normalise_title(title: str) -> str:
    """The form titles are compared in: Unicode-normalised, case-folded, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", title).casefold().split())


# Playbooks ---------------------------------------------------------------------------------------


def playbook_document(playbook: Playbook) -> dict[str, Any]:
    """The whole playbook as a JSON object."""
    return to_document(playbook)


def playbook_from_document(document: Mapping[str, Any]) -> Playbook:
    """The playbook stored in ``document``."""
    return from_document(Playbook, document, "playbook")


def playbook_member_rows(playbook: Playbook) -> list[Row]:
    """``playbook_members`` rows: admins with role ``admin``, other members with ``member``."""
    admins = set(playbook.admin_ids)
    roles = {user_id: MEMBER for user_id in playbook.member_ids if user_id}
    roles |= {user_id: ADMIN for user_id in admins if user_id}
    return [{"playbook_id": playbook.id, "user_id": user_id, "role": role} for user_id, role in roles.items()]


# Runs --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RunRows:
    """A run spread over its tables, ready for executemany inserts."""

    run: Row
    participants: list[Row]
    followers: list[Row]
    checklists: list[Row]
    items: list[Row]


def run_to_rows(run: Run) -> RunRows:
    """Every row that stores ``run``."""
    row: Row = {name: getattr(run, name) for name in RUN_COLUMNS}
    row["playbook_id"] = run.playbook_id or None
    row["status"] = run.status.value
    row["document"] = to_document(run, exclude=RUN_COLUMNS | RUN_CHILDREN)
    return RunRows(
        run=row,
        participants=_people_rows(run.id, run.participant_ids),
        followers=_people_rows(run.id, run.follower_ids),
        checklists=[
            checklist_to_row(run.id, position, checklist) for position, checklist in enumerate(run.checklists)
        ],
        items=[
            item_to_row(run.id, checklist.id, position, item)
            for checklist in run.checklists
            for position, item in enumerate(checklist.items)
        ],
    )


def run_from_rows(
    run: StoredRow,
    participant_ids: Sequence[str],
    follower_ids: Sequence[str],
    checklists: Sequence[StoredRow],
    items: Sequence[StoredRow],
) -> Run:
    """The run stored in these rows; checklists and items are ordered by ``position``."""
    items_by_checklist: dict[str, list[StoredRow]] = {}
    for item in items:
        items_by_checklist.setdefault(item["checklist_id"], []).append(item)
    run_checklists = tuple(
        checklist_from_row(
            checklist,
            tuple(
                item_from_row(item)
                for item in sorted(items_by_checklist.get(checklist["id"], ()), key=lambda i: i["position"])
            ),
        )
        for checklist in sorted(checklists, key=lambda c: c["position"])
    )
    columns = {name: run[name] for name in RUN_COLUMNS}
    columns["playbook_id"] = run["playbook_id"] or ""
    columns["status"] = _enum(RunStatus, run["status"], "run.status")
    return from_document(
        Run,
        run["document"],
        "run.document",
        **columns,
        participant_ids=tuple(participant_ids),
        follower_ids=tuple(follower_ids),
        checklists=run_checklists,
    )


def checklist_to_row(run_id: str, position: int, checklist: RunChecklist) -> Row:
    """The ``run_checklists`` row of ``checklist`` (without its items)."""
    row: Row = {name: getattr(checklist, name) for name in CHECKLIST_COLUMNS}
    row |= {"run_id": run_id, "position": position}
    row["document"] = to_document(checklist, exclude=CHECKLIST_COLUMNS | CHECKLIST_CHILDREN)
    return row


def checklist_from_row(row: StoredRow, items: tuple[RunItem, ...]) -> RunChecklist:
    """The checklist stored in a ``run_checklists`` row, holding ``items``."""
    columns = {name: row[name] for name in CHECKLIST_COLUMNS}
    return from_document(RunChecklist, row["document"], "run_checklists.document", **columns, items=items)


def item_to_row(run_id: str, checklist_id: str, position: int, item: RunItem) -> Row:
    """The ``run_items`` row of ``item``."""
    row: Row = {name: getattr(item, name) for name in ITEM_COLUMNS}
    row |= {"run_id": run_id, "checklist_id": checklist_id, "position": position, "state": item.state.value}
    row["document"] = to_document(item, exclude=ITEM_COLUMNS)
    return row


def item_from_row(row: StoredRow) -> RunItem:
    """The item stored in a ``run_items`` row."""
    columns = {name: row[name] for name in ITEM_COLUMNS}
    columns["state"] = _enum(ItemState, row["state"], "run_items.state")
    return from_document(RunItem, row["document"], "run_items.document", **columns)


def _people_rows(run_id: str, user_ids: Sequence[str]) -> list[Row]:
    # Positions keep the run's order; duplicates would break the primary key, so the first wins.
    unique = dict.fromkeys(user_ids)
    return [{"run_id": run_id, "user_id": user_id, "position": n} for n, user_id in enumerate(unique)]


# Timeline ----------------------------------------------------------------------------------------


def event_to_row(run_id: str, event: TimelineEvent, dedup_key: str | None = None) -> Row:
    """The ``timeline_events`` row of ``event``."""
    return {
        "run_id": run_id,
        "type": event.type.value,
        "at": event.at,
        "actor_id": event.actor_id,
        "summary": event.summary,
        "details": encode(event.details),
        "dedup_key": dedup_key,
    }


def event_from_row(row: StoredRow) -> TimelineEvent:
    """The event stored in a ``timeline_events`` row."""
    return from_document(
        TimelineEvent,
        {"details": row["details"]},
        "timeline_events",
        type=_enum(TimelineEventType, row["type"], "timeline_events.type"),
        at=row["at"],
        actor_id=row["actor_id"],
        summary=row["summary"],
    )


def _enum(kind: type[E], value: Any, path: str) -> E:
    return cast(E, decode(kind, value, path))
