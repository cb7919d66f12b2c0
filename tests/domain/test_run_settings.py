"""A run's own switches: what follows the playbook, what the run sets, and what the timeline says."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.domain.playbook import Playbook
from bot.domain.playbook_settings import RetrospectiveSettings, StatusUpdateSettings
from bot.domain.run_settings import (
    RetrospectiveOffError,
    RunOverrides,
    RunSwitches,
    StatusUpdatesOffError,
    effective_switches,
    moved_overrides,
    playbook_switches,
    switch_events,
)
from bot.domain.timeline import TimelineEventType, render_summary

AT = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
PLAYBOOK = Playbook(
    "p" * 26,
    "t" * 26,
    "Incident",
    status_updates=StatusUpdateSettings(enabled=True, broadcast_enabled=True, broadcast_channel_ids=("c",)),
    retrospective=RetrospectiveSettings(enabled=False),
)


def test_a_run_follows_its_playbook_until_it_sets_a_switch() -> None:
    assert effective_switches(PLAYBOOK, RunOverrides()) == RunSwitches(True, True, False)
    own = RunOverrides(status_updates=False, retrospective=True)
    assert effective_switches(PLAYBOOK, own) == RunSwitches(False, True, True)
    assert playbook_switches(None) == RunSwitches() == effective_switches(None, RunOverrides())


def test_only_the_switches_a_person_moves_stop_following_the_playbook() -> None:
    before = effective_switches(PLAYBOOK, RunOverrides())
    moved = moved_overrides(RunOverrides(), before, RunSwitches(False, True, False))
    assert moved == RunOverrides(status_updates=False)
    again = moved_overrides(moved, RunSwitches(False, True, False), RunSwitches(False, True, True))
    assert again == RunOverrides(status_updates=False, retrospective=True)


def test_each_changed_switch_is_one_timeline_event() -> None:
    before, after = RunSwitches(True, True, False), RunSwitches(False, True, True)
    events = switch_events(before, after, actor_id="alice", at=AT)
    assert [e.type for e in events] == [
        TimelineEventType.STATUS_UPDATES_DISABLED,
        TimelineEventType.RETROSPECTIVE_ENABLED,
    ]
    texts = [render_summary(e, lambda user_id: f"@{user_id}") for e in events]
    assert texts == [
        "@alice turned status updates off for this run",
        "@alice turned the retrospective on for this run",
    ]
    assert switch_events(before, before, actor_id="alice", at=AT) == ()


def test_the_refusals_say_who_switched_it_off_and_how_to_turn_it_on() -> None:
    assert StatusUpdatesOffError(by_playbook=True).message.startswith(
        "Status updates are off for this run's playbook"
    )
    assert "`/playbook settings`" in StatusUpdatesOffError(by_playbook=False).message
    assert RetrospectiveOffError(by_playbook=False).message.startswith(
        "The retrospective is off for this run."
    )
