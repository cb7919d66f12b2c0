"""The one place that connects the features following a run to the service and to the CLI.

Scheduled-job kinds, run-lifecycle hooks and the gauges read at scrape time are registered here,
and only here, so every way of building :class:`~bot.services.context.Services` — the running
service (:mod:`bot.app`) and the command line (:mod:`bot.cli_playbooks`) — gets the same ones:
a run started from the CLI schedules its reminders and queues its webhooks like one started in
chat. Importing this module does no I/O; :func:`wire` only registers.
"""

from __future__ import annotations

from bot.observability import CountSource, Metrics, active_runs_counter
from bot.scheduler import JobRouter
from bot.services import digests, retrospectives, schedules, status_updates, task_due, webhooks
from bot.services.context import Services
from bot.services.lifecycle import RunLifecycle
from storage.repositories.updates import UpdateRepository


def job_router() -> JobRouter:
    """A router with the handler of every scheduled-job kind."""
    jobs = JobRouter()
    jobs.on(status_updates.REMINDER_KIND)(status_updates.remind)
    jobs.on(status_updates.DELIVERY_KIND)(status_updates.deliver_job)
    jobs.on(digests.DIGEST_KIND)(digests.send_digest)
    jobs.on(retrospectives.REMINDER_KIND)(retrospectives.remind)
    jobs.on(webhooks.JOB_KIND)(webhooks.deliver)
    jobs.on(schedules.JOB_KIND)(schedules.run_due)
    jobs.on(task_due.DUE_KIND)(task_due.fall_due)
    return jobs


def run_lifecycle() -> RunLifecycle:
    """The hooks of a run's life, each moment's in the order they must run."""
    lifecycle = RunLifecycle()
    # Started: the reminder is scheduled before the webhook is queued, and the schedule that
    # started the run (if one did) notes it last — the order the handler modules used to give.
    lifecycle.on_started(status_updates.on_run_started)
    lifecycle.on_started(webhooks.queue_run_created)
    lifecycle.on_started(schedules.note_scheduled_run)
    lifecycle.on_started(task_due.on_run_started)
    lifecycle.on_changed(task_due.sync_jobs)
    lifecycle.on_finished(retrospectives.start_after_finish)
    lifecycle.on_finished(status_updates.on_run_finished)
    lifecycle.on_restored(status_updates.on_run_restored)
    lifecycle.on_update_posted(webhooks.queue_status_updated)
    return lifecycle


def overdue_updates_counter(services: Services) -> CountSource:
    """A source counting the runs whose status update is overdue now, by the rule ``/playbook
    todo`` uses (:meth:`~storage.repositories.updates.UpdateRepository.count_overdue`)."""

    async def count() -> int:
        # The services' clock, not the database's: tests and replicas sharing a clock file
        # must see a run overdue exactly when its reminder falls due.
        now = services.clock()
        async with services.transaction() as session:
            return await UpdateRepository(session).count_overdue(now)

    return count


def add_gauge_sources(metrics: Metrics, services: Services) -> None:
    """Let ``metrics`` count active runs and overdue status updates from the database at scrape time."""
    metrics.add_active_runs_source(active_runs_counter(services.sessions))
    metrics.add_overdue_source(overdue_updates_counter(services))


def wire(services: Services) -> JobRouter:
    """Give ``services`` its lifecycle hooks and (when it has metrics) the gauges' sources; the
    job router a scheduler runs them with.

    Call it once per :class:`Services`: the lifecycle is replaced, but ``services.metrics`` gets
    its sources added again on each call.
    """
    services.lifecycle = run_lifecycle()
    if services.metrics is not None:
        add_gauge_sources(services.metrics, services)
    return job_router()
