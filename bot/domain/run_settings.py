"""Per-run switches: status updates, broadcasts and the retrospective, on or off for one run.

A run follows its playbook (``status_updates.enabled``, ``status_updates.broadcast_enabled``,
``retrospective.enabled``) until someone in the run sets a switch with ``/playbook settings``;
from then on the run's own value holds, whatever later edits of the playbook say. The playbook
itself is never changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.errors import DomainError
from bot.domain.playbook import Playbook
from bot.domain.timeline import TimelineEvent, TimelineEventType, event


@dataclass(frozen=True, slots=True)
class RunSwitches:
    """What is on for a run."""

    status_updates: bool = False
    broadcasts: bool = False
    retrospective: bool = False


@dataclass(frozen=True, slots=True)
class RunOverrides:
    """The switches a run sets itself; ``None`` follows the playbook."""

    status_updates: bool | None = None
    broadcasts: bool | None = None
    retrospective: bool | None = None


def playbook_switches(playbook: Playbook | None) -> RunSwitches:
    """What the playbook switches on (nothing for a run without one)."""
    if playbook is None:
        return RunSwitches()
    return RunSwitches(
        status_updates=playbook.status_updates.enabled,
        broadcasts=playbook.status_updates.broadcast_enabled,
        retrospective=playbook.retrospective.enabled,
    )


def effective_switches(playbook: Playbook | None, overrides: RunOverrides) -> RunSwitches:
    """The run's switches: its own where it set them, the playbook's elsewhere."""
    default = playbook_switches(playbook)

    def pick(own: bool | None, inherited: bool) -> bool:
        return inherited if own is None else own

    return RunSwitches(
        status_updates=pick(overrides.status_updates, default.status_updates),
        broadcasts=pick(overrides.broadcasts, default.broadcasts),
        retrospective=pick(overrides.retrospective, default.retrospective),
    )


def moved_overrides(own: RunOverrides, before: RunSwitches, wanted: RunSwitches) -> RunOverrides:
    """The run's overrides once it is set to ``wanted``: a switch the person moved becomes the
    run's own; one left alone stays as it was (following the playbook if it did)."""

    def pick(now: bool, was: bool, kept: bool | None) -> bool | None:
        return now if now != was else kept

    return RunOverrides(
        status_updates=pick(wanted.status_updates, before.status_updates, own.status_updates),
        broadcasts=pick(wanted.broadcasts, before.broadcasts, own.broadcasts),
        retrospective=pick(wanted.retrospective, before.retrospective, own.retrospective),
    )


_SWITCH_EVENTS = (
    (
        "status_updates",
        "status updates",
        TimelineEventType.STATUS_UPDATES_ENABLED,
        TimelineEventType.STATUS_UPDATES_DISABLED,
    ),
    ("broadcasts", "broadcasts", TimelineEventType.BROADCASTS_ENABLED, TimelineEventType.BROADCASTS_DISABLED),
    (
        "retrospective",
        "the retrospective",
        TimelineEventType.RETROSPECTIVE_ENABLED,
        TimelineEventType.RETROSPECTIVE_DISABLED,
    ),
)


def switch_events(
    before: RunSwitches, after: RunSwitches, *, actor_id: str, at: datetime
) -> tuple[TimelineEvent, ...]:
    """One timeline event per switch that changed (``@alice turned status updates off``)."""
    events = []
    for attribute, label, on_type, off_type in _SWITCH_EVENTS:
        now_on = getattr(after, attribute)
        if getattr(before, attribute) == now_on:
            continue
        summary = f"{{actor}} turned {label} {'on' if now_on else 'off'} for this run"
        events.append(event(on_type if now_on else off_type, at, actor_id, summary))
    return tuple(events)


class StatusUpdatesOffError(DomainError):
    """``/playbook update`` (or its form) on a run whose status updates are off."""

    def __init__(self, *, by_playbook: bool, trigger: str = "playbook") -> None:
        where = "this run's playbook" if by_playbook else "this run"
        super().__init__(
            f"Status updates are off for {where}, so there is no update to post. "
            f"A participant can turn them on for this run with `/{trigger} settings`."
        )


class RetrospectiveOffError(DomainError):
    """The retrospective form on a run whose retrospective is off."""

    def __init__(self, *, by_playbook: bool, trigger: str = "playbook") -> None:
        where = "this run's playbook" if by_playbook else "this run"
        super().__init__(
            f"The retrospective is off for {where}. "
            f"A participant can turn it on for this run with `/{trigger} settings`."
        )
