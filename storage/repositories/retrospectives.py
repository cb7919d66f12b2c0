"""Retrospectives: the published report of a run, its metric values and the posts showing it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.playbook import MetricType
from bot.domain.retrospective import MetricValue, Retrospective
from storage.models_retrospectives import RetrospectiveMetricValueRow, RetrospectiveRow
from storage.repositories._sql import insert


@dataclass(frozen=True, slots=True)
class StoredRetrospective:
    """A retrospective with the bot's posts of it: in the run channel and per broadcast channel."""

    retrospective: Retrospective
    post_id: str | None = None
    broadcast_posts: Mapping[str, str] = field(default_factory=dict)


class RetrospectiveRepository:
    """Retrospectives in the caller's transaction (nothing here commits)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, run_id: str) -> StoredRetrospective | None:
        """The run's retrospective, or ``None`` when none was published."""
        row = await self._session.get(RetrospectiveRow, run_id)
        if row is None:
            return None
        statement = (
            select(RetrospectiveMetricValueRow)
            .where(RetrospectiveMetricValueRow.run_id == run_id)
            .order_by(RetrospectiveMetricValueRow.position)
        )
        values = tuple(
            MetricValue(value.title, MetricType(value.type), value.value)
            for value in (await self._session.scalars(statement)).all()
        )
        retrospective = Retrospective(
            run_id=row.run_id,
            text=row.text,
            metric_values=values,
            published_at=row.published_at,
            published_by=row.published_by,
            revision=row.revision,
        )
        posts = {str(k): str(v) for k, v in (row.broadcast_posts or {}).items()}
        return StoredRetrospective(retrospective, row.post_id, posts)

    async def save(self, retrospective: Retrospective, *, playbook_id: str | None, at: datetime) -> None:
        """Store the retrospective (replacing an earlier publication) and its metric values.

        The posts already recorded for it are kept; :meth:`set_posts` changes them.
        """
        values = {
            "run_id": retrospective.run_id,
            "text": retrospective.text,
            "published_at": retrospective.published_at,
            "published_by": retrospective.published_by,
            "revision": retrospective.revision,
            "updated_at": at,
        }
        statement = insert(self._session, RetrospectiveRow).values(**values, broadcast_posts={})
        statement = statement.on_conflict_do_update(
            index_elements=["run_id"], set_={k: v for k, v in values.items() if k != "run_id"}
        )
        await self._session.execute(statement)
        await self._session.execute(
            delete(RetrospectiveMetricValueRow).where(
                RetrospectiveMetricValueRow.run_id == retrospective.run_id
            )
        )
        published_at = retrospective.published_at or at
        rows = [
            RetrospectiveMetricValueRow(
                run_id=retrospective.run_id,
                position=position,
                playbook_id=playbook_id,
                title=value.title,
                type=value.type.value,
                value=value.value,
                published_at=published_at,
            )
            for position, value in enumerate(retrospective.metric_values)
        ]
        self._session.add_all(rows)
        await self._session.flush()

    async def set_posts(self, run_id: str, post_id: str | None, broadcast_posts: Mapping[str, str]) -> None:
        """Remember the posts that show the run's retrospective."""
        row = await self._session.get(RetrospectiveRow, run_id)
        if row is not None:
            row.post_id = post_id
            row.broadcast_posts = dict(broadcast_posts)
            await self._session.flush()
