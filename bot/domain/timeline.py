"""Timeline events: the dated record of what happened during a run.

An event keeps user ids, never display names: names change and are rendered when the timeline is
shown. Its ``summary`` is therefore a small template whose ``{placeholders}`` name values in the
event:

* ``{actor}`` is the acting user;
* ``{<key>_id}`` is a user id kept in ``details[<key>_id]``;
* ``{<key>_ids}`` is a sequence of user ids kept in ``details[<key>_ids]``;
* any other ``{key}`` is plain text kept in ``details[key]`` (task titles and the like, which
  may themselves contain braces and so never go into the template).

:func:`render_summary` turns a summary into text given a way to name users.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType

DetailValue = str | int | bool | tuple[str, ...]
"""What an event's details may hold: JSON-friendly scalars and tuples of user ids."""


class TimelineEventType(StrEnum):
    """Kinds of timeline events, named as the Playbooks plugin names them where it has them (its
    ``incident_created`` is our ``run_created``)."""

    RUN_CREATED = "run_created"
    TASK_STATE_MODIFIED = "task_state_modified"
    STATUS_UPDATED = "status_updated"
    STATUS_UPDATE_REQUESTED = "status_update_requested"
    STATUS_UPDATE_SNOOZED = "status_update_snoozed"
    STATUS_UPDATES_ENABLED = "status_updates_enabled"
    STATUS_UPDATES_DISABLED = "status_updates_disabled"
    OWNER_CHANGED = "owner_changed"
    ASSIGNEE_CHANGED = "assignee_changed"
    RAN_SLASH_COMMAND = "ran_slash_command"
    """Recorded by earlier versions when a task's command was shown to copy; shown as a copy."""
    EVENT_FROM_POST = "event_from_post"
    USER_JOINED_LEFT = "user_joined_left"
    PARTICIPANTS_CHANGED = "participants_changed"
    PUBLISHED_RETROSPECTIVE = "published_retrospective"
    CANCELED_RETROSPECTIVE = "canceled_retrospective"
    RETROSPECTIVE_ENABLED = "retrospective_enabled"
    RETROSPECTIVE_DISABLED = "retrospective_disabled"
    RUN_FINISHED = "run_finished"
    RUN_RESTORED = "run_restored"
    CHANNEL_ARCHIVED = "channel_archived"
    CHANNEL_UNARCHIVED = "channel_unarchived"
    # Ours alone: the plugin records no event for these checklist edits.
    CHECKLIST_ITEM_ADDED = "checklist_item_added"
    CHECKLIST_ITEM_REMOVED = "checklist_item_removed"
    CHECKLIST_ITEM_RENAMED = "checklist_item_renamed"
    DUE_DATE_CHANGED = "due_date_changed"
    BROADCASTS_ENABLED = "broadcasts_enabled"
    BROADCASTS_DISABLED = "broadcasts_disabled"
    COMMAND_COPIED = "command_copied"
    """A task's slash command was handed to someone to copy: the bot cannot run commands."""
    CHECKLIST_ITEM_EDITED = "checklist_item_edited"
    CHECKLIST_ITEM_MOVED = "checklist_item_moved"
    CHECKLIST_ADDED = "checklist_added"
    CHECKLIST_RENAMED = "checklist_renamed"
    CHECKLIST_REMOVED = "checklist_removed"
    CHECKLIST_MOVED = "checklist_moved"


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    """One thing that happened in a run, at a time, done by someone (``actor_id`` may be empty for
    the service itself)."""

    type: TimelineEventType
    at: datetime
    actor_id: str
    summary: str
    details: Mapping[str, DetailValue] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        # Freeze the details so an event can be shared safely between runs and renderers.
        if not isinstance(self.details, MappingProxyType):
            object.__setattr__(self, "details", MappingProxyType(dict(self.details)))


def event(
    type_: TimelineEventType, at: datetime, actor_id: str, summary: str = "", **details: DetailValue
) -> TimelineEvent:
    """Build an event; keyword arguments become its details."""
    return TimelineEvent(type=type_, at=at, actor_id=actor_id, summary=summary, details=details)


NOBODY = "nobody"
"""How an empty user id reads in a rendered summary (an item without assignee, say)."""


def render_summary(event_: TimelineEvent, user_name: Callable[[str], str]) -> str:
    """Render an event's summary, naming users with ``user_name`` (for instance ``"@alice"``).

    Placeholders whose value is missing render as an empty string, so events written by older
    versions still render.
    """
    parts: list[str] = []
    summary = _HONEST_SUMMARIES.get(event_.type, event_.summary)
    for literal, key, _spec, _conversion in string.Formatter().parse(summary):
        parts.append(literal)
        if key is None:
            continue
        parts.append(_render_value(event_, key, user_name))
    return "".join(parts)


_HONEST_SUMMARIES = {TimelineEventType.RAN_SLASH_COMMAND: "{actor} copied `{command}`"}
"""Summaries shown instead of what older versions stored: they recorded "ran the slash command"
when the bot had only shown the command to copy, and a timeline must not claim what did not happen."""


def _render_value(event_: TimelineEvent, key: str, user_name: Callable[[str], str]) -> str:
    def name(user_id: str) -> str:
        return user_name(user_id) if user_id else NOBODY

    if key == "actor":
        return name(event_.actor_id)
    value = event_.details.get(key, "")
    if key.endswith("_ids") and isinstance(value, Sequence) and not isinstance(value, str):
        return ", ".join(name(str(user_id)) for user_id in value)
    if key.endswith("_id"):
        return name(str(value))
    return str(value)


# Factories for events that services outside the run model record. The run model builds its own
# events where it makes each change (bot.domain.run, bot.domain.run_items), and the events of a
# pinned post and of someone joining are built by bot.services.pins and bot.services.joiners.


def run_created(at: datetime, reporter_id: str, *, run_name: str) -> TimelineEvent:
    """The run was started by ``reporter_id``."""
    return event(TimelineEventType.RUN_CREATED, at, reporter_id, "{actor} started “{run}”", run=run_name)


def status_updated(at: datetime, author_id: str, *, post_id: str) -> TimelineEvent:
    """A status update was posted (``post_id`` is the status post)."""
    return event(
        TimelineEventType.STATUS_UPDATED, at, author_id, "{actor} posted a status update", post_id=post_id
    )


def status_update_snoozed(at: datetime, actor_id: str, *, until: datetime) -> TimelineEvent:
    """The next status update reminder was put off until ``until``."""
    return event(
        TimelineEventType.STATUS_UPDATE_SNOOZED,
        at,
        actor_id,
        "{actor} snoozed the status update reminder",
        until=until.isoformat(),
    )


def retrospective_published(at: datetime, actor_id: str) -> TimelineEvent:
    """The retrospective was published."""
    return event(
        TimelineEventType.PUBLISHED_RETROSPECTIVE, at, actor_id, "{actor} published the retrospective"
    )
