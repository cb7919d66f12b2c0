"""Tasks falling due: one scheduled job per dated task, so a run's posts show a task overdue the
moment its due time comes, without anyone touching the run.

The jobs follow every stored change of a run (a lifecycle hook run in the change's transaction,
:func:`sync_jobs`): a new or changed due time (re)schedules the task's job under one key, a
cleared due time, a removed task or a finished run cancels it. The scheduler claims each job on
one replica, and jobs survive restarts in ``scheduled_jobs`` like reminders do. When the job
runs (:func:`fall_due`) the checklist post and the overview are edited to show the task overdue,
and the run channel is told once, mentioning the assignee and the owner, as Playbooks asks
the owner for an overdue status update in the run channel.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.run import Run, RunStatus, is_overdue, iter_items
from bot.domain.run_checklists import task_anywhere
from bot.render.task_forms import task_overdue
from bot.services import run_refresh
from bot.services.context import Services
from bot.services.jobs import Job, cancel_job, schedule_job
from bot.services.posting import KeyedPost, post_once
from bot.services.run_posts import names_for
from storage.repositories.jobs import JobRepository
from storage.repositories.runs import RunRepository

DUE_KIND = "task_due"
RESUME_LIMIT = 200
"""How many of the newest runs in progress get missing due jobs at start-up."""


def due_key(run_id: str, item_id: str) -> str:
    """The job key of one task's due time: one pending job per task."""
    return f"{DUE_KIND}:{run_id}:{item_id}"


def _due_times(run: Run | None) -> dict[str, datetime]:
    """Each dated task's due time by task id; none for a finished run."""
    if run is None or run.is_finished:
        return {}
    return {ref.item.id: ref.item.due_at for ref in iter_items(run) if ref.item.due_at is not None}


async def sync_jobs(services: Services, session: AsyncSession, before: Run | None, after: Run) -> None:
    """Lifecycle: schedule, move or cancel the due jobs of ``after``'s tasks as they changed since
    ``before`` (``None`` for a new run). A due time already past is shown by the posts rendered
    with the change itself, so it needs no job."""
    old, new = _due_times(before), _due_times(after)
    now = services.clock()
    for item_id in old.keys() - new.keys():
        await cancel_job(session, due_key(after.id, item_id))
    for item_id, due in new.items():
        if old.get(item_id) == due:
            continue
        if due <= now:
            await cancel_job(session, due_key(after.id, item_id))
            continue
        await _schedule(session, after.id, item_id, due)


async def _schedule(session: AsyncSession, run_id: str, item_id: str, due: datetime) -> None:
    await schedule_job(
        session,
        kind=DUE_KIND,
        key=due_key(run_id, item_id),
        due_at=due,
        payload={"run_id": run_id, "item_id": item_id, "due_ms": _ms(due)},
    )


async def schedule_missing(services: Services, limit: int = RESUME_LIMIT) -> int:
    """Give the dated tasks of the newest ``limit`` runs in progress the due jobs they lack (runs
    started before tasks had due jobs); how many were scheduled. Safe on every start: a task
    with a pending job keeps it."""
    now = services.clock()
    scheduled = 0
    async with services.transaction() as session:
        runs = await RunRepository(session).list(status=RunStatus.IN_PROGRESS, limit=limit)
        jobs = JobRepository(session)
        for run in runs:
            for item_id, due in _due_times(run).items():
                if due <= now or await jobs.get(due_key(run.id, item_id)) is not None:
                    continue
                await _schedule(session, run.id, item_id, due)
                scheduled += 1
    return scheduled


async def on_run_started(services: Services, session: AsyncSession, run: Run) -> None:
    """Lifecycle: a new run's dated tasks (relative due dates of its playbook) get their jobs."""
    await sync_jobs(services, session, None, run)


async def fall_due(job: Job, services: Services) -> datetime | None:
    """The ``task_due`` job: show the task overdue on the run's posts and tell the run channel.

    A job left behind by a change it no longer matches (another due time, the task checked or
    gone, the run finished) does nothing."""
    run_id = str(job.payload.get("run_id", ""))
    item_id = str(job.payload.get("item_id", ""))
    async with services.transaction() as session:
        run = await RunRepository(session).get(run_id)
    if run is None or run.is_finished:
        return None
    # Found by id wherever it stands now: the task may have moved to another checklist.
    ref = task_anywhere(run, item_id)
    if ref is None or ref.item.due_at is None or _ms(ref.item.due_at) != job.payload.get("due_ms"):
        return None
    await run_refresh.refresh_posts(services, run_id, (ref.checklist.id,))
    if not is_overdue(ref.item, services.clock()):
        return None
    names = await names_for(
        services, {run.owner_id, *([ref.item.assignee_id] if ref.item.assignee_id else [])}
    )
    message = task_overdue(run, ref, names)
    keyed = KeyedPost(job.idempotency_key, run.channel_id, message)
    await post_once(services, keyed, maybe_posted=job.attempts > 1)
    return None


def _ms(at: datetime) -> int:
    """A due time as the job's payload carries it: whole milliseconds, as storage keeps it."""
    return int(at.timestamp() * 1000)
