"""What changed in a playbook, by whom and when: the record behind ``/playbook show``'s history.

A change names the edit form's section and the settings it changed, in the attribute names of
:class:`~bot.domain.playbook.Playbook` (``title``, ``status_updates.broadcast_channel_ids``):
:func:`changed_fields` compares two versions of a playbook, so a form submitted unchanged records
nothing.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.domain.playbook import Playbook

MAX_SHOWN_CHANGES = 5


class Section(StrEnum):
    """The parts of a playbook, each edited with its own form."""

    CREATED = "created"
    IMPORTED = "imported"
    ARCHIVED = "archived"
    RESTORED = "restored"
    GENERAL = "general"
    CHANNEL = "channel"
    MESSAGES = "messages"
    PEOPLE = "people"
    UPDATES = "updates"
    WEBHOOKS = "webhooks"
    RETROSPECTIVE = "retrospective"
    KEYWORDS = "keywords"
    CHECKLISTS = "checklists"


# Changes to the playbook as a whole; every other section is edited with its own form.
WHOLE_PLAYBOOK_SECTIONS = frozenset({Section.CREATED, Section.IMPORTED, Section.ARCHIVED, Section.RESTORED})
FORM_SECTIONS = tuple(section for section in Section if section not in WHOLE_PLAYBOOK_SECTIONS)


@dataclass(frozen=True, slots=True)
class PlaybookChange:
    """One saved edit: who, when, which section, which settings."""

    playbook_id: str
    user_id: str
    at: datetime
    section: Section
    fields: tuple[str, ...]


def changed_fields(before: Playbook, after: Playbook) -> tuple[str, ...]:
    """The settings whose values differ, one level into grouped settings (``channel.channel_id``)."""
    return tuple(_diff(before, after, ""))


def _diff(before: Any, after: Any, prefix: str) -> list[str]:
    found: list[str] = []
    for field in dataclasses.fields(before):
        old, new = getattr(before, field.name), getattr(after, field.name)
        if old == new:
            continue
        path = f"{prefix}{field.name}"
        if dataclasses.is_dataclass(old) and not prefix:
            found.extend(_diff(old, new, f"{path}."))
        else:
            found.append(path)
    return found


def merged(current: Playbook, edited: Playbook, fields: tuple[str, ...]) -> Playbook:
    """``current`` with the ``fields`` (as :func:`changed_fields` names them) taken from ``edited``.

    A form changes only its own settings: applying them to the stored playbook as it is now keeps
    what someone else saved meanwhile in another section."""
    result = current
    for path in fields:
        outer, _, inner = path.partition(".")
        if inner:
            group = dataclasses.replace(
                getattr(result, outer), **{inner: getattr(getattr(edited, outer), inner)}
            )
            result = dataclasses.replace(result, **{outer: group})
        else:
            result = dataclasses.replace(result, **{outer: getattr(edited, outer)})
    return result
