"""Outgoing webhooks: queued with the run or update that calls for them, sent by the scheduler.

Each delivery is a row and a job (``webhook:<delivery id>``), both written in the transaction
that stores the run or the status update, so a delivery exists exactly when its event does.
The job sends it: a signed JSON POST (see :mod:`bot.domain.webhooks`) to an address vetted by
:mod:`bot.net`, without following redirects, within :data:`REQUEST_TIMEOUT`. A 2xx answer
delivers it; anything else is recorded and raised, so the scheduler retries with backoff until
its attempts run out. An address that may never be called (loopback, private networks, unless
``allow_private_webhook_addresses``) is recorded as refused and not retried.

The signing key and signatures are never logged; URLs are logged and shown without their query.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import aiohttp
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.errors import DomainError
from bot.domain.playbook import Playbook
from bot.domain.playbook_access import can_edit
from bot.domain.run import Run
from bot.domain.status import StatusUpdate
from bot.domain.webhooks import (
    WebhookDelivery,
    WebhookEvent,
    channel_url,
    delivery_headers,
    people_in,
    run_created_payload,
    shown_url,
    status_updated_payload,
    with_links,
)
from bot.mattermost.errors import MattermostError
from bot.net import UnsafeTargetError, pinned_connector, resolve_public_target
from bot.scheduler import MAX_ATTEMPTS
from bot.services.jobs import Job, schedule_job
from bot.services.playbooks import find_playbook
from bot.services.run_access import RunAction, require
from storage.repositories.playbooks import PlaybookRepository, new_id
from storage.repositories.runs import RunRepository
from storage.repositories.webhooks import WebhookRepository

from .context import Services

log = logging.getLogger(__name__)

JOB_KIND = "webhook"
REQUEST_TIMEOUT = 10.0
MAX_RESPONSE_BYTES = 4096
SHOWN_RESPONSE_CHARACTERS = 200
RECENT_DELIVERIES = 20


class WebhookDeliveryError(Exception):
    """An attempt that did not deliver; the message (status, reason) is safe to log and show."""


def job_key(delivery_id: str) -> str:
    """The scheduler key of a delivery's job."""
    return f"{JOB_KIND}:{delivery_id}"


# Queueing, inside the event's transaction -------------------------------------------------------


async def queue_run_created(services: Services, session: AsyncSession, run: Run) -> None:
    """Lifecycle hook: queue the playbook's creation webhooks for a run just stored."""
    playbook = await _playbook(session, run)
    if playbook is None or not playbook.creation_webhooks.enabled:
        return
    for url in dict.fromkeys(playbook.creation_webhooks.urls):
        delivery_id = new_id()
        payload = run_created_payload(run, delivery_id=delivery_id)
        await _queue(services, session, run, WebhookEvent.RUN_CREATED, url, delivery_id, payload)


async def queue_status_updated(
    services: Services, session: AsyncSession, run: Run, update: StatusUpdate
) -> None:
    """Lifecycle hook: queue the playbook's status-update webhooks for an update just stored."""
    playbook = await _playbook(session, run)
    if playbook is None or not playbook.status_updates.webhooks.enabled:
        return
    for url in dict.fromkeys(playbook.status_updates.webhooks.urls):
        delivery_id = new_id()
        payload = status_updated_payload(run, update, delivery_id=delivery_id)
        await _queue(services, session, run, WebhookEvent.STATUS_UPDATED, url, delivery_id, payload)


async def _playbook(session: AsyncSession, run: Run) -> Playbook | None:
    record = await PlaybookRepository(session).get_record(run.playbook_id, include_deleted=True)
    return None if record is None else record.playbook


async def _queue(
    services: Services,
    session: AsyncSession,
    run: Run,
    event: WebhookEvent,
    url: str,
    delivery_id: str,
    payload: Mapping[str, Any],
) -> None:
    now = services.clock()
    await WebhookRepository(session).add(
        delivery_id=delivery_id,
        run_id=run.id,
        playbook_id=run.playbook_id,
        event=event.value,
        url=url,
        payload=payload,
        now=now,
    )
    await schedule_job(
        session, kind=JOB_KIND, key=job_key(delivery_id), due_at=now, payload={"delivery_id": delivery_id}
    )


# Sending, as a scheduled job ---------------------------------------------------------------------


async def deliver(job: Job, services: Services) -> datetime | None:
    """Job handler: send one delivery. Raises on a failed attempt so the scheduler retries it."""
    delivery_id = str(job.payload.get("delivery_id", ""))
    async with services.transaction() as session:
        delivery = await WebhookRepository(session).get(delivery_id)
    if delivery is None or delivery.settled:
        return None
    last_attempt = job.attempts >= MAX_ATTEMPTS
    try:
        payload = delivery.payload if delivery.complete else await _completed_payload(services, delivery)
        target = await resolve_public_target(
            delivery.url, allow_private=services.allow_private_webhook_addresses
        )
    except UnsafeTargetError as error:
        # Never allowed: record it and stop, since retrying cannot change the answer.
        log.warning("webhook %s to %s refused: %s", delivery.id, shown_url(delivery.url), error)
        await _record(services, delivery, status=None, error=f"refused: {error}", gave_up=True)
        return None
    except Exception as error:
        await _record(services, delivery, status=None, error=_reason(error), gave_up=last_attempt)
        raise
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    headers = delivery_headers(
        body,
        services.webhook_key,
        event=delivery.event,
        delivery_id=delivery.id,
        timestamp=int(services.clock().timestamp()),
    )
    status: int | None = None
    try:
        timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
        async with (
            aiohttp.ClientSession(connector=pinned_connector(target), timeout=timeout) as http,
            http.post(target.url, data=body, headers=headers, allow_redirects=False) as response,
        ):
            status = response.status
            answer = await response.content.read(MAX_RESPONSE_BYTES)
        if not 200 <= status < 300:
            raise WebhookDeliveryError(f"HTTP {status}{_excerpt(answer)}")
    except Exception as error:
        reason = _reason(error)
        log.warning(
            "webhook %s to %s failed (attempt %d): %s",
            delivery.id,
            shown_url(delivery.url),
            job.attempts,
            reason,
        )
        await _record(services, delivery, status=status, error=reason, gave_up=last_attempt)
        raise WebhookDeliveryError(reason) from error
    await _record(services, delivery, status=status, error=None, delivered=True)
    log.info("webhook %s (%s) delivered to %s", delivery.id, delivery.event, shown_url(delivery.url))
    return None


async def _completed_payload(services: Services, delivery: WebhookDelivery) -> Mapping[str, Any]:
    """The body with the channel's name and address and people's usernames, stored so every
    attempt sends the same bytes."""
    channel = await services.gateway.channel(str(delivery.payload["run"]["channel"]["id"]))
    team = await services.gateway.team(channel.team_id)
    names = await services.people.usernames(people_in(delivery.payload))
    payload = with_links(
        delivery.payload,
        channel_name=channel.name,
        channel_url=channel_url(services.site_url, team.name, channel.name),
        usernames=names,
    )
    async with services.transaction() as session:
        await WebhookRepository(session).complete_payload(delivery.id, payload)
    return payload


async def _record(
    services: Services,
    delivery: WebhookDelivery,
    *,
    status: int | None,
    error: str | None,
    delivered: bool = False,
    gave_up: bool = False,
) -> None:
    async with services.transaction() as session:
        await WebhookRepository(session).record_attempt(
            delivery.id, at=services.clock(), status=status, error=error, delivered=delivered, gave_up=gave_up
        )
    if gave_up:
        counter = getattr(services.metrics, "webhook_failures", None)
        if counter is not None:
            counter.inc()


def _reason(error: Exception) -> str:
    if isinstance(error, WebhookDeliveryError):
        return str(error)
    if isinstance(error, TimeoutError):
        return f"no answer within {REQUEST_TIMEOUT:g} s"
    if isinstance(error, MattermostError):
        return f"couldn't read the run's channel from Mattermost: {error}"
    # aiohttp's messages can hold the full URL; the exception's type and the host suffice.
    if isinstance(error, aiohttp.ClientConnectorError):
        return f"couldn't connect ({error.os_error.strerror or type(error.os_error).__name__})"
    if isinstance(error, aiohttp.ClientError):
        return f"request failed ({type(error).__name__})"
    return str(error) or type(error).__name__


def _excerpt(answer: bytes) -> str:
    text = " ".join(answer.decode("utf-8", "replace").split())
    if not text:
        return ""
    if len(text) > SHOWN_RESPONSE_CHARACTERS:
        text = text[: SHOWN_RESPONSE_CHARACTERS - 1] + "…"
    return f": {text}"


# Looking at deliveries ---------------------------------------------------------------------------


async def deliveries_of_channel_run(
    services: Services, user_id: str, channel_id: str
) -> tuple[Run, list[WebhookDelivery]] | None:
    """The run of ``channel_id`` and its latest deliveries, for its participants (and system
    admins); ``None`` when the channel has no run. Raises a ``RunAccessError`` for others."""
    async with services.transaction() as session:
        run = await RunRepository(session).get_by_channel(channel_id)
        if run is None:
            return None
        await require(services, session, run, user_id, RunAction.CHANGE)
        return run, await WebhookRepository(session).recent_for_run(run.id, RECENT_DELIVERIES)


class NotPlaybookAdminError(DomainError):
    """Only the playbook's admins may look at its deliveries."""

    def __init__(self) -> None:
        super().__init__("Only the playbook's admins can see its webhook deliveries.")


async def deliveries_of_playbook(
    services: Services, user_id: str, team_id: str, name: str
) -> tuple[Playbook, list[WebhookDelivery]]:
    """The playbook called ``name`` and the latest deliveries of its runs, for its admins.

    Raises the playbook look-up's ``DomainError`` or :class:`NotPlaybookAdminError`.
    """
    playbook = await find_playbook(services, user_id, team_id, name)
    allowed = can_edit(
        playbook,
        user_id,
        is_team_member=await services.people.is_team_member(playbook.team_id, user_id),
        is_system_admin=await services.people.is_system_admin(user_id),
    )
    if not allowed:
        raise NotPlaybookAdminError()
    async with services.transaction() as session:
        return playbook, await WebhookRepository(session).recent_for_playbook(playbook.id, RECENT_DELIVERIES)
