"""The posts that show a run in its channel: created once, then edited in place.

A run has a welcome post (when its playbook has a welcome message), an overview post and one post
per checklist, remembered by kind (``welcome``, ``overview``, ``checklist:<id>``) in
:class:`~storage.repositories.runs.RunRepository`. Each post is recorded as soon as it exists,
and created with an idempotency key of the run and kind, so publishing again after a failure,
a timeout or a restart continues where it stopped and never posts twice.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from bot.domain.playbook import Playbook
from bot.domain.run import Run, find_checklist
from bot.render.runs import Post, checklist_post, overview_post, welcome_message
from storage.repositories.playbooks import PlaybookRepository
from storage.repositories.runs import RunRepository

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
    """The run's overview post, freshly rendered."""
    names = await names_for(services, people_of(run))
    title = title if title is not None else await playbook_title(services, run)
    return overview_post(run, title, names, services.clock(), services.signer, services.action_url)


async def render_checklist_update(services: Services, run: Run, checklist_id: str) -> dict[str, Any]:
    """The checklist's post freshly rendered: what a click answers as its ``update``.

    Raises :class:`~bot.domain.run.NoSuchChecklistError` if the run has no such checklist.
    """
    checklist_no, _ = find_checklist(run, checklist_id)
    names = await names_for(services, people_of(run))
    return checklist_post(run, checklist_no, names, services.clock(), services.signer, services.action_url)


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
    wanted.append(
        (OVERVIEW, overview_post(run, playbook.title, names, now, services.signer, services.action_url))
    )
    for checklist_no, checklist in enumerate(run.checklists, start=1):
        rendered = checklist_post(run, checklist_no, names, now, services.signer, services.action_url)
        wanted.append((checklist_kind(checklist.id), rendered))
    for kind, post in wanted:
        if kind in posts:
            continue
        created = await services.gateway.create_post(
            run.channel_id, post["message"], props=post["props"], pending_post_id=f"{run.id}:{kind}"
        )
        async with services.transaction() as session:
            await RunRepository(session).set_post(run.id, kind, created.id)
        posts[kind] = created.id
    return posts


async def missing_posts(services: Services, run: Run) -> bool:
    """Whether the overview or a checklist post of the run was never created."""
    async with services.transaction() as session:
        posts = await RunRepository(session).posts(run.id)
    kinds = [OVERVIEW, *(checklist_kind(c.id) for c in run.checklists)]
    return any(kind not in posts for kind in kinds)


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
