"""``/playbook settings`` in a run channel: the form of the run's switches, and the note that
tells the channel what was switched."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.callback_data import RunSettingsForm
from bot.domain.run import Run
from bot.domain.run_settings import RunSwitches
from bot.domain.timeline import TimelineEvent, render_summary
from bot.render.runs import Names, mention, run_label, truncate

STATUS_UPDATES_FIELD = "status_updates"
BROADCASTS_FIELD = "broadcasts"
RETROSPECTIVE_FIELD = "retrospective"


def _playbook_says(on: bool) -> str:
    return f"The playbook has it {'on' if on else 'off'}."


def settings_dialog(
    run: Run, switches: RunSwitches, playbook: RunSwitches, broadcast_channels: int, state: str
) -> dict[str, Any]:
    """The form: one checkbox per switch, prefilled with the run's current value, each saying
    what the playbook has."""
    where = "channel" if broadcast_channels == 1 else "channels"
    broadcast_help = (
        f"Status updates, the finish and the retrospective go to {broadcast_channels} {where}. "
        if broadcast_channels
        else "The playbook names no broadcast channel. "
    )

    def flag(name: str, label: str, checkbox: str, on: bool, help_text: str) -> dict[str, Any]:
        return {
            "display_name": label,
            "name": name,
            "type": "bool",
            "default": "true" if on else "false",
            "placeholder": checkbox,
            "optional": True,
            "help_text": help_text[:150],
        }

    return {
        "callback_id": RunSettingsForm.name,
        "title": "Run settings",
        "introduction_text": (
            f"Switches for **{truncate(run_label(run), 200)}** alone; its playbook stays as it is."
        ),
        "submit_label": "Save",
        "state": state,
        "elements": [
            flag(
                STATUS_UPDATES_FIELD,
                "Status updates",
                "Ask for status updates and remind the owner",
                switches.status_updates,
                _playbook_says(playbook.status_updates),
            ),
            flag(
                BROADCASTS_FIELD,
                "Broadcasts",
                "Post to the playbook's broadcast channels",
                switches.broadcasts,
                broadcast_help + _playbook_says(playbook.broadcasts),
            ),
            flag(
                RETROSPECTIVE_FIELD,
                "Retrospective",
                "Ask for a retrospective when the run finishes",
                switches.retrospective,
                _playbook_says(playbook.retrospective),
            ),
        ],
    }


def settings_note(events: Sequence[TimelineEvent], names: Names) -> str:
    """``@alice turned status updates off for this run.``, one line per switch."""
    return "\n".join(f"{render_summary(e, lambda user_id: mention(user_id, names))}." for e in events)
