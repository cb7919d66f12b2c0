"""Bring a database's schema to the latest revision, safely at every start."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import URL

from storage.database import parse_database_url

ALEMBIC_INI = Path(__file__).resolve().parent / "alembic.ini"

# Alembic keeps the running migration's context in module globals, so two upgrades in one process
# must not overlap; across processes the database's own lock (see migrations/env.py) decides.
_IN_PROCESS = threading.Lock()


def alembic_config(url: str | URL) -> Config:
    """Alembic's configuration for ``url``, for use by the service and by tests.

    The URL travels in ``config.attributes`` rather than the ini's ``sqlalchemy.url``, so
    passwords containing ``%`` need no escaping and never touch the ini file. The service's own
    logging set-up is left alone.
    """
    parsed = parse_database_url(url)
    config = Config(ALEMBIC_INI)
    config.attributes["url"] = parsed.render_as_string(hide_password=False)
    config.attributes["configure_logging"] = False
    return config


async def migrate(url: str | URL) -> None:
    """Run ``alembic upgrade head`` on ``url``.

    Idempotent, so the service calls it at every start. Concurrent callers (replicas starting
    together) serialise on a database lock, an advisory lock on PostgreSQL and the write lock on
    SQLite, and only the first applies anything. Alembic drives its async engine with
    ``asyncio.run``, which cannot nest inside a running loop, so the upgrade runs in a worker
    thread.

    Raises:
        storage.database.UnsupportedDatabaseError: when ``url`` is not a supported async URL.
    """
    config = alembic_config(url)
    await asyncio.to_thread(_upgrade_to_head, config)


def _upgrade_to_head(config: Config) -> None:
    with _IN_PROCESS:
        command.upgrade(config, "head")
