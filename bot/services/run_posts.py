"""The posts that show a run in its channel: created once, then edited in place.

A run has a welcome post (when its playbook has a welcome message), an overview post and one post
per checklist, remembered by kind (``welcome``, ``overview``, ``checklist:<id>``) in
:class:`~storage.repositories.runs.RunRepository`. Each post is recorded as soon as it exists
and made under the key ``<run id>:<kind>`` (:mod:`bot.services.posting`), so publishing again
after a failure, a timeout or a restart continues where it stopped and never posts twice: posts
made but never recorded are found by their key and adopted.

The posts go out one after another. Mattermost orders a channel by each post's ``create_at``,
the millisecond it received the post, and lists posts of the same millisecond in no defined order
(``ORDER BY CreateAt`` alone in its post store): posts sent together often share one, and then
a checklist may show above the overview, differently from one reload to the next. Each post is
sent once the previous one is answered and at least :data:`POST_GAP` later, so every post of a
run has a later ``create_at`` than the one before it, and a failure stops the sequence, leaving
only a tail of it to complete later, still in order.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.errors import DomainError
from bot.domain.playbook import Playbook
from bot.domain.run import Run, RunStatus, find_checklist
from bot.mattermost.errors import MattermostError
from bot.render.checklists import checklist_post, clock_dependence
from bot.render.run_overview import overview_post
from bot.render.runs import Post, welcome_message
from storage.repositories.playbooks import PlaybookRepository
from storage.repositories.runs import RunRepository
from storage.repositories.updates import UpdateRepository

from .context import Services
from .posting import KeyedPost, edit_or_replace, post_once, with_key
from .run_switches import run_rules

log = logging.getLogger(__name__)

WELCOME = "welcome"
OVERVIEW = "overview"
POST_GAP = 0.002
"""Seconds between the answer to one of a run's posts and sending the next: Mattermost stamped the
first before answering, so the next gets a later millisecond (see the module's docstring)."""


def checklist_kind(checklist_id: str) -> str:
    """The post kind of a checklist: ``checklist:<id>``."""
    return f"checklist:{checklist_id}"


def post_key(run_id: str, kind: str) -> str:
    """The idempotency key of a run's post of ``kind`` (also its ``pending_post_id``)."""
    return f"{run_id}:{kind}"


def people_of(run: Run) -> set[str]:
    """Every user a rendering of the run may name."""
    ids = {run.owner_id, run.reporter_id, *run.participant_ids}
    for checklist in run.checklists:
        for item in checklist.items:
            ids.update(i for i in (item.assignee_id, item.state_modified_by) if i)
    ids.discard("")
    return ids


async def names_for(services: Services, user_ids: Iterable[str]) -> dict[str, str]:
    """Usernames of these users, in one batched look-up."""
    return await services.people.usernames(user_ids)


async def playbook_title(services: Services, run: Run) -> str:
    """The title of the run's playbook (also after the playbook was deleted)."""
    async with services.transaction() as session:
        record = await PlaybookRepository(session).get_record(run.playbook_id, include_deleted=True)
    return record.playbook.title if record is not None else "a deleted playbook"


async def render_overview(services: Services, run: Run, *, title: str | None = None) -> Post:
    """The run's overview post, freshly rendered, with its latest status update and next due time."""
    async with services.transaction() as session:
        updates = UpdateRepository(session)
        latest = await updates.latest(run.id)
        reminder = await updates.reminder(run.id)
        rules = await run_rules(session, run)
    names = await names_for(services, people_of(run) | ({latest.author_id} if latest else set()))
    title = title if title is not None else await playbook_title(services, run)
    post = overview_post(
        run,
        title,
        names,
        services.clock(),
        services.signer,
        services.action_url,
        latest_update=latest,
        next_update_due=reminder.next_due_at if reminder.enabled and rules.switches.status_updates else None,
        updates_enabled=rules.switches.status_updates,
        updates_off_for_run=rules.overrides.status_updates is False,
    )
    return with_key(post, post_key(run.id, OVERVIEW))


async def render_checklist_update(services: Services, run: Run, checklist_id: str) -> dict[str, Any]:
    """The checklist's post as it is now: what a click answers as its ``update``. It is shared
    with other answers for the same state (:mod:`bot.services.checklist_cache`): don't modify it.

    Raises :class:`~bot.domain.run.NoSuchChecklistError` if the run has no such checklist.
    """
    checklist_no, checklist = find_checklist(run, checklist_id)
    # A checklist post names only its tasks' assignees and checkers, not every participant.
    named = {i for item in checklist.items for i in (item.assignee_id, item.state_modified_by) if i}
    names = await names_for(services, named)
    now = services.clock()
    # Clicks that change nothing answer with the same post: render and sign it once per state.
    variant = (
        services.signer,
        services.action_url,
        tuple(sorted(names.items())),
        clock_dependence(run, checklist_no, now),
    )
    # The key rides along in every rendering: a click's answer replaces all of the post's props.
    key = post_key(run.id, checklist_kind(checklist_id))
    return services.rendered_checklists.post(
        run,
        checklist_id,
        variant,
        lambda: with_key(
            checklist_post(run, checklist_no, names, now, services.signer, services.action_url), key
        ),
    )


async def publish_run_posts(
    services: Services, run: Run, playbook: Playbook, *, first_attempt: bool = False
) -> dict[str, str]:
    """Create the run's posts that don't exist yet, in order; returns every post id by kind.

    Safe to call again after any failure: posts already recorded are left alone, and (unless
    ``first_attempt``: nothing of this run was ever sent) posts an earlier attempt made without
    recording them are looked up in the channel by their keys and adopted.
    """
    async with services.transaction() as session:
        posts = await RunRepository(session).posts(run.id)
    names = await names_for(services, people_of(run))
    now = services.clock()
    wanted: list[tuple[str, Post]] = []
    welcome = welcome_message(run, playbook)
    if welcome:
        wanted.append((WELCOME, {"message": welcome, "props": {}}))
    wanted.append((OVERVIEW, await render_overview(services, run, title=playbook.title)))
    for checklist_no, checklist in enumerate(run.checklists, start=1):
        rendered = checklist_post(run, checklist_no, names, now, services.signer, services.action_url)
        wanted.append((checklist_kind(checklist.id), rendered))
    missing = [(kind, post) for kind, post in wanted if kind not in posts]
    if not missing:
        return posts
    keys = [post_key(run.id, kind) for kind, _ in missing]
    found = {} if first_attempt else await services.gateway.find_keyed_posts(run.channel_id, keys)
    loop = asyncio.get_running_loop()
    answered_at = float("-inf")
    last_create_at = 0
    for (kind, content), key in zip(missing, keys, strict=True):
        post = found.get(key)
        if post is not None:
            log.info("run %s: adopting post %s, made under %s by an earlier attempt", run.id, post.id, key)
        else:
            await asyncio.sleep(max(0.0, answered_at + POST_GAP - loop.time()))
            post = await post_once(
                services,
                KeyedPost(key, run.channel_id, content["message"], content["props"]),
                maybe_posted=False,  # looked up above
            )
            answered_at = loop.time()
            if post.create_at <= last_create_at:
                log.warning("post %s of run %s has the time of the post before it", kind, run.id)
            last_create_at = post.create_at
        async with services.transaction() as session:
            await RunRepository(session).set_post(run.id, kind, post.id)
        posts[kind] = post.id
    return posts


async def missing_posts(services: Services, run: Run) -> bool:
    """Whether the overview or a checklist post of the run was never created."""
    async with services.transaction() as session:
        return await posts_missing(session, run)


class RunPostsError(DomainError):
    """The run's posts could not be completed; ``message`` says why."""


async def complete_posts(services: Services, run: Run) -> None:
    """Post whatever of the run's overview and checklists is missing (:func:`publish_run_posts`);
    :class:`RunPostsError` when its playbook is gone or Mattermost refuses."""
    async with services.transaction() as session:
        record = await PlaybookRepository(session).get_record(run.playbook_id, include_deleted=True)
    if record is None:
        raise RunPostsError("This run's playbook is gone, so I can't complete its posts.")
    try:
        await publish_run_posts(services, run, record.playbook)
    except MattermostError as error:
        log.warning("completing the posts of run %s failed: %s", run.id, error)
        raise RunPostsError(
            "Some of this run's posts are still missing; Mattermost refused them. Try again later."
        ) from error


async def posts_missing(session: AsyncSession, run: Run) -> bool:
    """:func:`missing_posts` in the caller's transaction."""
    kinds = [OVERVIEW, *(checklist_kind(c.id) for c in run.checklists)]
    return not await RunRepository(session).has_posts(run.id, kinds)


async def refresh_overview(services: Services, run: Run) -> bool:
    """Re-render the run's overview post in place (or afresh, see :func:`replace_refused`);
    ``False`` if it has none."""
    async with services.transaction() as session:
        post_id = (await RunRepository(session).posts(run.id)).get(OVERVIEW)
    if post_id is None:
        return False
    post = await render_overview(services, run)
    await replace_refused(services, run, OVERVIEW, post_id, post)
    return True


async def refresh_checklist(services: Services, run: Run, checklist_id: str) -> bool:
    """Re-render one checklist's post in place (or afresh, see :func:`replace_refused`);
    ``False`` if it has none."""
    async with services.transaction() as session:
        post_id = (await RunRepository(session).posts(run.id)).get(checklist_kind(checklist_id))
    if post_id is None:
        return False
    post = await render_checklist_update(services, run, checklist_id)
    await replace_refused(services, run, checklist_kind(checklist_id), post_id, post)
    return True


async def replace_refused(services: Services, run: Run, kind: str, post_id: str, post: Post) -> str:
    """Edit the run's post of ``kind``; when Mattermost refuses (an edit time limit, a deleted
    post), post it afresh, record the new post for ``kind`` and mark the old one out of date.
    The id of the post that shows ``kind`` now."""
    key = f"{post_key(run.id, kind)}:after:{post_id}"
    replacement = KeyedPost(key, run.channel_id, post["message"], post["props"])
    what = "overview" if kind == OVERVIEW else "checklist" if kind.startswith("checklist:") else "post"
    shown = await edit_or_replace(services, post_id, post, replacement, what=what)
    if shown != post_id:
        async with services.transaction() as session:
            await RunRepository(session).set_post(run.id, kind, shown)
        log.info("run %s: %s is now shown by post %s (was %s)", run.id, kind, shown, post_id)
    return shown


RESUME_LIMIT = 200
"""How many of the newest runs in progress are checked for missing posts at start-up."""


async def complete_unfinished_runs(services: Services) -> list[str]:
    """Finish setting up runs whose start was interrupted (a crash, a kill, a lost connection).

    A run is stored as soon as its channel exists, before its people are added and its posts
    made; a process that dies in between leaves it without some posts. Each such run gets its
    people added (a no-op for members) and its missing posts published, under the same
    idempotency keys as at the start, so nothing appears twice. Returns the ids of the runs
    completed; a run Mattermost still refuses is logged and left for ``/playbook info``.
    """
    async with services.transaction() as session:
        runs = await RunRepository(session).list(status=RunStatus.IN_PROGRESS, limit=RESUME_LIMIT)
    completed: list[str] = []
    for run in runs:
        if not run.channel_id or not await missing_posts(services, run):
            continue
        async with services.transaction() as session:
            record = await PlaybookRepository(session).get_record(run.playbook_id, include_deleted=True)
        if record is None:
            continue
        members = [services.bot.id, *dict.fromkeys((run.owner_id, run.reporter_id, *run.participant_ids))]
        try:
            await services.gateway.add_channel_members(run.channel_id, members)
            await publish_run_posts(services, run, record.playbook)
        except MattermostError as error:
            log.warning("run %s is still incomplete: %s", run.id, error)
            continue
        log.info("completed the set-up of run %s, interrupted at its start", run.id)
        completed.append(run.id)
    return completed
