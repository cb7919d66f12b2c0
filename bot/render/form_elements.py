"""Dialog elements as the bot's forms use them, within Mattermost's limits (mattermost-wire.md §3.2).

A value longer than its element can hold is left out of the element (which becomes optional, with
a note) and kept unless something is typed: :data:`TOO_LONG_HELP`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from bot.domain.task_lines import format_span

from .dialogs import DIALOG_TITLE_MAX, OPTION_TEXT_MAX, TEXT_DEFAULT_MAX, TEXTAREA_MAX
from .runs import truncate

Element = dict[str, Any]

TOO_LONG_HELP = "Too long to edit here ({length} characters): leave it empty to keep it."


def text(
    name: str, label: str, value: str, *, optional: bool = True, help_text: str = "", max_length: int = 0
) -> Element:
    """A one-line text element filled with ``value`` (left empty, and kept, when too long)."""
    return _typed("text", name, label, value, TEXT_DEFAULT_MAX, optional, help_text, max_length)


def textarea(name: str, label: str, value: str, *, optional: bool = True, help_text: str = "") -> Element:
    """A text box filled with ``value`` (left empty, and kept, when too long)."""
    return _typed("textarea", name, label, value, TEXTAREA_MAX, optional, help_text, TEXTAREA_MAX)


def _typed(
    kind: str, name: str, label: str, value: str, limit: int, optional: bool, help_text: str, max_length: int
) -> Element:
    element: Element = {"display_name": label, "name": name, "type": kind, "optional": optional}
    if len(value) > limit:
        element["optional"] = True
        help_text = TOO_LONG_HELP.format(length=len(value))
    elif value:
        element["default"] = value
    if max_length:
        element["max_length"] = max_length
    if help_text:
        element["help_text"] = help_text
    return element


def switch(name: str, label: str, on: bool, checkbox: str) -> Element:
    """A checkbox: ``checkbox`` is the text beside it."""
    return {
        "display_name": label,
        "name": name,
        "type": "bool",
        "optional": True,
        "default": "true" if on else "false",
        "placeholder": checkbox,
    }


def picker(name: str, label: str, source: str, value: str, *, help_text: str = "") -> Element:
    """A Mattermost picker of one user or channel (``source``: ``users`` or ``channels``)."""
    element: Element = {
        "display_name": label,
        "name": name,
        "type": "select",
        "data_source": source,
        "optional": True,
    }
    if value:
        element["default"] = value
    if help_text:
        element["help_text"] = help_text
    return element


def choice(
    name: str, label: str, options: Sequence[tuple[str, str]], value: str, *, radio: bool = False
) -> Element:
    """A select (or radio) of ``(value, text)`` options."""
    element: Element = {
        "display_name": label,
        "name": name,
        "type": "radio" if radio else "select",
        "options": [{"text": truncate(shown, OPTION_TEXT_MAX), "value": key} for key, shown in options],
    }
    if value in {key for key, _ in options}:
        element["default"] = value
    return element


def names_text(ids: Sequence[str], names: Mapping[str, str], sigil: str) -> str:
    """``@alice @bob`` (or ``~town-square``) for these ids; unknown ids are written as they are."""
    return " ".join(f"{sigil}{names.get(id_, id_)}" for id_ in ids)


def span_text(seconds: int) -> str:
    """An interval as the forms read it (``1h``), or empty for none."""
    return format_span(timedelta(seconds=seconds)) if seconds else ""


def dialog(
    title: str, intro: str, state: str, callback_id: str, elements: list[Element], submit: str = "Save"
) -> dict[str, Any]:
    """A dialog with these elements."""
    return {
        "callback_id": callback_id,
        "title": truncate(title, DIALOG_TITLE_MAX),
        "introduction_text": intro,
        "submit_label": submit,
        "state": state,
        "elements": elements,
    }
