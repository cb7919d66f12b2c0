"""One repository per aggregate; each works in the caller's session and never commits."""

from storage.repositories.playbooks import PlaybookRecord, PlaybookRepository
from storage.repositories.runs import RunRepository
from storage.repositories.settings import SettingsRepository

__all__ = ["PlaybookRecord", "PlaybookRepository", "RunRepository", "SettingsRepository"]
