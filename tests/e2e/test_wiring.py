"""The one wiring of job kinds, run hooks and gauges (:mod:`bot.services.wiring`), seen through
what people and operators see: ``/metrics`` counting a late status update, and a run started
through the CLI's services getting the same reminders as one started in chat.

Time moves with the harness's fake clock and ``harness.tick()`` runs what fell due; nothing sleeps.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.cli_playbooks import bot_services
from bot.services import digests, retrospectives, schedules, status_updates, task_due, webhooks
from bot.services.playbooks import find_playbook
from bot.services.run_start import start_run
from bot.services.wiring import job_router, run_lifecycle

from .conftest import Harness
from .test_operations import request
from .test_run_interactions import seed_incident_playbook

OVERDUE_GAUGE = "playbooks_overdue_status_updates"
REMINDER_TEXT = "please post a status update"
UPDATE_INTERVAL = timedelta(hours=1)  # the starter incident playbook's status update interval


async def overdue_gauge(harness: Harness) -> str:
    """The gauge's value as ``GET /metrics`` shows it to Prometheus."""
    status, body = await request(harness, "GET", "/metrics")
    assert status == 200
    values = [line.split()[1] for line in body.splitlines() if line.startswith(f"{OVERDUE_GAUGE} ")]
    assert len(values) == 1, body
    return values[0]


async def bot_posts(harness: Harness, channel_id: str) -> list[dict[str, Any]]:
    assert harness.bot.services is not None
    bot_id = harness.bot.services.bot.id
    return [post for post in await harness.alice.channel_posts(channel_id) if post["user_id"] == bot_id]


async def test_the_overdue_gauge_counts_a_run_whose_status_update_is_late(harness: Harness) -> None:
    await seed_incident_playbook(harness)
    await harness.command(harness.alice, '/playbook run "Incident Response" Database down')
    await harness.settle()
    assert await overdue_gauge(harness) == "0.0"

    harness.clock.advance(UPDATE_INTERVAL - timedelta(minutes=1))
    await harness.tick()
    assert await overdue_gauge(harness) == "0.0"

    harness.clock.advance(timedelta(minutes=2))
    await harness.tick()
    assert await overdue_gauge(harness) == "1.0"
    # The gauge and the owner's to-do list agree on what is overdue.
    todo = (await harness.command(harness.alice, "/playbook todo"))["text"]
    assert "Overdue status updates" in todo
    assert "Database down" in todo

    # Finishing the run ends its overdue update.
    channels = await harness.alice.my_channels(harness.team_id)
    channel_id = next(c["id"] for c in channels if "database-down" in c["name"])
    overview = next(p for p in await bot_posts(harness, channel_id) if p["message"].startswith("#### INC-"))
    await harness.alice.click(overview["id"], "finish")
    dialog = await harness.alice.next_dialog()
    assert await harness.alice.submit_dialog(dialog, {}, channel_id=channel_id) == {}
    await harness.settle()
    assert await overdue_gauge(harness) == "0.0"


async def test_the_cli_and_the_service_are_wired_alike(harness: Harness) -> None:
    assert harness.bot.services is not None
    assert harness.bot.scheduler is not None
    service_kinds = set(harness.bot.scheduler.router.handlers)
    assert service_kinds == set(job_router().handlers)
    assert service_kinds == {
        status_updates.REMINDER_KIND,
        status_updates.DELIVERY_KIND,
        digests.DIGEST_KIND,
        retrospectives.REMINDER_KIND,
        webhooks.JOB_KIND,
        task_due.DUE_KIND,
        schedules.JOB_KIND,
    }
    async with bot_services(harness.bot.settings) as cli:
        assert cli.lifecycle == harness.bot.services.lifecycle == run_lifecycle()
    assert run_lifecycle().started  # not two empty lifecycles


async def test_a_run_started_through_the_cli_services_gets_its_reminder(harness: Harness) -> None:
    await seed_incident_playbook(harness)
    alice_id = await harness.alice.my_id()
    async with bot_services(harness.bot.settings) as cli:
        cli.clock = harness.clock  # the service's scheduler and the run must agree on the time
        playbook = await find_playbook(cli, alice_id, harness.team_id, "Incident Response")
        started = await start_run(
            cli,
            playbook=playbook,
            user_id=alice_id,
            team_id=harness.team_id,
            name="Disk full",
            summary=None,
            trigger_channel_id=harness.town_square_id,
        )
    await harness.settle()

    harness.clock.advance(UPDATE_INTERVAL)
    assert await harness.tick() >= 1
    reminders = [p for p in await bot_posts(harness, started.run.channel_id) if REMINDER_TEXT in p["message"]]
    assert len(reminders) == 1
    assert await overdue_gauge(harness) == "1.0"
