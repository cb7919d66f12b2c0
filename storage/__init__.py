"""Persistence: SQLAlchemy models, repositories, engine set-up and migrations.

Start-up runs :func:`storage.migrate.migrate`, then builds an engine with
:func:`storage.database.create_engine` and sessions with :func:`storage.database.session_factory`.
Repositories work inside the caller's transaction::

    async with sessions.begin() as session:
        run = await RunRepository(session).get(run_id)
"""
