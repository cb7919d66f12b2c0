"""Seeding big data: copies of one real run, bulk-inserted through the storage layer's tables.

A run made by the bot itself is the template, so every copy has exactly the rows the service
writes. Each copy gets its own run id and channel id (every string holding the template's is
rewritten), and rows go in with one ``executemany`` per table and batch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Table, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.base import Base

Row = dict[str, Any]
BATCH = 5_000


def _replace(value: Any, swaps: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        for old, new in swaps.items():
            value = value.replace(old, new)
        return value
    if isinstance(value, dict):
        return {key: _replace(item, swaps) for key, item in value.items()}
    if isinstance(value, list):
        return [_replace(item, swaps) for item in value]
    return value


def run_tables(only: Iterable[str] | None = None) -> list[Table]:
    """The tables holding a run's rows (``runs`` and those with a ``run_id``), parents first."""
    wanted = set(only) if only is not None else None
    tables = []
    for table in Base.metadata.sorted_tables:
        if wanted is not None and table.name not in wanted:
            continue
        if table.name == "runs" or "run_id" in table.c or table.name == "scheduled_jobs":
            tables.append(table)
    return tables


async def template_rows(session: AsyncSession, run_id: str, tables: Sequence[Table]) -> dict[str, list[Row]]:
    """Every row of the run in ``tables`` (jobs: those whose key names the run)."""
    rows: dict[str, list[Row]] = {}
    for table in tables:
        if table.name == "runs":
            condition = table.c.id == run_id
        elif table.name == "scheduled_jobs":
            condition = table.c.key.contains(run_id)
        else:
            condition = table.c.run_id == run_id
        found = (await session.execute(select(table).where(condition))).mappings().all()
        rows[table.name] = [dict(row) for row in found]
    return rows


async def insert_copies(
    session: AsyncSession,
    tables: Sequence[Table],
    template: Mapping[str, list[Row]],
    swaps_for: Callable[[int], dict[str, str]],
    count: int,
    adjust: Callable[[str, int, Row], Row] | None = None,
) -> None:
    """Insert ``count`` copies of the template; copy ``n`` rewrites the strings ``swaps_for(n)``
    names, then ``adjust(table, n, row)`` may change a row (times, statuses)."""
    for table in tables:
        rows = template.get(table.name, [])
        if not rows:
            continue
        # Columns the database numbers itself (autoincrement keys) are left to it.
        generated = {c.name for c in table.primary_key.columns if c.autoincrement is True}
        batch: list[Row] = []
        for number in range(count):
            swaps = swaps_for(number)
            for row in rows:
                copy = {key: _replace(value, swaps) for key, value in row.items() if key not in generated}
                batch.append(adjust(table.name, number, copy) if adjust is not None else copy)
            if len(batch) >= BATCH:
                await session.execute(insert(table), batch)
                batch = []
        if batch:
            await session.execute(insert(table), batch)
