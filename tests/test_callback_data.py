"""The packed form of every button and dialog payload, pinned: buttons already posted in channels
keep working only while these stay exactly as they are."""

from __future__ import annotations

from typing import Any

import pytest

from bot.callback_codec import ActionData, CallbackData, DialogData, PayloadError
from bot.callback_data import (
    AssignToMe,
    ChannelSettingName,
    ChecklistForm,
    ChooseRun,
    CreatePlaybookForm,
    DismissFinish,
    EditChecklist,
    EditPlaybookSection,
    EditTask,
    FinishForm,
    FinishRun,
    IgnoreThread,
    ImportToTeam,
    ItemClick,
    OpenRetrospective,
    OpenUpdateForm,
    PlaybookSectionForm,
    RestoreRun,
    RetrospectiveForm,
    RunFromPrompt,
    RunSettingsForm,
    RunTaskCommand,
    SnoozeReminder,
    StartRunForm,
    TaskForm,
    ToggleChannelSetting,
    UpdateForm,
)
from bot.domain.playbook_changes import Section
from bot.domain.run import ItemState
from handlers.registry import build_routers

R = "r" * 26
TASK: dict[str, Any] = {"r": R, "c": "cl1", "i": "it1", "v": 3}

GOLDEN: list[tuple[CallbackData, dict[str, Any]]] = [
    (
        ChooseRun(R, "check 1 2", "http://mm/hooks/commands/x"),
        {"a": "pick_run", "r": R, "cmd": "check 1 2", "url": "http://mm/hooks/commands/x"},
    ),
    (ItemClick(R, "cl1", "it1", 3, ItemState.CLOSED), {"a": "item", **TASK, "t": "closed"}),
    (ItemClick(R, "cl1", "it1", 3, ItemState.SKIPPED), {"a": "item", **TASK, "t": "skipped"}),
    (ItemClick(R, "cl1", "it1", 3, ItemState.OPEN), {"a": "item", **TASK, "t": ""}),
    (AssignToMe(R, "cl1", "it1", 3), {"a": "assign_me", **TASK}),
    (RunTaskCommand(R, "cl1", "it1", 3), {"a": "run_cmd", **TASK}),
    (EditTask(R, "cl1", "it1", 3), {"a": "task_edit", **TASK}),
    (FinishRun(R), {"a": "finish", "r": R}),
    (FinishRun(R, confirmed=True), {"a": "finish", "r": R, "confirm": 1}),
    (RestoreRun(R), {"a": "restore", "r": R}),
    (DismissFinish(R), {"a": "dismiss", "r": R}),
    (OpenUpdateForm(R), {"a": "status_open", "r": R}),
    (SnoozeReminder(R, 3600), {"a": "status_snooze", "r": R, "s": 3600}),
    (OpenRetrospective(R), {"a": "retro_open", "r": R}),
    (RunFromPrompt("ch1", "root1", "pb1"), {"a": "kw_run", "c": "ch1", "r": "root1", "p": "pb1"}),
    (IgnoreThread("ch1", "root1"), {"a": "kw_ignore", "c": "ch1", "r": "root1"}),
    (
        ToggleChannelSetting("ch1", ChannelSettingName.PROMPTS, True),
        {"a": "ch_set", "c": "ch1", "k": "prompts", "v": 1},
    ),
    (
        ToggleChannelSetting("ch1", ChannelSettingName.WELCOME, False),
        {"a": "ch_set", "c": "ch1", "k": "welcome", "v": 0},
    ),
    (
        ImportToTeam("f1", "p1", "u1", "t1"),
        {"a": "playbook-import-team", "f": "f1", "p": "p1", "u": "u1", "t": "t1"},
    ),
    (FinishForm(R), {"d": "finish_run", "r": R}),
    (TaskForm(R, "cl1", "it1"), {"d": "task_form", "r": R, "c": "cl1", "i": "it1"}),
    (TaskForm(R, "cl1"), {"d": "task_form", "r": R, "c": "cl1"}),
    (UpdateForm(R), {"d": "status_update", "r": R}),
    (RunSettingsForm(R), {"d": "run_settings", "r": R}),
    (RetrospectiveForm(R), {"d": "retrospective", "r": R}),
    (StartRunForm("pb1", "t1"), {"d": "start_run", "p": "pb1", "t": "t1"}),
    (StartRunForm(), {"d": "start_run"}),
    (CreatePlaybookForm("t1"), {"d": "pb_create", "t": "t1"}),
    (EditPlaybookSection("pb1", Section.UPDATES), {"a": "pb_edit", "p": "pb1", "s": "updates"}),
    (PlaybookSectionForm("pb1", Section.GENERAL), {"d": "pb_section", "p": "pb1", "s": "general"}),
    (EditChecklist("pb1", 0), {"a": "pb_edit_cl", "p": "pb1", "i": 0}),
    (ChecklistForm("pb1", 2), {"d": "pb_checklist", "p": "pb1", "i": 2}),
]


@pytest.mark.parametrize(("data", "packed"), GOLDEN, ids=lambda v: type(v).__name__)
def test_the_wire_format_is_pinned(data: CallbackData, packed: dict[str, Any]) -> None:
    assert data.pack() == packed
    assert type(data).unpack(packed) == data


def test_every_registered_payload_is_pinned() -> None:
    routers = build_routers()
    pinned = {type(data).name for data, _ in GOLDEN}
    assert set(routers.actions.names) | set(routers.dialogs.names) <= pinned


def test_keys_it_does_not_know_are_ignored() -> None:
    assert FinishRun.unpack({"a": "finish", "r": R, "n": "nonce", "x": 1}) == FinishRun(R)


@pytest.mark.parametrize(
    ("cls", "context"),
    [
        (FinishRun, {"a": "restore", "r": R}),  # another payload's name
        (FinishRun, {"a": "finish"}),  # a field missing
        (FinishRun, {"a": "finish", "r": ""}),  # empty text
        (FinishRun, {"a": "finish", "r": 7}),  # a number for text
        (FinishRun, {"a": "finish", "r": R, "confirm": 2}),  # not a flag
        (SnoozeReminder, {"a": "status_snooze", "r": R, "s": "3600"}),  # text for a number
        (SnoozeReminder, {"a": "status_snooze", "r": R, "s": True}),
        (ItemClick, {"a": "item", **TASK, "t": "exploded"}),  # not a task state
        (StartRunForm, {"a": "start_run"}),  # a button's key for a dialog
    ],
)
def test_a_context_that_does_not_fit_is_refused(cls: type[CallbackData], context: dict[str, Any]) -> None:
    with pytest.raises(PayloadError):
        cls.unpack(context)


def test_buttons_and_dialogs_travel_under_their_own_keys() -> None:
    assert ActionData.name_key == "a"
    assert DialogData.name_key == "d"
