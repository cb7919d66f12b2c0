"""What every service and handler is given: the gateway, the database, signing and the clock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.mattermost.gateway import MattermostGateway
from bot.mattermost.types import MMUser
from bot.security import ContextSigner

from .checklist_cache import RenderedChecklists
from .lifecycle import RunLifecycle
from .people import People

if TYPE_CHECKING:
    from bot.observability import Metrics


def utc_now() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class BackgroundSpawner(Protocol):
    """Runs work after a request was answered, tracked so shutdown (and tests) can wait for it."""

    def spawn(self, work: Awaitable[None], name: str) -> None:
        """Start ``work`` in the background; its failure is logged, never raised."""
        ...


@dataclass
class Services:
    """The service's shared dependencies, built once at start-up by :mod:`bot.app`."""

    gateway: MattermostGateway
    sessions: async_sessionmaker[AsyncSession]
    signer: ContextSigner
    people: People
    bot: MMUser
    public_url: str
    command_trigger: str = "playbook"
    clock: Callable[[], datetime] = utc_now
    background: BackgroundSpawner | None = None
    team_ids: tuple[str, ...] = ()
    lifecycle: RunLifecycle = field(default_factory=RunLifecycle)
    playbook_edits: int = 0
    """Playbooks this process has written; caches of playbook data compare it to stay current."""
    keyword_refresh_seconds: float = 1.0
    """How stale the keyword index may be for changes made by other replicas."""
    """The ids of the configured teams where ``/playbook`` is registered (set once they are resolved)."""
    metrics: Metrics | None = None
    """Counters and gauges for ``/metrics`` (``metrics.reminders_sent.inc()``…); None in bare tests."""
    webhook_key: bytes = b""
    """The key outgoing webhooks are signed with (derived from the secret; never logged or shown)."""
    allow_private_webhook_addresses: bool = False
    """Whether webhooks may go to loopback and private addresses (the setting of that name)."""
    site_url: str = ""
    """Mattermost's address as people open it, for links to channels (``mattermost_url``)."""
    rendered_checklists: RenderedChecklists = field(default_factory=RenderedChecklists)
    """Checklist posts as last rendered, reused while nothing they show has changed."""

    @property
    def action_url(self) -> str:
        """Where Mattermost sends button clicks."""
        return f"{self.public_url}/mattermost/action"

    @property
    def dialog_url(self) -> str:
        """Where Mattermost sends dialog submissions."""
        return f"{self.public_url}/mattermost/dialog"

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session in a transaction, committed on success and rolled back on error."""
        async with self.sessions() as session, session.begin():
            yield session
