"""The forms that create and edit playbooks: golden dialogs, each valid as Mattermost checks them.

Rewrite the golden files after an intended change with
``UPDATE_GOLDEN=1 pytest tests/render/test_playbook_forms_render.py`` and review the diff.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.domain.playbook import ChecklistTemplate, Playbook
from bot.domain.playbook_changes import FORM_SECTIONS, PlaybookChange, Section
from bot.playbook_format import import_playbook, parse_document
from bot.render.playbook_editing import change_history, edit_overview
from bot.render.playbook_forms import (
    checklist_dialog,
    checklists_fit,
    create_playbook_dialog,
    section_dialog,
)
from mattermost_sim.dialogs import dialog_problems

from .test_runs_render import ALICE, BOB, NAMES, SIGNER, URL, actions_of, assert_golden

STARTER = Path(__file__).parents[2] / "bot" / "starter_playbooks" / "incident-response.yaml"
STATE = '{"d":"pb_section"}'
TOWN_SQUARE = "c" * 26


def incident() -> Playbook:
    document = parse_document(STARTER.read_text(encoding="utf-8"), STARTER.name)
    playbook = import_playbook(document, team_id="t" * 26, importer_id=ALICE).playbook
    return replace(
        playbook,
        id="p" * 26,
        member_ids=(ALICE, BOB),
        status_updates=replace(
            playbook.status_updates, broadcast_channel_ids=(TOWN_SQUARE,), broadcast_enabled=True
        ),
    )


def assert_valid(dialog: dict[str, Any]) -> None:
    assert dialog_problems(dialog) == []


@pytest.mark.parametrize("section", FORM_SECTIONS, ids=str)
def test_each_section_form_is_prefilled_and_valid(section: Section) -> None:
    dialog = section_dialog(section, incident(), NAMES, {TOWN_SQUARE: "town-square"}, STATE)
    assert_valid(dialog)
    assert_golden(f"playbook_form_{section.value}.json", dialog)


def test_the_create_form_offers_starters_and_copies() -> None:
    dialog = create_playbook_dialog([("incident-response.yaml", "Incident Response")], [incident()], STATE)
    assert_valid(dialog)
    assert_golden("playbook_create_dialog.json", dialog)
    start = next(e for e in dialog["elements"] if e["name"] == "start")
    assert [o["value"] for o in start["options"]] == [
        "blank",
        "starter:incident-response.yaml",
        f"copy:{'p' * 26}",
    ]


def test_long_checklists_get_an_outline_and_one_form_each() -> None:
    tasks = incident().checklists[0].items * 40
    playbook = replace(incident(), checklists=(ChecklistTemplate("Long", tasks), ChecklistTemplate("Short")))
    assert not checklists_fit(playbook, NAMES)
    outline = section_dialog(Section.CHECKLISTS, playbook, NAMES, {}, STATE)
    assert_valid(outline)
    assert outline["elements"][0]["default"] == "1. Long\n2. Short"
    one = checklist_dialog(playbook, 1, NAMES, STATE)
    assert_valid(one)
    assert_golden("playbook_checklist_dialog.json", one)
    overview = edit_overview(playbook, checklists_fit=False, signer=SIGNER, url=URL)
    assert [a["id"] for a in actions_of(overview)][-2:] == ["checklist0", "checklist1"]


def test_a_value_too_long_for_its_element_is_left_out_and_kept() -> None:
    playbook = replace(incident(), description="x" * 3001)
    general = section_dialog(Section.GENERAL, playbook, NAMES, {}, STATE)
    description = next(e for e in general["elements"] if e["name"] == "description")
    assert "default" not in description
    assert description["help_text"].startswith("Too long to edit here (3001 characters)")
    assert_valid(general)


def test_the_edit_overview_has_a_button_per_section() -> None:
    overview = edit_overview(incident(), checklists_fit=True, signer=SIGNER, url=URL)
    assert_golden("playbook_edit_overview.json", overview)
    assert len(actions_of(overview)) == 9


def test_change_history() -> None:
    at = datetime(2026, 12, 6, 2, 14, tzinfo=UTC)
    changes = [
        PlaybookChange("p", ALICE, at, Section.UPDATES, ("status_updates.reminder_message_template",)),
        PlaybookChange("p", ALICE, at, Section.ARCHIVED, ()),
        PlaybookChange("p", ALICE, at, Section.IMPORTED, ("title", "checklists")),
        PlaybookChange("p", "gone", at, Section.CREATED, ()),
    ]
    assert change_history(changes, NAMES) == (
        "**Recent changes**\n"
        "- 2026-12-06 02:14 UTC @alice: status updates (status_updates.reminder_message_template)\n"
        "- 2026-12-06 02:14 UTC @alice: archived it\n"
        "- 2026-12-06 02:14 UTC @alice: imported it from a file (title, checklists)\n"
        "- 2026-12-06 02:14 UTC someone: created it"
    )
    assert change_history([], NAMES) == ""
