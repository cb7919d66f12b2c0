"""Webhook deliveries: queued with their run or update, then each attempt recorded."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.webhooks import WebhookDelivery
from storage.models_webhooks import WebhookDeliveryRow

MAX_ERROR_LENGTH = 500


class WebhookRepository:
    """Reads and writes ``webhook_deliveries`` in the caller's transaction (it never commits)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(
        self,
        *,
        delivery_id: str,
        run_id: str,
        playbook_id: str,
        event: str,
        url: str,
        payload: Mapping[str, Any],
        now: datetime,
    ) -> None:
        """Queue a delivery (its job is scheduled by the caller in the same transaction)."""
        self._session.add(
            WebhookDeliveryRow(
                id=delivery_id,
                run_id=run_id,
                playbook_id=playbook_id,
                event=event,
                url=url,
                payload=dict(payload),
                complete=False,
                attempts=0,
                created_at=now,
            )
        )
        await self._session.flush()

    async def get(self, delivery_id: str) -> WebhookDelivery | None:
        """The delivery with this id, or ``None``."""
        row = await self._session.get(WebhookDeliveryRow, delivery_id)
        return None if row is None else _delivery(row)

    async def complete_payload(self, delivery_id: str, payload: Mapping[str, Any]) -> None:
        """Store the finished body, sent from now on by every attempt."""
        await self._session.execute(
            update(WebhookDeliveryRow)
            .where(WebhookDeliveryRow.id == delivery_id)
            .values(payload=dict(payload), complete=True)
        )

    async def record_attempt(
        self,
        delivery_id: str,
        *,
        at: datetime,
        status: int | None,
        error: str | None,
        delivered: bool = False,
        gave_up: bool = False,
    ) -> None:
        """One more attempt: its HTTP status (if a response came), its error, and the outcome."""
        values: dict[str, Any] = {
            "attempts": WebhookDeliveryRow.attempts + 1,
            "last_status": status,
            "last_error": None if error is None else error[:MAX_ERROR_LENGTH],
            "last_attempt_at": at,
        }
        if delivered:
            values["delivered_at"] = at
        if gave_up:
            values["failed_at"] = at
        await self._session.execute(
            update(WebhookDeliveryRow).where(WebhookDeliveryRow.id == delivery_id).values(values)
        )

    async def recent_for_run(self, run_id: str, limit: int = 20) -> list[WebhookDelivery]:
        """The run's latest deliveries, newest first."""
        return await self._recent(WebhookDeliveryRow.run_id == run_id, limit)

    async def recent_for_playbook(self, playbook_id: str, limit: int = 20) -> list[WebhookDelivery]:
        """The latest deliveries for runs of the playbook, newest first."""
        return await self._recent(WebhookDeliveryRow.playbook_id == playbook_id, limit)

    async def _recent(self, condition: Any, limit: int) -> list[WebhookDelivery]:
        statement = (
            select(WebhookDeliveryRow)
            .where(condition)
            .order_by(WebhookDeliveryRow.created_at.desc(), WebhookDeliveryRow.id)
            .limit(limit)
        )
        return [_delivery(row) for row in (await self._session.execute(statement)).scalars()]


def _delivery(row: WebhookDeliveryRow) -> WebhookDelivery:
    return WebhookDelivery(
        id=row.id,
        run_id=row.run_id,
        playbook_id=row.playbook_id,
        event=row.event,
        url=row.url,
        payload=dict(row.payload),
        complete=row.complete,
        attempts=row.attempts,
        created_at=row.created_at,
        last_status=row.last_status,
        last_error=row.last_error,
        last_attempt_at=row.last_attempt_at,
        delivered_at=row.delivered_at,
        failed_at=row.failed_at,
    )
