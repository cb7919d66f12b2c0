"""The codec and the row mapping: every domain value survives storage exactly."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.playbook import ChecklistItemTemplate, Playbook
from bot.domain.run import Run, RunChecklist, RunItem
from bot.domain.timeline import TimelineEvent
from storage import mapping
from storage.codec import CodecError, decode, encode, from_document, to_document
from tests.storage import factories


def _through_json(value: object) -> object:
    """What a JSON column gives back."""
    return json.loads(json.dumps(value))


@pytest.mark.parametrize("playbook", factories.template_playbooks(), ids=lambda p: p.title)
def test_the_shared_templates_round_trip(playbook: Playbook) -> None:
    stored = _through_json(mapping.playbook_document(playbook))

    assert mapping.playbook_from_document(stored) == playbook  # type: ignore[arg-type]


def test_a_playbook_with_every_kind_of_field_round_trips() -> None:
    playbook = dataclasses.replace(factories.playbook(), id=factories.uid("p"))

    restored = mapping.playbook_from_document(_through_json(mapping.playbook_document(playbook)))  # type: ignore[arg-type]

    assert restored == playbook
    assert restored.checklists[0].items[0].due_after == timedelta(minutes=15, microseconds=250)


def test_a_run_round_trips_through_its_rows() -> None:
    run = factories.finished(factories.run(factories.uid("p")))
    rows = mapping.run_to_rows(run)

    restored = mapping.run_from_rows(
        rows.run | {"document": _through_json(rows.run["document"])},
        [row["user_id"] for row in rows.participants],
        [row["user_id"] for row in rows.followers],
        list(reversed(rows.checklists)),  # order comes from positions, not from row order
        list(reversed(rows.items)),
    )

    assert restored == run


def test_a_run_without_playbook_is_stored_with_a_null_playbook() -> None:
    run = factories.run("")

    assert mapping.run_to_rows(run).run["playbook_id"] is None


def test_a_timeline_event_round_trips_with_tuples_and_booleans_intact() -> None:
    event = factories.timeline_event()
    row = mapping.event_to_row("r" * 26, event, "dedup")

    restored = mapping.event_from_row(row | {"details": _through_json(row["details"]), "id": 1})

    assert restored == event
    assert restored.details["user_ids"] == (factories.ALICE, factories.BOB)
    assert restored.details["urgent"] is True


@pytest.mark.parametrize(
    ("kind", "columns"),
    [(RunItem, mapping.ITEM_COLUMNS), (RunChecklist, mapping.CHECKLIST_COLUMNS | mapping.CHECKLIST_CHILDREN)],
)
def test_fields_without_a_column_travel_in_the_document(kind: type, columns: frozenset[str]) -> None:
    # Every field is stored somewhere: in its column or, failing that, in the row's document.
    names = {field.name for field in dataclasses.fields(kind)}
    assert columns <= names


def test_every_timeline_event_field_has_a_column() -> None:
    assert {field.name for field in dataclasses.fields(TimelineEvent)} == mapping.EVENT_COLUMNS


def test_every_run_field_is_stored() -> None:
    run = factories.run(factories.uid("p"))
    rows = mapping.run_to_rows(run)
    in_document = set(rows.run["document"])

    assert {
        field.name for field in dataclasses.fields(Run)
    } == mapping.RUN_COLUMNS | mapping.RUN_CHILDREN | in_document


def test_an_older_document_missing_a_field_gets_the_default() -> None:
    document = to_document(ChecklistItemTemplate("Call"))
    del document["assignee_type"]

    assert from_document(ChecklistItemTemplate, document) == ChecklistItemTemplate("Call")


@pytest.mark.parametrize(
    ("document", "path"),
    [
        ({"title": 5}, "$.title"),
        ({"title": "x", "due_after": "soon"}, "$.due_after"),
        ({"title": "x", "assignee_type": "robot"}, "$.assignee_type"),
        ({"description": "no title"}, "$"),
        ("not an object", "$"),
    ],
)
def test_malformed_documents_are_refused_with_the_path(document: object, path: str) -> None:
    with pytest.raises(CodecError) as raised:
        from_document(ChecklistItemTemplate, document)  # type: ignore[arg-type]

    assert raised.value.path == path


def test_booleans_are_not_taken_for_integers() -> None:
    with pytest.raises(CodecError):
        decode(int, True)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(CodecError):
        decode(type(factories.T0), "2026-11-23T09:30:00")


@given(st.timedeltas(min_value=-timedelta(days=100_000), max_value=timedelta(days=100_000)))
def test_timedeltas_round_trip_exactly(value: timedelta) -> None:
    assert decode(timedelta, _through_json(encode(value))) == value
