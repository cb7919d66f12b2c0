"""Interactive dialogs the bot opens, within Mattermost's limits (mattermost-wire.md §3.2)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.callback_data import StartRunForm
from bot.domain.playbook import Playbook
from bot.render.runs import truncate

PLAYBOOK_FIELD = "playbookID"
NAME_FIELD = "playbookRunName"
SUMMARY_FIELD = "playbookRunSummary"

DIALOG_TITLE_MAX = 24
TEXT_DEFAULT_MAX = 150
TEXTAREA_MAX = 3000
OPTION_TEXT_MAX = 150
RUN_NAME_MAX = 1024


def start_run_dialog(
    playbooks: Sequence[Playbook],
    default_playbook_id: str,
    channel_default_name: str,
    summary_default: str,
    state: str,
) -> dict[str, Any]:
    """The start-run dialog: which playbook (of those the person may run), the run's name and its
    summary. ``state`` is the signed dialog state (:func:`bot.render.buttons.dialog_state`)."""
    options = [
        {"text": truncate(" ".join(p.title.split()), OPTION_TEXT_MAX), "value": p.id} for p in playbooks
    ]
    values = {p.id for p in playbooks}
    playbook_select: dict[str, Any] = {
        "display_name": "Playbook",
        "name": PLAYBOOK_FIELD,
        "type": "select",
        "options": options,
        "placeholder": "Choose a playbook",
    }
    if default_playbook_id in values:
        playbook_select["default"] = default_playbook_id
    name: dict[str, Any] = {
        "display_name": "Run name",
        "name": NAME_FIELD,
        "type": "text",
        "optional": True,
        "max_length": RUN_NAME_MAX,
        "placeholder": "e.g. Database down",
        "help_text": "Names the run and its channel. Leave it empty to use the playbook's default name.",
    }
    default_name = channel_default_name.strip()
    if default_name and len(default_name) <= TEXT_DEFAULT_MAX:
        name["default"] = default_name
    summary: dict[str, Any] = {
        "display_name": "Summary",
        "name": SUMMARY_FIELD,
        "type": "textarea",
        "optional": True,
        "max_length": TEXTAREA_MAX,
        "placeholder": "What is going on? You can change it later.",
    }
    if summary_default.strip():
        summary["default"] = summary_default[:TEXTAREA_MAX]
    return {
        "callback_id": StartRunForm.name,
        "title": "Start a run"[:DIALOG_TITLE_MAX],
        "introduction_text": "Start a run of a playbook: a new channel with its checklists.",
        "submit_label": "Start run",
        "state": state,
        "elements": [playbook_select, name, summary],
    }
