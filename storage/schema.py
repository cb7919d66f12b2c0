"""The whole schema: every table module imported, so ``metadata`` knows every table.

Tables live in one module per area (``storage/models.py`` for playbooks and runs, the others
beside it); migrations and the schema-drift test read :data:`metadata` from here.
"""

from __future__ import annotations

from storage import (
    models,
    models_jobs,
    models_listening,
    models_operations,
    models_playbook_changes,
    models_retrospectives,
    models_run_settings,
    models_schedules,
    models_updates,
    models_webhooks,
)
from storage.base import Base

metadata = Base.metadata

__all__ = [
    "metadata",
    "models",
    "models_jobs",
    "models_listening",
    "models_operations",
    "models_playbook_changes",
    "models_retrospectives",
    "models_run_settings",
    "models_schedules",
    "models_updates",
    "models_webhooks",
]
