"""Keyword triggers: which playbooks a message calls for, and the one prompt per thread.

:class:`KeywordIndex` keeps one :class:`~bot.domain.keywords.KeywordMatcher` per team, rebuilt
only when the playbooks change: each message costs a pass over its text, and at most once
a second (or at once after this process changed playbooks) one aggregate query for the
playbooks' signature. Everything else (channel settings, ignored threads, the run
of the channel) is read only once a keyword matched.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from bot.domain.errors import DomainError
from bot.domain.keywords import KeywordMatcher
from bot.domain.playbook import Playbook
from bot.domain.playbook_access import can_run
from bot.mattermost.types import MMPost
from bot.render.keywords import PromptedPlaybook, keyword_prompt, trigger_summary
from bot.render.runs import truncate
from storage.repositories.listening import ListeningRepository
from storage.repositories.playbooks import PlaybookRepository

from .context import Services
from .posting import KeyedPost, post_once
from .run_start import runnable_playbooks

log = logging.getLogger(__name__)

ATTACHMENT_TEXT_FIELDS = ("pretext", "title", "text", "footer")


@dataclass(frozen=True, slots=True)
class PlaybookHit:
    """A playbook whose keywords a message contains."""

    playbook: Playbook
    keywords: tuple[str, ...]


class KeywordIndex:
    """The keywords of every playbook of the bot's teams, matched per team."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._checked_at = -math.inf
        self._seen_edits = -1
        self._signature: tuple[int, int] | None = None
        self._matchers: dict[str, KeywordMatcher] = {}
        self._playbooks: dict[str, Playbook] = {}
        self._team_names: dict[str, str] = {}
        self._rebuilding = asyncio.Lock()

    async def hits(self, services: Services, team_id: str, text: str) -> list[PlaybookHit]:
        """The team's playbooks with keywords enabled whose keywords ``text`` contains."""
        await self._refresh(services)
        matcher = self._matchers.get(team_id)
        if not matcher or not text:
            return []
        return [PlaybookHit(self._playbooks[hit.playbook_id], hit.keywords) for hit in matcher.match(text)]

    async def _refresh(self, services: Services) -> None:
        # Checking the database on every message would cost a round trip each; this process's
        # own playbook writes are seen at once, other replicas' within the refresh interval.
        fresh = self._monotonic() - self._checked_at < services.keyword_refresh_seconds
        if fresh and services.playbook_edits == self._seen_edits:
            return
        self._checked_at, self._seen_edits = self._monotonic(), services.playbook_edits
        async with services.transaction() as session:
            signature = await ListeningRepository(session).playbooks_signature()
        if signature == self._signature:
            return
        async with self._rebuilding:
            if signature == self._signature:
                return
            async with services.transaction() as session:
                playbooks = await PlaybookRepository(session).list_for_team(services.team_ids)
            self._rebuild(playbooks)
            self._signature = signature

    def _rebuild(self, playbooks: Iterable[Playbook]) -> None:
        by_team: dict[str, list[Playbook]] = defaultdict(list)
        for playbook in playbooks:
            if playbook.keywords.enabled and playbook.keywords.keywords and not playbook.archived:
                by_team[playbook.team_id].append(playbook)
        self._playbooks = {p.id: p for team in by_team.values() for p in team}
        self._matchers = {
            team_id: KeywordMatcher((p.id, p.keywords.keywords) for p in team)
            for team_id, team in by_team.items()
        }
        log.info("keyword index rebuilt: %d playbooks with keywords", len(self._playbooks))

    async def team_name(self, services: Services, team_id: str) -> str:
        """The team's URL name (for permalinks), fetched once."""
        if team_id not in self._team_names:
            self._team_names[team_id] = (await services.gateway.team(team_id)).name
        return self._team_names[team_id]


def listened_text(post: MMPost) -> str:
    """The text keywords are looked for in: the message and its attachments' visible texts."""
    attachments = post.props.get("attachments")
    if not isinstance(attachments, list) or not attachments:
        return post.message  # most messages: nothing to join
    parts = [post.message]
    for attachment in attachments:
        if isinstance(attachment, dict):
            parts.extend(
                value for key in ATTACHMENT_TEXT_FIELDS if isinstance(value := attachment.get(key), str)
            )
    return "\n".join(part for part in parts if part)


def prompt_key(channel_id: str, root_id: str) -> str:
    """The idempotency key of a thread's prompt post (see :mod:`bot.services.posting`)."""
    return f"kw:{channel_id}:{root_id}"


async def prompt_for_keywords(
    services: Services, index: KeywordIndex, post: MMPost, *, team_id: str, channel_name: str
) -> bool:
    """Reply in the post's thread suggesting the playbooks its keywords trigger, unless the thread
    already has a prompt, is ignored, or the channel turned prompts off. Returns whether it did.

    Suggested are the playbooks the author may run, except the playbook whose run this channel
    belongs to. The thread is claimed in the database before posting, and the post is made under
    a fixed key, so neither a second keyword nor a retry can prompt twice. An empty
    ``channel_name`` (Mattermost leaves it out of some events) is looked up once a prompt is due.
    """
    text = listened_text(post)
    hits = await index.hits(services, team_id, text)
    if not hits:
        return False
    author = await services.people.user(post.user_id)
    if author.is_bot:
        return False
    root_id = post.root_id or post.id
    async with services.transaction() as session:
        thread = await ListeningRepository(session).thread_prompt_state(post.channel_id, root_id)
    if not thread.keyword_prompts or thread.ignored:
        return False
    suggested = await _suggestions(services, hits, post.user_id, thread.run_playbook_id)
    if not suggested:
        return False
    permalink = f"/{await index.team_name(services, team_id)}/pl/{post.id}"
    channel_name = channel_name or (await services.gateway.channel(post.channel_id)).name
    summary = trigger_summary(text, author=author.username, channel_name=channel_name, permalink=permalink)
    prompt = keyword_prompt(
        suggested,
        channel_id=post.channel_id,
        root_id=root_id,
        signer=services.signer,
        url=services.action_url,
        trigger=services.command_trigger,
    )
    async with services.transaction() as session:
        if not await ListeningRepository(session).claim_prompt(post.channel_id, root_id, post.id, summary):
            return False
    key = prompt_key(post.channel_id, root_id)
    keyed = KeyedPost(key, post.channel_id, prompt["message"], prompt["props"], root_id=root_id)
    # The claim above makes this the only attempt: a lost prompt is not sent again.
    posted = await post_once(services, keyed, maybe_posted=False)
    async with services.transaction() as session:
        await ListeningRepository(session).set_prompt_post(post.channel_id, root_id, posted.id)
    log.info("keyword prompt in %s thread %s for %d playbooks", post.channel_id, root_id, len(suggested))
    return True


async def _suggestions(
    services: Services, hits: Iterable[PlaybookHit], author_id: str, run_playbook_id: str
) -> list[PromptedPlaybook]:
    is_admin = await services.people.is_system_admin(author_id)
    return [
        PromptedPlaybook(hit.playbook.id, hit.playbook.title, hit.keywords)
        for hit in hits
        if hit.playbook.id != run_playbook_id
        and can_run(hit.playbook, author_id, is_team_member=True, is_system_admin=is_admin)
    ]


async def ignore_thread(services: Services, channel_id: str, root_id: str, user_id: str) -> None:
    """Keep prompts out of a thread from now on."""
    async with services.transaction() as session:
        await ListeningRepository(session).ignore_thread(channel_id, root_id, user_id)


PLAYBOOK_GONE = "That playbook no longer exists, so it can't be run."
NOT_RUNNABLE = "You may not run the playbook “{title}”."


class PromptRunRefusedError(DomainError):
    """The playbook a prompt offered cannot be run by this person (any more)."""


@dataclass(frozen=True, slots=True)
class PromptedStart:
    """What the start form opened from a keyword prompt shows."""

    playbook: Playbook
    runnable: list[Playbook]
    summary: str


async def start_from_prompt(
    services: Services, channel_id: str, root_id: str, playbook_id: str, user_id: str
) -> PromptedStart:
    """The start form's content for *Run <playbook>* on the prompt of a thread: the playbook, the
    others the person may run, and the triggering message as the summary;
    :class:`PromptRunRefusedError` when the playbook is gone or not theirs to run."""
    async with services.transaction() as session:
        playbook = await PlaybookRepository(session).get(playbook_id)
        prompt = await ListeningRepository(session).prompt(channel_id, root_id)
    if playbook is None:
        raise PromptRunRefusedError(PLAYBOOK_GONE)
    runnable = await runnable_playbooks(services, user_id, playbook.team_id)
    if playbook.id not in {p.id for p in runnable}:
        raise PromptRunRefusedError(NOT_RUNNABLE.format(title=truncate(playbook.title, 100)))
    return PromptedStart(playbook, runnable, prompt.summary if prompt is not None else "")
