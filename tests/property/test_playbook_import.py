"""Any document is imported or refused with a PlaybookFormatError or PlaybookImportError naming
the problem; garbage never changes what is stored."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.domain.errors import DomainError
from bot.playbook_export import export_playbook
from bot.playbook_format import (
    ImportResult,
    PlaybookFormatError,
    PlaybookImportError,
    dump_document,
    import_playbook,
    parse_document,
)
from bot.services.playbooks import import_document
from storage.models import PlaybookRow
from tests.e2e.conftest import Harness

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=25,
)
ITEM_KEYS = ["title", "description", "command", "due_date", "assignee_type", "state", "id"]
item = st.dictionaries(st.sampled_from(ITEM_KEYS), json_values, max_size=5)
checklist = st.fixed_dictionaries(
    {}, optional={"title": json_values, "items": st.lists(item, max_size=3) | json_values}
)
PLAYBOOK_KEYS = [
    "title",
    "description",
    "channel_mode",
    "channel_id",
    "channel_name_template",
    "run_number_prefix",
    "reminder_timer_default_seconds",
    "retrospective_enabled",
    "signal_any_keywords",
    "category_name",
    "categorize_channel_enabled",
    "message_on_join",
    "status_update_enabled",
    "members",
    "properties",
]
# Documents close to real exports, so the checks past the first field are reached too.
near_exports = st.fixed_dictionaries(
    {"version": st.sampled_from([1, 1, 1, 2, "1", None, 1.0])},
    optional={
        "title": st.text(max_size=40) | json_values,
        "checklists": st.lists(checklist, max_size=3) | json_values,
        "metrics": st.lists(st.dictionaries(st.sampled_from(["title", "type", "target"]), json_values)),
    },
).flatmap(
    lambda doc: st.dictionaries(st.sampled_from(PLAYBOOK_KEYS), json_values, max_size=5).map(
        lambda extra: {**extra, **doc}
    )
)
documents = near_exports | st.dictionaries(st.text(max_size=12), json_values, max_size=6)


def assert_clear(error: DomainError) -> None:
    """A refusal a person can act on: a message of a sentence or more."""
    assert len(error.message.strip()) > 10


def import_or_refuse(doc: dict[str, Any]) -> ImportResult | None:
    try:
        return import_playbook(doc, team_id="team1", importer_id="user1")
    except PlaybookImportError as error:
        refusal = error
    assert refusal.problems
    assert refusal.message.startswith("The playbook cannot be imported:")
    for problem in refusal.problems:
        assert problem.field in refusal.message
    return None


@settings(max_examples=60, deadline=None)
@given(documents)
def test_any_document_is_imported_or_each_problem_is_named(doc: dict[str, Any]) -> None:
    result = import_or_refuse(doc)
    if result is not None:
        assert result.playbook.title.strip()
        again = import_playbook(export_playbook(result.playbook), team_id="team1", importer_id="user1")
        assert export_playbook(again.playbook) == export_playbook(result.playbook)


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=400), st.sampled_from(["a.json", "a.yaml", "a.yml"]))
def test_any_text_is_read_or_refused_as_a_format_error(text: str, filename: str) -> None:
    try:
        document = parse_document(text, filename)
    except PlaybookFormatError as error:
        assert_clear(error)
        return
    assert isinstance(document, dict)
    import_or_refuse(document)


@settings(max_examples=60, deadline=None)
@given(documents, st.sampled_from(["json", "yaml"]))
def test_documents_survive_the_text_round_trip_or_are_refused(doc: dict[str, Any], notation: str) -> None:
    try:
        text = dump_document(doc, notation) if notation == "yaml" else json.dumps(doc)
    except (ValueError, TypeError):
        return  # not representable in that notation (NaN in JSON, say): nothing to import
    try:
        parsed = parse_document(text, notation)
    except PlaybookFormatError:
        return
    import_or_refuse(parsed)


async def count_playbooks(harness: Harness) -> int:
    assert harness.bot.services is not None
    async with harness.bot.services.transaction() as session:
        return int((await session.execute(select(func.count()).select_from(PlaybookRow))).scalar_one())


@FAST
@given(st.text(max_size=300) | documents.map(json.dumps))
async def test_garbage_imports_store_nothing(harness: Harness, text: str) -> None:
    assert harness.bot.services is not None
    before = await count_playbooks(harness)
    user_id = (await harness.alice.me())["id"]
    try:
        await import_document(
            harness.bot.services, team_id=harness.team_id, user_id=user_id, filename="garbage.json", text=text
        )
    except (PlaybookFormatError, PlaybookImportError) as error:
        assert_clear(error)
        assert await count_playbooks(harness) == before
    else:
        assert await count_playbooks(harness) in (before, before + 1)
