"""Changing a run's switches with ``/playbook settings``: status updates, broadcasts, the
retrospective, on or off for this run alone, its playbook untouched.

A change stores only the switches the person moved (the others keep following the playbook),
records one timeline event per switch, and makes the run's scheduled work follow in the same
transaction: turning status updates off cancels the reminder (the run stops being overdue), on
schedules the next one; turning the retrospective off cancels its reminder, on (for a finished
run) starts it. Broadcasts are read when something is broadcast, so they need nothing scheduled.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.run import Run
from bot.domain.run_settings import RunSwitches, moved_overrides, playbook_switches, switch_events
from bot.domain.timeline import TimelineEvent
from bot.mattermost.errors import MattermostError
from bot.render import run_settings as render
from bot.services import retrospectives, run_refresh, status_updates
from bot.services.context import Services
from bot.services.jobs import cancel_job
from bot.services.run_access import RunAction, RunNotVisibleError, require
from bot.services.run_switches import run_rules
from storage.repositories.run_settings import RunSettingsRepository
from storage.repositories.runs import RunRepository


@dataclass(frozen=True, slots=True)
class SettingsForm:
    """What the settings form shows: the run, its switches, the playbook's, and how many channels
    the playbook broadcasts to."""

    run: Run
    switches: RunSwitches
    playbook: RunSwitches
    broadcast_channels: int


@dataclass(frozen=True, slots=True)
class SettingsChange:
    """A change of switches: the run, the switches before and after, and the timeline events."""

    run: Run
    before: RunSwitches
    after: RunSwitches
    events: tuple[TimelineEvent, ...]


async def open_form(services: Services, run_id: str, user_id: str) -> SettingsForm:
    """The form's content, if ``user_id`` may change the run."""
    async with services.transaction() as session:
        run = await _changeable(services, session, run_id, user_id)
        rules = await run_rules(session, run)
    channels = len(rules.playbook.status_updates.broadcast_channel_ids) if rules.playbook else 0
    return SettingsForm(run, rules.switches, playbook_switches(rules.playbook), channels)


async def change(services: Services, run_id: str, user_id: str, wanted: RunSwitches) -> SettingsChange:
    """Set the run's switches to ``wanted`` as ``user_id``; what changed (no events when nothing)."""
    async with services.transaction() as session:
        run = await _changeable(services, session, run_id, user_id)
        rules = await run_rules(session, run)
        before = rules.switches
        if wanted == before:
            return SettingsChange(run, before, before, ())
        at = services.clock()
        own = moved_overrides(rules.overrides, before, wanted)
        await RunSettingsRepository(session).set(run.id, own, at=at, by=user_id)
        events = switch_events(before, wanted, actor_id=user_id, at=at)
        await RunRepository(session).add_timeline_events(run.id, events)
        if wanted.status_updates != before.status_updates:
            await status_updates.switch_reminders(
                services, session, run, rules.playbook, on=wanted.status_updates
            )
        if wanted.retrospective != before.retrospective:
            if wanted.retrospective:
                await retrospectives.on_run_finished(services, session, run, await run_rules(session, run))
            else:
                await cancel_job(session, retrospectives.reminder_key(run.id))
    run_refresh.schedule_refresh(services, run.id, ())
    run_refresh.spawn(services, _announce(services, run, events), f"settings-{run.id}")
    return SettingsChange(run, before, wanted, events)


async def _announce(services: Services, run: Run, events: tuple[TimelineEvent, ...]) -> None:
    """Tell the run channel what was switched, so nobody wonders where the reminders went."""
    names = await services.people.usernames({e.actor_id for e in events})
    try:
        await services.gateway.create_post(run.channel_id, render.settings_note(events, names))
    except MattermostError:
        # The timeline has the change; the note is a courtesy.
        return


async def _changeable(services: Services, session: AsyncSession, run_id: str, user_id: str) -> Run:
    run = await RunRepository(session).get(run_id)
    if run is None:
        raise RunNotVisibleError()
    await require(services, session, run, user_id, RunAction.CHANGE)
    return run
