"""A run's timeline as ``/playbook timeline`` shows it: its events and the people they name."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from bot.domain.run import Run
from bot.domain.timeline import TimelineEvent
from storage.repositories.runs import RunRepository

from .context import Services


async def run_timeline(services: Services, run: Run) -> tuple[list[TimelineEvent], Mapping[str, str]]:
    """The run's events, oldest first, and the usernames of everyone they name."""
    async with services.transaction() as session:
        events = await RunRepository(session).timeline(run.id)
    return events, await services.people.usernames(people_in(events))


def people_in(events: Iterable[TimelineEvent]) -> set[str]:
    """The ids of the people who acted in or are named by ``events``."""
    ids: set[str] = set()
    for recorded in events:
        ids.add(recorded.actor_id)
        for key, value in recorded.details.items():
            if key.endswith("_id") and isinstance(value, str):
                ids.add(value)
            elif key.endswith("_ids") and isinstance(value, tuple):
                ids.update(str(v) for v in value)
    ids.discard("")
    return ids
