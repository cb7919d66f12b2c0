"""The text of ``/playbook webhooks`` and of the schedule commands, pinned."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.domain.schedules import RunSchedule
from bot.domain.webhooks import WebhookDelivery
from bot.render.schedules import local_time, schedule_line, schedule_set, schedules_list
from bot.render.webhooks import deliveries_text

AT = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _delivery(**changes: object) -> WebhookDelivery:
    fields: dict[str, object] = {
        "id": "d1",
        "run_id": "r1",
        "playbook_id": "p1",
        "event": "run_created",
        "url": "https://hooks.example.com/in?token=secret",
        "payload": {},
        "complete": True,
        "attempts": 0,
        "created_at": AT,
    }
    fields.update(changes)
    return WebhookDelivery(**fields)  # type: ignore[arg-type]


def test_deliveries_show_state_attempts_status_and_last_error() -> None:
    later = AT + timedelta(seconds=20)
    text = deliveries_text(
        "**Database down**",
        [
            _delivery(
                id="d3",
                event="status_updated",
                attempts=1,
                last_status=500,
                last_error="HTTP 500: boom",
                last_attempt_at=later,
            ),
            _delivery(
                id="d2", attempts=1, last_error="refused: webhooks may not be sent to 10.0.0.1", failed_at=AT
            ),
            _delivery(attempts=2, last_status=200, delivered_at=later),
            _delivery(id="d4"),
        ],
    )
    assert text == (
        "Webhook deliveries for **Database down**, newest first:\n"
        "- :hourglass: retrying — status update → `https://hooks.example.com/in?…`, 1 attempt, HTTP 500, "
        "Nov 23, 09:00 UTC\n"
        "  last error: HTTP 500: boom\n"
        "- :x: failed — run created → `https://hooks.example.com/in?…`, 1 attempt, Nov 23, 09:00 UTC\n"
        "  last error: refused: webhooks may not be sent to 10.0.0.1\n"
        "- :white_check_mark: delivered — run created → `https://hooks.example.com/in?…`, 2 attempts, "
        "HTTP 200, Nov 23, 09:00 UTC (after 1 failed)\n"
        "- :hourglass: pending — run created → `https://hooks.example.com/in?…`, 0 attempts, "
        "Nov 23, 09:00 UTC"
    )


def test_no_deliveries_says_so() -> None:
    assert deliveries_text("**X**", []) == "No webhooks have been sent for **X** yet."


SCHEDULE = RunSchedule(
    id="s1",
    playbook_id="p1",
    team_id="t1",
    owner_id="u1",
    spec='cron "0 9 * * mon"',
    timezone="Europe/Berlin",
    next_run_at=datetime(2026, 11, 30, 8, 0, tzinfo=UTC),
    enabled=True,
    created_at=AT,
)


def test_local_times_name_the_zone() -> None:
    assert local_time(SCHEDULE.next_run_at, "Europe/Berlin") == "Mon Nov 30, 09:00 Europe/Berlin"
    assert local_time(SCHEDULE.next_run_at, "UTC") == "Mon Nov 30, 08:00 UTC"
    assert local_time(SCHEDULE.next_run_at, "Nowhere/Else") == "Nov 30, 08:00 UTC"


def test_schedule_texts() -> None:
    assert schedule_set(SCHEDULE, "Weekly release", "playbook") == (
        'Scheduled **Weekly release** `cron "0 9 * * mon"` (Europe/Berlin). The first run starts '
        "Mon Nov 30, 09:00 Europe/Berlin, owned by you. Schedule id `s1`: `/playbook unschedule s1` stops it."
    )
    stopped = replace(SCHEDULE, enabled=False, last_error="The playbook was deleted.")
    assert schedule_line(stopped, "Weekly release", {}) == (
        '- `s1` **Weekly release** — `cron "0 9 * * mon"` (Europe/Berlin), stopped, set by someone\n'
        "  last time no run started: The playbook was deleted."
    )
    assert schedule_line(SCHEDULE, "", {"u1": "alice"}) == (
        '- `s1` *(a deleted playbook)* — `cron "0 9 * * mon"` (Europe/Berlin), '
        "next Mon Nov 30, 09:00 Europe/Berlin, set by @alice"
    )
    assert schedules_list([], {}, "playbook").startswith("No playbook runs are scheduled in this team.")
