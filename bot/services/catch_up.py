"""Catching up on posts the websocket missed: read them back through REST, handle them in order.

The bot remembers the ``create_at`` of the newest post it handled (``last_seen_post_at``, in the
database so a restart knows it too). When the websocket reports lost events, or the service
starts again, every post since then (less a safety margin) in every channel the bot is in is fed
to the ``posted`` handlers as a :class:`~bot.mattermost.events.PostedEvent`, as if it had just
arrived. The handlers are idempotent, so a post seen twice is still handled once; the margin only
costs a few re-reads. Joins and leaves of run channels missed meanwhile are caught up too
(:func:`~bot.services.joiners.reconcile_members`). The mark moves once a post's handlers are all
done (:meth:`PostCatchUp.note`, called in the order posts came), so it never passes a post still
being handled.

Times here are Mattermost's (post ``create_at``, in ms), so they are compared with the wall
clock, never with the service's clock (which tests move at will).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable

from bot.mattermost.errors import MattermostError
from bot.mattermost.events import Event, PostedEvent, posted_event
from bot.mattermost.types import MMChannel, MMPost
from storage.repositories.listening import ListeningRepository

from .context import Services
from .joiners import reconcile_members

log = logging.getLogger(__name__)

Dispatch = Callable[[PostedEvent], Awaitable[object]]
"""Hands a post to the handlers (it may return before they are done)."""

MARGIN_MS = 5_000  # posts are not announced in exact create_at order across channels
MAX_LOOK_BACK_MS = 24 * 3600 * 1000  # after a long outage, older messages are left alone
SAVE_EVERY_SECONDS = 1.0  # the stored mark may lag this much: a lag means re-reads, never losses


def wall_clock_ms() -> int:
    """Now on the wall clock, in ms, comparable with Mattermost's timestamps."""
    return int(time.time() * 1000)


class PostCatchUp:
    """Tracks the newest handled post and replays what was missed through ``dispatch``."""

    def __init__(self, services: Services, dispatch: Dispatch, *, now_ms: Callable[[], int] = wall_clock_ms):
        self._services = services
        self._dispatch = dispatch
        self._now_ms = now_ms
        self._seen = 0
        self._saved_at = -math.inf
        self._saving = False
        self._save_task: asyncio.Task[None] | None = None  # without a background to run it
        self.replayed = 0  # posts fed back by catch-ups so far

    async def start(self) -> None:
        """On start-up: the first time, begin the mark now; later, catch up on the time the
        service was away (in the background when one is available)."""
        async with self._services.transaction() as session:
            mark = await ListeningRepository(session).last_seen_post_at()
            if mark is None:
                await ListeningRepository(session).advance_last_seen_post_at(self._now_ms())
                return
        background = self._services.background
        if background is None:
            await self.run()
        else:
            background.spawn(self._run_quietly(), name="catch-up")

    def note(self, event: Event) -> None:
        """Every handler is done with ``event`` (and with every event before it): if it is a post,
        move the mark to it (events of other kinds are passed over). The mark is stored in the
        background, at most every :data:`SAVE_EVERY_SECONDS`."""
        if not isinstance(event, PostedEvent) or event.post.create_at <= self._seen:
            return
        self._seen = event.post.create_at
        if self._saving or time.monotonic() - self._saved_at < SAVE_EVERY_SECONDS:
            return
        self._saved_at = time.monotonic()
        self._saving = True
        background = self._services.background
        if background is None:
            self._save_task = asyncio.create_task(self._save(), name="catch-up-mark")
        else:
            background.spawn(self._save(), name="catch-up-mark")

    async def _save(self) -> None:
        try:
            async with self._services.transaction() as session:
                await ListeningRepository(session).advance_last_seen_post_at(self._seen)
        finally:
            self._saving = False

    async def run(self) -> int:
        """Feed every post since the mark to ``dispatch``, oldest first; returns how many. The
        mark follows as they are handled (see :meth:`note`)."""
        async with self._services.transaction() as session:
            stored = await ListeningRepository(session).last_seen_post_at()
        mark = max(stored or 0, self._seen)
        if not mark:
            return 0
        since = max(mark - MARGIN_MS, self._now_ms() - MAX_LOOK_BACK_MS)
        missed: list[tuple[MMPost, MMChannel]] = []
        for channel in await self._watched_channels():
            try:
                posts = await self._services.gateway.channel_posts_since(channel.id, since)
            except MattermostError as error:
                log.warning("catch-up: could not read %s: %s", channel.id, error)
                continue
            missed.extend((post, channel) for post in posts if post.create_at > since and not post.is_deleted)
        missed.sort(key=lambda pair: (pair[0].create_at, pair[0].id))
        for post, channel in missed:
            await self._dispatch(posted_event(post, channel))
        self.replayed += len(missed)
        log.info("catch-up: %d posts since %d read back", len(missed), since)
        # Joins and leaves are not posts: the runs' channels are compared with their participants.
        await reconcile_members(self._services)
        return len(missed)

    async def run_for_gap(self) -> None:
        """:meth:`run`, as the websocket supervisor's ``on_gap``."""
        await self.run()

    async def _run_quietly(self) -> None:
        try:
            await self.run()
        except MattermostError as error:
            log.warning("catch-up after start-up failed: %s", error)

    async def _watched_channels(self) -> list[MMChannel]:
        """The channels the bot is in, in its teams (direct and group messages once)."""
        channels: dict[str, MMChannel] = {}
        for team_id in self._services.team_ids:
            try:
                channels.update((c.id, c) for c in await self._services.gateway.my_channels(team_id))
            except MattermostError as error:
                log.warning("catch-up: could not list the channels of team %s: %s", team_id, error)
        return list(channels.values())
