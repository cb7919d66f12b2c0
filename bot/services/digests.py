"""A person's to-do list — runs overdue for an update, open tasks — and the morning digest.

The digest is one ``digest:<user id>`` job per person who switched it on, due at the next 08:00
in the time zone of their Mattermost profile (UTC when they have none), read afresh each time so
a move or a daylight-saving change is followed. The job sends the list as one direct message,
under the job's idempotency key (:mod:`bot.services.posting`) so a retry never sends it twice, and
returns the next morning. A bot that was down over several mornings sends one digest, not many.
"""

from __future__ import annotations

from datetime import datetime

from bot.domain.run import RunStatus, open_items_for
from bot.domain.status import ActiveRun, OverdueRun, Todo, TodoTask, next_morning, order_overdue, order_tasks
from bot.mattermost.errors import MattermostError
from bot.render import status as render
from bot.services.context import Services
from bot.services.jobs import Job, cancel_job, schedule_job
from bot.services.posting import KeyedPost, post_once
from storage.repositories.runs import RunRepository
from storage.repositories.updates import UpdateRepository

DIGEST_KIND = "digest"


def digest_key(user_id: str) -> str:
    """The key of a person's digest job."""
    return f"{DIGEST_KIND}:{user_id}"


async def todo_for(services: Services, user_id: str) -> Todo:
    """What ``user_id`` has to do now: owned runs overdue for an update, and open tasks assigned
    to them in runs in progress (overdue first); and the runs in progress they take part in."""
    now = services.clock()
    async with services.transaction() as session:
        runs = await RunRepository(session).list(status=RunStatus.IN_PROGRESS, participant_id=user_id)
        overdue = await UpdateRepository(session).overdue_owned_by(user_id, now)
    by_id = {run.id: run for run in runs}
    channels = await _channel_names(services, {run.channel_id for run in runs})
    late = [
        OverdueRun(run_id, by_id[run_id].name, channels.get(by_id[run_id].channel_id, ""), due)
        for run_id, due in overdue
        if run_id in by_id
    ]
    tasks = [
        TodoTask(
            run_id=run.id,
            run_name=run.name,
            channel_name=channels.get(run.channel_id, ""),
            number=f"{ref.checklist_no}.{ref.item_no}",
            title=ref.item.title,
            due_at=ref.item.due_at,
        )
        for run in sorted(runs, key=lambda run: run.created_at)
        for ref in open_items_for(run, user_id)
    ]
    mine = tuple(
        ActiveRun(run, channels.get(run.channel_id, ""), owned=run.owner_id == user_id)
        for run in sorted(runs, key=lambda run: run.created_at)
    )
    return Todo(order_overdue(late), order_tasks(tasks, now), mine)


async def set_digest(services: Services, user_id: str, *, on: bool) -> tuple[datetime | None, str]:
    """Switch the daily digest on or off; when on, the next one's time and the zone it follows."""
    zone_name = (await services.gateway.user(user_id)).timezone
    now = services.clock()
    due = next_morning(now, zone_name) if on else None
    async with services.transaction() as session:
        await UpdateRepository(session).set_digest(user_id, on, now)
        if due is None:
            await cancel_job(session, digest_key(user_id))
        else:
            await schedule_job(
                session, kind=DIGEST_KIND, key=digest_key(user_id), due_at=due, payload={"user_id": user_id}
            )
    return due, zone_name or "UTC"


async def send_digest(job: Job, services: Services) -> datetime | None:
    """The ``digest`` job: the to-do list as one DM (none when empty); due again next morning."""
    user_id = str(job.payload.get("user_id", ""))
    async with services.transaction() as session:
        if not await UpdateRepository(session).digest_enabled(user_id):
            return None
    user = await services.gateway.user(user_id)
    todo = await todo_for(services, user_id)
    if not todo.is_empty:
        direct = await services.gateway.direct_channel(user_id)
        message = render.digest_message(todo, services.clock(), trigger=services.command_trigger)
        # A second attempt may follow one that posted and stopped before the job was done.
        keyed = KeyedPost(job.idempotency_key, direct.id, message)
        await post_once(services, keyed, maybe_posted=job.attempts > 1)
    return next_morning(services.clock(), user.timezone)


async def _channel_names(services: Services, channel_ids: set[str]) -> dict[str, str]:
    names = {}
    for channel_id in channel_ids:
        try:
            names[channel_id] = (await services.gateway.channel(channel_id)).name
        except MattermostError:
            continue
    return names
