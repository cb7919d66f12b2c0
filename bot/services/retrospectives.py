"""The retrospective after a run: reminders until it is published, the form, and publishing.

Finishing a run whose playbook has retrospectives on schedules a reminder job in the finish's
transaction (:func:`on_run_finished`). The reminder repeats at the playbook's interval (once when
the interval is 0) until the retrospective is published, the run is restored, or retrospectives
are switched off. Publishing stores the report and metric values, records it on the timeline and
cancels the reminder in one transaction, then posts it in the run channel and the broadcast
channels; publishing again edits those posts in place. The retrospective lives in its own table,
so restoring and finishing a run again keeps it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import retrospective as domain
from bot.domain.errors import FormFieldsError
from bot.domain.playbook import Playbook
from bot.domain.retrospective import Retrospective
from bot.domain.run import Run
from bot.domain.run_settings import RetrospectiveOffError
from bot.domain.timeline import retrospective_published
from bot.mattermost.errors import MattermostError
from bot.render import retrospectives as render
from bot.services.context import Services
from bot.services.jobs import Job, cancel_job, schedule_job
from bot.services.posting import KeyedPost, edit_refused, mark_out_of_date, post_once
from bot.services.run_access import RunAction, RunNotVisibleError, require
from bot.services.run_switches import RunRules, run_rules
from storage.repositories.retrospectives import RetrospectiveRepository, StoredRetrospective
from storage.repositories.runs import RunRepository

log = logging.getLogger(__name__)

REMINDER_KIND = "retro_reminder"


def reminder_key(run_id: str) -> str:
    """The key of a run's retrospective reminder job."""
    return f"{REMINDER_KIND}:{run_id}"


class MetricFieldsError(FormFieldsError):
    """Some metric values can't be read; ``errors`` maps each form field to what is wrong."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__(errors, "Some values can't be read: " + " ".join(errors.values()))


@dataclass(frozen=True, slots=True)
class RetroForm:
    """What the dialog needs: the run, its playbook, and the retrospective so far."""

    run: Run
    playbook: Playbook
    current: Retrospective | None


@dataclass(frozen=True, slots=True)
class Published:
    """A publication: the retrospective, and whether it replaced an earlier one."""

    run: Run
    retrospective: Retrospective
    republished: bool


async def start_after_finish(services: Services, session: AsyncSession, run: Run) -> None:
    """Lifecycle hook: a run was finished; start its retrospective (see :func:`on_run_finished`)."""
    await on_run_finished(services, session, run, await run_rules(session, run))


async def on_run_finished(services: Services, session: AsyncSession, run: Run, rules: RunRules) -> None:
    """In the finish's transaction (or when the retrospective is turned on for a finished run):
    start the retrospective's reminders, unless it is off or done."""
    playbook = rules.playbook
    if playbook is None or not rules.switches.retrospective or not run.is_finished:
        return
    stored = await RetrospectiveRepository(session).get(run.id)
    if stored is not None and stored.retrospective.is_published:
        return
    interval = timedelta(seconds=max(playbook.retrospective.reminder_interval_seconds, 0))
    await schedule_job(
        session,
        kind=REMINDER_KIND,
        key=reminder_key(run.id),
        due_at=services.clock() + interval,
        payload={"run_id": run.id},
    )


async def remind(job: Job, services: Services) -> datetime | None:
    """The reminder job: ask the owner in the run channel; due again after the interval."""
    # The interval counts from when the job began, not from when its post was done: the next
    # reminder is not pushed back by a slow post, nor by time that passed while it was sent.
    began = services.clock()
    run_id = str(job.payload.get("run_id", ""))
    async with services.transaction() as session:
        run = await RunRepository(session).get(run_id)
        if run is None or not run.is_finished:
            return None
        rules = await run_rules(session, run)
        playbook = rules.playbook
        if playbook is None or not rules.switches.retrospective:
            return None
        stored = await RetrospectiveRepository(session).get(run_id)
        if stored is not None and stored.retrospective.is_published:
            return None
    names = await services.people.usernames([run.owner_id])
    text, attachments = render.reminder_post(run, names, services.signer, services.action_url)
    keyed = KeyedPost(job.idempotency_key, run.channel_id, text, {"attachments": attachments})
    await post_once(services, keyed, maybe_posted=job.attempts > 1)  # a second attempt may follow a post
    seconds = playbook.retrospective.reminder_interval_seconds
    return began + timedelta(seconds=seconds) if seconds > 0 else None


async def open_form(services: Services, run_id: str, user_id: str) -> RetroForm:
    """The run, playbook and retrospective for the form, if ``user_id`` may publish it."""
    async with services.transaction() as session:
        run = await RunRepository(session).get(run_id)
        if run is None:
            raise RunNotVisibleError()
        await require(services, session, run, user_id, RunAction.CHANGE)
        playbook = await _retrospective_on(services, session, run)
        if not run.is_finished:
            raise domain.RetrospectiveError(
                "Finish the run first: the retrospective looks back on a finished run."
            )
        stored = await RetrospectiveRepository(session).get(run_id)
    return RetroForm(run, playbook, stored.retrospective if stored else None)


async def publish(
    services: Services, run_id: str, user_id: str, *, report: str, raw_values: Mapping[str, str]
) -> Published:
    """Publish (or republish) the retrospective from the form's fields.

    Raises :class:`MetricFieldsError` naming each unreadable value, or another
    :class:`~bot.domain.errors.DomainError` when the person may not publish.
    """
    async with services.transaction() as session:
        run = await RunRepository(session).get(run_id)
        if run is None:
            raise RunNotVisibleError()
        await require(services, session, run, user_id, RunAction.CHANGE)
        playbook = await _retrospective_on(services, session, run)
        broadcast_ids = (await run_rules(session, run)).broadcast_channel_ids
        values, errors = domain.read_metric_values(playbook.metrics, raw_values, render.METRIC_FIELD)
        if errors:
            raise MetricFieldsError(errors)
        repository = RetrospectiveRepository(session)
        stored = await repository.get(run_id)
        at = services.clock()
        retro = domain.publish(
            stored.retrospective if stored else None,
            run_id=run_id,
            run_finished=run.is_finished,
            text=report,
            metric_values=values,
            actor_id=user_id,
            at=at,
        )
        await repository.save(retro, playbook_id=run.playbook_id or None, at=at)
        await RunRepository(session).add_timeline(run_id, retrospective_published(at, user_id))
        await cancel_job(session, reminder_key(run_id))
    await _show(services, run, playbook, retro, stored, broadcast_ids)
    return Published(run, retro, republished=retro.revision > 1)


async def _show(
    services: Services,
    run: Run,
    playbook: Playbook,
    retro: Retrospective,
    stored: StoredRetrospective | None,
    broadcast_ids: tuple[str, ...],
) -> None:
    """Post the retrospective, or edit its earlier posts, in the run and broadcast channels."""
    names = await services.people.usernames([retro.published_by or ""])
    message = render.retrospective_post(run, retro, playbook.metrics, names)
    post_id = await _post_or_edit(services, run.channel_id, message, stored.post_id if stored else None)
    broadcast: dict[str, str] = dict(stored.broadcast_posts) if stored else {}
    for channel_id in broadcast_ids:
        shown = await _post_or_edit(services, channel_id, message, broadcast.get(channel_id))
        if shown is not None:
            broadcast[channel_id] = shown
    async with services.transaction() as session:
        await RetrospectiveRepository(session).set_posts(run.id, post_id, broadcast)


async def _post_or_edit(services: Services, channel_id: str, message: str, post_id: str | None) -> str | None:
    """Edit ``post_id`` to show ``message``, or post it anew; the post's id (``None`` on failure).

    An edit Mattermost refuses (past its edit time limit, or the post is gone) leaves the old
    post marked out of date, so only the new one reads as current."""
    refused = False
    try:
        if post_id:
            try:
                await services.gateway.patch_post(post_id, message=message)
                return post_id
            except MattermostError as error:
                log.info("could not edit retrospective post %s (%s); posting it again", post_id, error)
                refused = edit_refused(error)
        fresh = (await services.gateway.create_post(channel_id, message)).id
        if post_id and refused:
            await mark_out_of_date(services, post_id, "retrospective")
        return fresh
    except MattermostError:
        log.exception("could not show the retrospective in channel %s", channel_id)
        return None


async def _retrospective_on(services: Services, session: AsyncSession, run: Run) -> Playbook:
    """The run's playbook, if its retrospective is on; else :class:`RetrospectiveOffError`."""
    rules = await run_rules(session, run)
    if rules.playbook is None or not rules.switches.retrospective:
        by_playbook = rules.overrides.retrospective is None
        raise RetrospectiveOffError(by_playbook=by_playbook, trigger=services.command_trigger)
    return rules.playbook
