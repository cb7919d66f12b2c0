"""Errors the repositories raise when a write cannot be applied as asked."""

from __future__ import annotations


class StorageError(Exception):
    """A write that could not be applied; ``message`` can be shown to the person who asked."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFoundError(StorageError):
    """The record to change does not exist (or was deleted)."""


class StaleRevisionError(StorageError):
    """The record changed since it was read; read it again and redo the change."""


class DuplicateError(StorageError):
    """A unique key is already taken: a playbook title in the team, a run's channel, an id."""
