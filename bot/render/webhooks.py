"""What ``/playbook webhooks`` shows: the latest deliveries with status, attempts and last error."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.playbook import Playbook
from bot.domain.run import Run
from bot.domain.webhooks import WebhookDelivery, shown_url
from bot.render.runs import format_time, truncate

ERROR_LIMIT = 160
URL_LIMIT = 80

EVENT_NAMES = {"run_created": "run created", "status_updated": "status update"}


def delivery_state(delivery: WebhookDelivery) -> str:
    """``delivered``, ``failed`` (given up), ``retrying`` or ``pending``, with an icon."""
    if delivery.delivered_at is not None:
        return ":white_check_mark: delivered"
    if delivery.failed_at is not None:
        return ":x: failed"
    if delivery.attempts:
        return ":hourglass: retrying"
    return ":hourglass: pending"


def delivery_line(delivery: WebhookDelivery) -> str:
    """One delivery: state, event, address, attempts, last HTTP status and error, when."""
    attempts = "1 attempt" if delivery.attempts == 1 else f"{delivery.attempts} attempts"
    parts = [
        f"{delivery_state(delivery)} — {EVENT_NAMES.get(delivery.event, delivery.event)} → "
        f"`{truncate(shown_url(delivery.url), URL_LIMIT)}`",
        attempts,
    ]
    if delivery.last_status is not None:
        parts.append(f"HTTP {delivery.last_status}")
    when = delivery.delivered_at or delivery.failed_at or delivery.last_attempt_at or delivery.created_at
    parts.append(format_time(when))
    line = f"- {', '.join(parts)}"
    if delivery.last_error and delivery.delivered_at is None:
        line += f"\n  last error: {truncate(' '.join(delivery.last_error.split()), ERROR_LIMIT)}"
    elif delivery.last_error is None and delivery.attempts > 1 and delivery.delivered_at is not None:
        line += f" (after {delivery.attempts - 1} failed)"
    return line


def deliveries_text(subject: str, deliveries: Sequence[WebhookDelivery]) -> str:
    """The deliveries of a run or a playbook (``subject`` names it), newest first."""
    if not deliveries:
        return f"No webhooks have been sent for {subject} yet."
    lines = [f"Webhook deliveries for {subject}, newest first:"]
    lines.extend(delivery_line(delivery) for delivery in deliveries)
    return "\n".join(lines)


def run_subject(run: Run) -> str:
    """A run, as :func:`deliveries_text` names it."""
    return f"**{truncate(run.name, 100)}**"


def playbook_subject(playbook: Playbook) -> str:
    """A playbook's runs, as :func:`deliveries_text` names them."""
    return f"runs of **{truncate(playbook.title, 100)}**"


def no_run_here(trigger: str) -> str:
    """The answer to ``webhooks`` in a channel without a run."""
    return (
        f"This channel has no run. In a run's channel, `/{trigger} webhooks` shows the run's deliveries; "
        f"anywhere, `/{trigger} webhooks PLAYBOOK` shows a playbook's (for its admins)."
    )
