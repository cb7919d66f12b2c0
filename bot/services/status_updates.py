"""Status updates: posting one, delivering it everywhere once, reminders, snoozes and followers.

Posting stores the update, the run's next due time, its ``status_updated`` timeline event and a
``deliver_update:<id>`` job in one transaction (where the ``update_posted`` lifecycle hooks run
too), then delivers it right away in the background: to the run channel, each broadcast channel
and each follower but the author by direct message. Each delivery is recorded as it is made and
posted under the key ``"<update id>:<target>"`` (:mod:`bot.services.posting`), so the job — due
shortly after, as a safety net for a failure or a restart — only completes what is missing, finding
by its key a post made but never recorded, and nothing is posted twice.

Reminders: when a run starts with status updates on, ``status_reminder:<run id>`` is scheduled
at the playbook's default interval (:func:`on_run_started`). When it falls due the owner is asked
in the run channel, once; the run then shows as overdue until an update or a snooze schedules the
next reminder (:mod:`bot.domain.status` explains why reminders don't repeat). Finishing a run
cancels its reminder, restoring it schedules the next one.

A run whose status updates are off (by its playbook, or for the run with ``/playbook settings``:
:mod:`bot.services.run_switches`) takes no update and is reminded of nothing; broadcasts go out
only while the run's broadcasts are on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import run as run_domain
from bot.domain.playbook import Playbook
from bot.domain.run import Run, RunFinishedError
from bot.domain.run_settings import StatusUpdatesOffError
from bot.domain.status import (
    CUSTOM,
    INTERVAL_CHOICES,
    MAX_UPDATE_LENGTH,
    ReminderState,
    StatusUpdate,
    StatusUpdateError,
    format_reminder_interval,
    interval_from_seconds,
    next_reminder_at,
)
from bot.domain.timeline import status_update_snoozed, status_updated
from bot.mattermost.errors import MattermostError
from bot.render import status as render
from bot.services import run_changes, run_refresh
from bot.services.context import Services
from bot.services.jobs import Job, cancel_job, schedule_job
from bot.services.posting import KeyedPost, post_once
from bot.services.run_access import RunAction, RunNotVisibleError, require
from bot.services.run_posts import names_for, people_of
from bot.services.run_saving import ConcurrentChangeError
from bot.services.run_switches import RunRules, run_rules
from storage.errors import StaleRevisionError
from storage.repositories.playbooks import new_id
from storage.repositories.runs import RunRepository
from storage.repositories.updates import UpdateRepository

log = logging.getLogger(__name__)

REMINDER_KIND = "status_reminder"
DELIVERY_KIND = "deliver_update"
DELIVERY_SAFETY_DELAY = timedelta(seconds=30)
CHANNEL_TARGET = "channel"


def reminder_key(run_id: str) -> str:
    """The key of a run's reminder job."""
    return f"{REMINDER_KIND}:{run_id}"


def delivery_key(update_id: str) -> str:
    """The key of an update's delivery job."""
    return f"{DELIVERY_KIND}:{update_id}"


class DeliveryIncompleteError(Exception):
    """Some targets of an update could not be reached; the delivery job tries again later."""


@dataclass(frozen=True, slots=True)
class UpdateFormValues:
    """What the update dialog is prefilled with."""

    run: Run
    default_message: str
    interval_value: str
    custom_value: str
    broadcast_count: int


# Posting --------------------------------------------------------------------------------------


async def open_form(services: Services, run_id: str, user_id: str) -> UpdateFormValues:
    """The dialog's content, if ``user_id`` may post an update (and the run's status updates are
    on): the last update's text (else the playbook's template) and the run's current interval."""
    async with services.transaction() as session:
        run = await _changeable_run(services, session, run_id, user_id)
        rules = await _updates_on(services, session, run)
        playbook = rules.playbook
        updates = UpdateRepository(session)
        latest = await updates.latest(run_id)
        state = await updates.reminder(run_id)
    template = playbook.status_updates.reminder_message_template if playbook else ""
    value = format_reminder_interval(state.interval if state.enabled else None)
    custom = ""
    if value not in {choice for _, choice in INTERVAL_CHOICES}:
        value, custom = CUSTOM, value
    return UpdateFormValues(
        run=run,
        default_message=latest.message if latest else template,
        interval_value=value,
        custom_value=custom,
        broadcast_count=len(rules.broadcast_channel_ids),
    )


async def post_update(
    services: Services,
    run_id: str,
    user_id: str,
    message: str,
    interval: timedelta | None,
    *,
    finish: bool = False,
) -> StatusUpdate:
    """Store an update of ``run_id`` by ``user_id`` with the next reminder after ``interval``
    (``None``: no reminder), then deliver it in the background. Raises a
    :class:`~bot.domain.errors.DomainError` when the person may not, the run's status updates are
    off, or the text is unusable.

    With ``finish`` the person must also be allowed to finish the run (checked before anything is
    stored); the update is delivered first, then the run finished, so the channel reads them in
    that order."""
    text = message.strip()
    if not text:
        raise StatusUpdateError("Write what changed since the last update: an update can't be empty.")
    if len(text) > MAX_UPDATE_LENGTH:
        raise StatusUpdateError(f"An update can be at most {MAX_UPDATE_LENGTH} characters.")
    async with services.transaction() as session:
        run = await _changeable_run(services, session, run_id, user_id)
        await _updates_on(services, session, run)
        if finish:
            await require(services, session, run, user_id, RunAction.FINISH)
        updates = UpdateRepository(session)
        state = await updates.reminder(run_id)
        at = services.clock()
        due = next_reminder_at(at, interval)
        update = StatusUpdate(new_id(), run_id, user_id, text, at, due)
        await updates.add(update)
        enabled = state.enabled or interval is not None
        await updates.set_reminder(run_id, ReminderState(enabled, interval, due, at))
        await _schedule_reminder(session, run_id, due)
        await RunRepository(session).add_timeline(
            run_id, status_updated(at, user_id, post_id=""), dedup_key=f"status_updated:{update.id}"
        )
        await schedule_job(
            session,
            kind=DELIVERY_KIND,
            key=delivery_key(update.id),
            due_at=at + DELIVERY_SAFETY_DELAY,
            payload={"update_id": update.id},
        )
        await services.lifecycle.status_update_posted(services, session, run, update)
    if finish:
        try:
            await deliver(services, update.id, first_attempt=True)
        except DeliveryIncompleteError as error:
            log.warning("%s; its delivery job completes it", error)  # the run still finishes
        await run_changes.finish_run(services, run_id, actor_id=user_id, confirmed=True)
        return update
    run_refresh.spawn(services, _deliver_and_refresh(services, update.id), f"deliver-update-{update.id}")
    return update


async def _deliver_and_refresh(services: Services, update_id: str) -> None:
    try:
        await deliver(services, update_id, first_attempt=True)
    finally:
        async with services.transaction() as session:
            update = await UpdateRepository(session).get(update_id)
        if update is not None:
            await run_refresh.refresh_posts(services, update.run_id, ())


async def deliver(services: Services, update_id: str, *, first_attempt: bool = False) -> None:
    """Post the update wherever it has not been posted yet; raises
    :class:`DeliveryIncompleteError` when a target could not be reached.

    Unless ``first_attempt`` (the delivery right after posting), a target without a recorded post
    may have got one from an attempt that stopped before recording it: it is looked up first."""
    async with services.transaction() as session:
        updates = UpdateRepository(session)
        update = await updates.get(update_id)
        if update is None:
            return
        run = await RunRepository(session).get(update.run_id)
        if run is None:
            return
        broadcast_ids = (await run_rules(session, run)).broadcast_channel_ids
        done = await updates.delivered(update_id)
    names = await names_for(services, {update.author_id, *people_of(run)})
    post = render.update_post(run, update, names)
    targets: list[tuple[str, str | None]] = [(CHANNEL_TARGET, run.channel_id)]
    targets += [(f"broadcast:{channel_id}", channel_id) for channel_id in broadcast_ids]
    targets += [(f"dm:{user_id}", None) for user_id in run.follower_ids if user_id != update.author_id]
    failed = []
    for target, channel_id in targets:
        if target in done:
            continue
        try:
            if channel_id is None:
                channel_id = (await services.gateway.direct_channel(target.removeprefix("dm:"))).id
                shown = render.update_dm(run, update, names, await _channel_name(services, run))
            else:
                shown = post
            keyed = KeyedPost(f"{update_id}:{target}", channel_id, shown["message"], shown["props"])
            created = await post_once(services, keyed, maybe_posted=not first_attempt)
        except MattermostError as error:
            log.warning("could not deliver update %s to %s: %s", update_id, target, error)
            failed.append(target)
            continue
        async with services.transaction() as session:
            await UpdateRepository(session).mark_delivered(update_id, target, created.id)
    if failed:
        raise DeliveryIncompleteError(f"update {update_id} did not reach {', '.join(failed)}")


async def deliver_job(job: Job, services: Services) -> datetime | None:
    """The ``deliver_update`` job: complete the update's delivery (raising retries it later)."""
    await deliver(services, str(job.payload.get("update_id", "")))
    return None


# Reminders ------------------------------------------------------------------------------------


async def remind(job: Job, services: Services) -> datetime | None:
    """The ``status_reminder`` job: ask the owner for an update in the run channel, once."""
    run_id = str(job.payload.get("run_id", ""))
    now = services.clock()
    async with services.transaction() as session:
        run = await RunRepository(session).get(run_id)
        state = await UpdateRepository(session).reminder(run_id)
        switched_on = run is not None and (await run_rules(session, run)).switches.status_updates
    due = state.next_due_at
    if run is None or run.is_finished or not switched_on or not state.enabled or due is None or due > now:
        return None
    names = await names_for(services, [run.owner_id])
    post = render.reminder_post(run, names, due, services.signer, services.action_url)
    keyed = KeyedPost(job.idempotency_key, run.channel_id, post["message"], post["props"])
    await post_once(services, keyed, maybe_posted=job.attempts > 1)  # a second attempt may follow a post
    if services.metrics is not None:
        services.metrics.reminders_sent.inc()
    run_refresh.schedule_refresh(services, run_id, ())
    return None


async def snooze(services: Services, run_id: str, user_id: str, delay: timedelta) -> tuple[Run, datetime]:
    """Put the run's next reminder off until ``delay`` from now; the run and the new due time."""
    if delay <= timedelta(0):
        raise StatusUpdateError("A snooze must last a while.")
    async with services.transaction() as session:
        run = await _changeable_run(services, session, run_id, user_id)
        updates = UpdateRepository(session)
        state = await updates.reminder(run_id)
        if not state.enabled:
            raise StatusUpdateError("Status update reminders are off for this run.")
        at = services.clock()
        until = at + delay
        await updates.set_reminder(run_id, replace(state, next_due_at=until))
        await _schedule_reminder(session, run_id, until)
        await RunRepository(session).add_timeline(run_id, status_update_snoozed(at, user_id, until=until))
    run_refresh.schedule_refresh(services, run_id, ())
    return run, until


async def on_run_started(services: Services, session: AsyncSession, run: Run) -> None:
    """Lifecycle: with status updates on, the first reminder after the playbook's default."""
    rules = await run_rules(session, run)
    if rules.playbook is None or not rules.switches.status_updates:
        return
    interval = interval_from_seconds(rules.playbook.status_updates.reminder_timer_default_seconds)
    due = next_reminder_at(services.clock(), interval)
    await UpdateRepository(session).set_reminder(run.id, ReminderState(True, interval, due))
    await _schedule_reminder(session, run.id, due)


async def switch_reminders(
    services: Services, session: AsyncSession, run: Run, playbook: Playbook | None, *, on: bool
) -> None:
    """Status updates were turned on or off for the run: its reminders follow, in the caller's
    transaction. Off cancels the reminder job, and the run is no longer overdue; on (in a run in
    progress) schedules the next reminder one interval from now — the run's interval, else the
    playbook's default."""
    updates = UpdateRepository(session)
    state = await updates.reminder(run.id)
    if not on:
        await updates.set_reminder(run.id, replace(state, enabled=False, next_due_at=None))
        await cancel_job(session, reminder_key(run.id))
        return
    interval = state.interval
    if interval is None and playbook is not None:
        interval = interval_from_seconds(playbook.status_updates.reminder_timer_default_seconds)
    due = None if run.is_finished else next_reminder_at(services.clock(), interval)
    await updates.set_reminder(run.id, replace(state, enabled=True, interval=interval, next_due_at=due))
    await _schedule_reminder(session, run.id, due)


async def on_run_finished(services: Services, session: AsyncSession, run: Run) -> None:
    """Lifecycle: a finished run is reminded of nothing."""
    updates = UpdateRepository(session)
    state = await updates.reminder(run.id)
    if state.next_due_at is not None:
        await updates.set_reminder(run.id, replace(state, next_due_at=None))
    await cancel_job(session, reminder_key(run.id))


async def on_run_restored(services: Services, session: AsyncSession, run: Run) -> None:
    """Lifecycle: a restored run is due for an update one interval from now."""
    updates = UpdateRepository(session)
    state = await updates.reminder(run.id)
    if not state.enabled or state.interval is None:
        return
    due = services.clock() + state.interval
    await updates.set_reminder(run.id, replace(state, next_due_at=due))
    await _schedule_reminder(session, run.id, due)


async def _schedule_reminder(session: AsyncSession, run_id: str, due: datetime | None) -> None:
    if due is None:
        await cancel_job(session, reminder_key(run_id))
        return
    await schedule_job(
        session, kind=REMINDER_KIND, key=reminder_key(run_id), due_at=due, payload={"run_id": run_id}
    )


# Followers ------------------------------------------------------------------------------------


async def set_following(services: Services, run_id: str, user_id: str, *, follow: bool) -> tuple[Run, bool]:
    """Follow (or stop following) a run ``user_id`` may see; the run and whether it already was so."""
    for _attempt in range(2):
        async with services.transaction() as session:
            runs = RunRepository(session)
            before = await runs.get(run_id)
            if before is None:
                raise RunNotVisibleError()
            await require(services, session, before, user_id, RunAction.VIEW)
            change = run_domain.follow(before, user_id) if follow else run_domain.unfollow(before, user_id)
            if change.already:
                return before, True
            try:
                await runs.save(change.run, expected_revision=before.revision)
            except StaleRevisionError:
                continue
            return change.run, False
    raise ConcurrentChangeError()


# Internals ------------------------------------------------------------------------------------


async def _changeable_run(services: Services, session: AsyncSession, run_id: str, user_id: str) -> Run:
    run = await RunRepository(session).get(run_id)
    if run is None:
        raise RunNotVisibleError()
    await require(services, session, run, user_id, RunAction.CHANGE)
    if run.is_finished:
        raise RunFinishedError()
    return run


async def _updates_on(services: Services, session: AsyncSession, run: Run) -> RunRules:
    """The run's rules, if its status updates are on; else :class:`StatusUpdatesOffError`."""
    rules = await run_rules(session, run)
    if not rules.switches.status_updates:
        by_playbook = rules.overrides.status_updates is None
        raise StatusUpdatesOffError(by_playbook=by_playbook, trigger=services.command_trigger)
    return rules


async def _channel_name(services: Services, run: Run) -> str:
    try:
        return (await services.gateway.channel(run.channel_id)).name
    except MattermostError:
        return ""
