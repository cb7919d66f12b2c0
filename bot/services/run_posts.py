"""The posts that show a run in its channel: created once, then edited in place.

A run has a welcome post (when its playbook has a welcome message), an overview post and one post
per checklist, remembered by kind (``welcome``, ``overview``, ``checklist:<id>``) in
:class:`~storage.repositories.runs.RunRepository`. Each post is recorded as soon as it exists,
and created with an idempotency key of the run and kind, so publishing again after a failure,
a timeout or a restart continues where it stopped and never posts twice.

Posting one after another would cost a round trip per post. The first post goes alone (if
Mattermost refuses posts, it refuses one), then the others go out together. Mattermost orders a
channel by each post's ``create_at``, assigned when it receives the post, so posts sent together
may land out of order: the answers say in which order they landed, and posts that landed out of
place are edited to carry the content of their place, so the channel always reads welcome,
overview, checklists.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.playbook import Playbook
from bot.domain.run import Run, RunStatus, find_checklist
from bot.mattermost.errors import MattermostError
from bot.mattermost.types import MMPost
from bot.render.checklists import checklist_post, clock_dependence
from bot.render.run_overview import overview_post
from bot.render.runs import Post, welcome_message
from storage.repositories.playbooks import PlaybookRepository
from storage.repositories.runs import RunRepository
from storage.repositories.updates import UpdateRepository

from .context import Services

log = logging.getLogger(__name__)

WELCOME = "welcome"
OVERVIEW = "overview"


def checklist_kind(checklist_id: str) -> str:
    """The post kind of a checklist: ``checklist:<id>``."""
    return f"checklist:{checklist_id}"


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
    names = await names_for(services, people_of(run) | ({latest.author_id} if latest else set()))
    title = title if title is not None else await playbook_title(services, run)
    return overview_post(
        run,
        title,
        names,
        services.clock(),
        services.signer,
        services.action_url,
        latest_update=latest,
        next_update_due=reminder.next_due_at if reminder.enabled else None,
        updates_enabled=reminder.enabled or latest is not None,
    )


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
    return services.rendered_checklists.post(
        run,
        checklist_id,
        variant,
        lambda: checklist_post(run, checklist_no, names, now, services.signer, services.action_url),
    )


async def publish_run_posts(services: Services, run: Run, playbook: Playbook) -> dict[str, str]:
    """Create the run's posts that don't exist yet, in order; returns every post id by kind.

    Safe to call again after any failure: posts already recorded are left alone.
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
    if missing:
        posts.update(await _post_together(services, run, missing[:1]))
    if len(missing) > 1:
        posts.update(await _post_together(services, run, missing[1:]))
    return posts


async def _post_together(services: Services, run: Run, batch: Sequence[tuple[str, Post]]) -> dict[str, str]:
    """Create the batch's posts at once and record them; returns their ids by kind.

    When every post was created, posts that landed out of order are edited so that the i-th post
    to land carries the i-th content. If some failed, the others are recorded under the kind they
    were created for (their idempotency keys stay true), and the first failure is raised.
    """
    outcomes = await asyncio.gather(
        *(
            services.gateway.create_post(
                run.channel_id, post["message"], props=post["props"], pending_post_id=f"{run.id}:{kind}"
            )
            for kind, post in batch
        ),
        return_exceptions=True,
    )
    created = {kind: out for (kind, _), out in zip(batch, outcomes, strict=True) if isinstance(out, MMPost)}
    failure = next((out for out in outcomes if isinstance(out, BaseException)), None)
    placed = {kind: post.id for kind, post in created.items()}
    if failure is None and len(batch) > 1:
        placed = await _put_in_order(services, batch, [created[kind] for kind, _ in batch])
    async with services.transaction() as session:
        runs = RunRepository(session)
        for kind, post_id in placed.items():
            await runs.set_post(run.id, kind, post_id)
    if failure is not None:
        raise failure
    return placed


async def _put_in_order(
    services: Services, batch: Sequence[tuple[str, Post]], created: Sequence[MMPost]
) -> dict[str, str]:
    """Post ids by kind, after editing posts that landed out of order (``created[i]`` was sent
    with ``batch[i]``'s content); ties in ``create_at`` are ordered by id, as the channel lists them."""
    landed = sorted(created, key=lambda post: (post.create_at, post.id))
    edits = [
        services.gateway.update_post(target.id, content["message"], content["props"])
        for (_, content), target, sent in zip(batch, landed, created, strict=True)
        if target.id != sent.id
    ]
    if edits:
        log.info("%d of %d posts landed out of order; moving their contents", len(edits), len(batch))
        await asyncio.gather(*edits)
    return {kind: target.id for (kind, _), target in zip(batch, landed, strict=True)}


async def missing_posts(services: Services, run: Run) -> bool:
    """Whether the overview or a checklist post of the run was never created."""
    async with services.transaction() as session:
        return await posts_missing(session, run)


async def posts_missing(session: AsyncSession, run: Run) -> bool:
    """:func:`missing_posts` in the caller's transaction."""
    kinds = [OVERVIEW, *(checklist_kind(c.id) for c in run.checklists)]
    return not await RunRepository(session).has_posts(run.id, kinds)


async def refresh_overview(services: Services, run: Run) -> bool:
    """Re-render the run's overview post in place; ``False`` if it has none."""
    async with services.transaction() as session:
        post_id = (await RunRepository(session).posts(run.id)).get(OVERVIEW)
    if post_id is None:
        return False
    post = await render_overview(services, run)
    await services.gateway.update_post(post_id, post["message"], post["props"])
    return True


async def refresh_checklist(services: Services, run: Run, checklist_id: str) -> bool:
    """Re-render one checklist's post in place; ``False`` if it has none."""
    async with services.transaction() as session:
        post_id = (await RunRepository(session).posts(run.id)).get(checklist_kind(checklist_id))
    if post_id is None:
        return False
    post = await render_checklist_update(services, run, checklist_id)
    await services.gateway.update_post(post_id, post["message"], post["props"])
    return True


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
