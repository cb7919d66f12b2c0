"""Named locks shared by every replica of the service, held in the database itself.

On PostgreSQL a lock is a session-level advisory lock on its own connection, so replicas
serialise a piece of start-up work (registering the slash command, completing runs left
unfinished) without a coordination server. SQLite is the single-replica backend: there is
nobody to wait for, so the lock is a no-op there.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine


def lock_key(name: str) -> int:
    """The signed 64-bit advisory-lock key of ``name`` (stable across processes and versions)."""
    digest = hashlib.blake2b(f"playbooks-bot:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@asynccontextmanager
async def replica_lock(engine: AsyncEngine, name: str) -> AsyncIterator[None]:
    """Hold the lock ``name`` for the body; other replicas asking for it wait until it ends.

    The lock belongs to a connection of its own (outside any transaction of the body) and is
    released when the body ends, or by the server if this process dies holding it.
    """
    if engine.dialect.name != "postgresql":
        yield
        return
    key = lock_key(name)
    async with engine.connect() as connection:
        await connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
        await connection.commit()
        try:
            yield
        finally:
            await connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
            await connection.commit()
