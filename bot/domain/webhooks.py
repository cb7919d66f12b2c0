"""Outgoing webhooks: what is sent, and how receivers know it came from us.

A delivery is a JSON object describing one event of a run (``run_created``, ``status_updated``):
the run, the status update if there is one, and the person who caused the event. The body of a
delivery never changes between attempts, so a receiver can compare bodies as well as ids.

Each request carries three headers:

* ``X-Playbooks-Event``: the event type;
* ``X-Playbooks-Delivery``: the delivery's id, the same for every attempt, so receivers can
  drop duplicates;
* ``X-Playbooks-Signature``: ``t=<unix seconds>,v1=<hex HMAC-SHA256(key, "<t>.<body>")>``. The
  timestamp is that of the attempt; receivers refuse signatures older than a few minutes, which
  stops an intercepted request being replayed later. :func:`verify_signature` checks one.

Everything here is pure: times are passed in, nothing is read from the clock unless the caller
leaves ``now`` out of :func:`verify_signature`.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import quote, urlsplit

from bot.domain.run import Run
from bot.domain.status import StatusUpdate

SIGNATURE_HEADER = "X-Playbooks-Signature"
EVENT_HEADER = "X-Playbooks-Event"
DELIVERY_HEADER = "X-Playbooks-Delivery"
SIGNATURE_VERSION = "v1"
DEFAULT_TOLERANCE = timedelta(minutes=5)
PAYLOAD_VERSION = 1


class WebhookEvent(StrEnum):
    """What happened to the run."""

    RUN_CREATED = "run_created"
    STATUS_UPDATED = "status_updated"


def iso(at: datetime | None) -> str | None:
    """``2026-11-23T09:00:00Z``: a time in UTC, to the second, as receivers parse it everywhere."""
    if at is None:
        return None
    return at.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _person(user_id: str) -> dict[str, Any]:
    # The username is filled in when the delivery is first sent (see with_links).
    return {"id": user_id, "username": None}


def _run(run: Run) -> dict[str, Any]:
    return {
        "id": run.id,
        "name": run.name,
        "sequential_id": run.sequential_id,
        "playbook_id": run.playbook_id,
        "team_id": run.team_id,
        "channel": {"id": run.channel_id, "name": None, "url": None},
        "owner": _person(run.owner_id),
        "status": run.status.value,
        "summary": run.summary,
        "created_at": iso(run.created_at),
        "finished_at": iso(run.finished_at),
    }


def run_created_payload(run: Run, *, delivery_id: str) -> dict[str, Any]:
    """The body announcing a new run; the actor is the person who started it."""
    return {
        "version": PAYLOAD_VERSION,
        "event": WebhookEvent.RUN_CREATED.value,
        "delivery_id": delivery_id,
        "at": iso(run.created_at),
        "run": _run(run),
        "update": None,
        "actor": _person(run.reporter_id),
    }


def status_updated_payload(run: Run, update: StatusUpdate, *, delivery_id: str) -> dict[str, Any]:
    """The body of a status update; the actor is the person who posted it."""
    return {
        "version": PAYLOAD_VERSION,
        "event": WebhookEvent.STATUS_UPDATED.value,
        "delivery_id": delivery_id,
        "at": iso(update.posted_at),
        "run": _run(run),
        "update": {
            "id": update.id,
            "message": update.message,
            "posted_at": iso(update.posted_at),
            "next_reminder_at": iso(update.next_reminder_at),
        },
        "actor": _person(update.author_id),
    }


def people_in(payload: Mapping[str, Any]) -> set[str]:
    """The user ids a payload names (the run's owner and the actor)."""
    ids = {str(payload["actor"]["id"]), str(payload["run"]["owner"]["id"])}
    ids.discard("")
    return ids


def with_links(
    payload: Mapping[str, Any], *, channel_name: str, channel_url: str, usernames: Mapping[str, str]
) -> dict[str, Any]:
    """A copy of ``payload`` with the run channel's name and address and people's usernames."""
    run = dict(payload["run"])
    run["channel"] = {**run["channel"], "name": channel_name, "url": channel_url}
    owner_id = run["owner"]["id"]
    run["owner"] = {"id": owner_id, "username": usernames.get(owner_id)}
    actor_id = payload["actor"]["id"]
    return {**payload, "run": run, "actor": {"id": actor_id, "username": usernames.get(actor_id)}}


def channel_url(site_url: str, team_name: str, channel_name: str) -> str:
    """The address people open a channel at: ``https://chat.example.com/acme/channels/ops``."""
    return f"{site_url.rstrip('/')}/{quote(team_name)}/channels/{quote(channel_name)}"


def shown_url(url: str) -> str:
    """The URL without credentials, query or fragment, which often carry tokens: safe to show."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(invalid URL)"
    if ":" in host:
        host = f"[{host}]"
    hidden = "?…" if parts.query else ""
    return f"{parts.scheme}://{host}{port}{parts.path}{hidden}"


# Signatures -------------------------------------------------------------------------------------


def _digest(body: bytes, key: bytes, timestamp: int) -> str:
    signed = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(key, signed, hashlib.sha256).hexdigest()


def signature_header(body: bytes, key: bytes, timestamp: int) -> str:
    """The ``X-Playbooks-Signature`` value for ``body`` sent at ``timestamp`` (Unix seconds)."""
    return f"t={timestamp},{SIGNATURE_VERSION}={_digest(body, key, timestamp)}"


def delivery_headers(
    body: bytes, key: bytes, *, event: str, delivery_id: str, timestamp: int
) -> dict[str, str]:
    """Every header of one attempt: content type, event, delivery id and signature."""
    return {
        "Content-Type": "application/json",
        EVENT_HEADER: event,
        DELIVERY_HEADER: delivery_id,
        SIGNATURE_HEADER: signature_header(body, key, timestamp),
    }


def verify_signature(
    body: bytes,
    header: str,
    key: bytes,
    tolerance: timedelta | float = DEFAULT_TOLERANCE,
    *,
    now: float | None = None,
) -> bool:
    """Whether ``header`` (an ``X-Playbooks-Signature`` value) signs ``body`` with ``key``, at a
    time within ``tolerance`` (a timedelta or seconds) of ``now`` (Unix seconds; the current time
    when left out). Compare against the raw body as received, before parsing it.

    Several ``v1=`` values are accepted (any one may match), so keys can be rotated.
    """
    limit = tolerance.total_seconds() if isinstance(tolerance, timedelta) else float(tolerance)
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        name, separator, value = part.strip().partition("=")
        if not separator:
            return False
        if name == "t":
            if timestamp is not None or not value.isdigit():
                return False
            timestamp = int(value)
        elif name == SIGNATURE_VERSION:
            signatures.append(value)
    if timestamp is None or not signatures:
        return False
    current = time.time() if now is None else now
    if abs(current - timestamp) > limit:
        return False
    expected = _digest(body, key, timestamp).encode("ascii")
    # Bytes, so a header with non-ASCII text is simply a mismatch (compare_digest refuses such str).
    return any(
        hmac.compare_digest(expected, candidate.encode("utf-8", "replace")) for candidate in signatures
    )


@dataclass(frozen=True, slots=True)
class WebhookDelivery:
    """One event for one URL, and how sending it went so far."""

    id: str
    run_id: str
    playbook_id: str
    event: str
    url: str
    payload: Mapping[str, Any]
    complete: bool
    attempts: int
    created_at: datetime
    last_status: int | None = None
    last_error: str | None = None
    last_attempt_at: datetime | None = None
    delivered_at: datetime | None = None
    failed_at: datetime | None = None

    @property
    def settled(self) -> bool:
        """Delivered, or given up on: nothing more will be sent."""
        return self.delivered_at is not None or self.failed_at is not None
