"""The run settings form and the note that tells the channel what was switched."""

from __future__ import annotations

from bot.domain.run_settings import RunSwitches, switch_events
from bot.render.run_settings import settings_dialog, settings_note

from .test_runs_render import ALICE, NAMES, NOW, a_run, assert_golden


def test_settings_dialog() -> None:
    dialog = settings_dialog(a_run(), RunSwitches(False, True, True), RunSwitches(True, True, False), 1, "st")
    assert_golden("run_settings_dialog.json", dialog)
    assert [(e["name"], e["type"], e["default"]) for e in dialog["elements"]] == [
        ("status_updates", "bool", "false"),
        ("broadcasts", "bool", "true"),
        ("retrospective", "bool", "true"),
    ]
    for element in dialog["elements"]:
        assert len(element["display_name"]) <= 24
        assert len(element["placeholder"]) <= 150
        assert len(element["help_text"]) <= 150


def test_settings_dialog_without_broadcast_channels_says_so() -> None:
    dialog = settings_dialog(a_run(), RunSwitches(), RunSwitches(), 0, "st")
    assert dialog["elements"][1]["help_text"].startswith("The playbook names no broadcast channel.")


def test_settings_note() -> None:
    events = switch_events(
        RunSwitches(True, True, False), RunSwitches(False, False, False), actor_id=ALICE, at=NOW
    )
    assert settings_note(events, NAMES) == (
        "@alice turned status updates off for this run.\n@alice turned broadcasts off for this run."
    )
