"""Errors shared by the whole domain.

Every rule the domain enforces fails with a :class:`DomainError` whose ``message`` can be shown to
the person who asked, as it is. Field-level rules report :class:`ValidationProblem` values, so
several mistakes can be named at once instead of one per attempt.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


class DomainError(Exception):
    """A domain rule refused an operation; ``message`` is written for the person who asked."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class ValidationProblem:
    """One thing wrong with one field.

    ``field`` is a document path such as ``checklists[1].items[0].title`` (indices start at 0,
    as in the document); ``message`` says what is wrong, e.g. ``must be a non-empty string``.
    """

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class FormFieldsError(DomainError):
    """A form's values are refused; ``errors`` maps each form field to what is wrong with it.

    A dialog answers it by keeping the form open with each message under its field.
    """

    def __init__(self, errors: Mapping[str, str], message: str = "") -> None:
        super().__init__(message or " ".join(errors.values()))
        self.errors = dict(errors)
