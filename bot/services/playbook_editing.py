"""Creating playbooks and saving edits from chat, with the history of who changed what.

Only a playbook's admins (still on its team) and system admins may edit it
(:func:`bot.domain.playbook_access.can_edit`); a playbook the person may not even see is "not found", as
everywhere. Each saved edit applies only the settings its form changed to the playbook as stored
now (:func:`bot.domain.playbook_changes.merged`), and is recorded in ``playbook_changes`` in the same
transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from importlib import resources
from typing import TYPE_CHECKING

from bot.domain.errors import DomainError, FormFieldsError
from bot.domain.playbook import InvalidPlaybookError, Playbook
from bot.domain.playbook_access import can_edit, can_view
from bot.domain.playbook_changes import MAX_SHOWN_CHANGES, PlaybookChange, Section, changed_fields, merged
from bot.playbook_format import import_playbook, parse_document
from bot.render.playbook_forms import START_COPY, START_STARTER
from bot.services.playbooks import (
    PlaybookConflictError,
    PlaybookNotFoundError,
    PlaybookPermissionError,
    find_playbook,
)
from storage.errors import DuplicateError, StorageError
from storage.repositories.playbook_changes import PlaybookChangeRepository
from storage.repositories.playbooks import PlaybookRepository

if TYPE_CHECKING:
    from bot.services.context import Services

STARTERS_PACKAGE = "bot.starter_playbooks"


class NotPlaybookAdminError(PlaybookPermissionError):
    """The person may see the playbook but not change it."""

    def __init__(self, title: str) -> None:
        super().__init__(
            f"Only the admins of **{title}** (and system admins) can edit it. "
            "Ask one of them, or create your own copy with `/playbook create`."
        )


@dataclass(frozen=True, slots=True)
class Starter:
    """A bundled starter playbook: ``key`` is its file name."""

    key: str
    title: str
    text: str


def starters() -> list[Starter]:
    """The starter playbooks shipped in :mod:`bot.starter_playbooks`, by title."""
    found = []
    for entry in resources.files(STARTERS_PACKAGE).iterdir():
        if entry.name.endswith((".yaml", ".yml", ".json")):
            text = entry.read_text(encoding="utf-8")
            document = parse_document(text, entry.name)
            found.append(Starter(entry.name, str(document.get("title", entry.name)), text))
    return sorted(found, key=lambda starter: starter.title.casefold())


async def _may_edit(services: Services, playbook: Playbook, user_id: str) -> tuple[bool, bool]:
    """Whether the person may ``(view, edit)`` the playbook."""
    is_system_admin = await services.people.is_system_admin(user_id)
    is_team_member = await services.people.is_team_member(playbook.team_id, user_id)
    roles = {"is_team_member": is_team_member, "is_system_admin": is_system_admin}
    return can_view(playbook, user_id, **roles), can_edit(playbook, user_id, **roles)


async def require_editor(services: Services, playbook: Playbook, user_id: str) -> None:
    """Refuse a person who may not edit the playbook (as "not found" if they may not see it)."""
    visible, editable = await _may_edit(services, playbook, user_id)
    if not visible:
        raise PlaybookNotFoundError(playbook.title)
    if not editable:
        raise NotPlaybookAdminError(playbook.title)


async def editable_playbook(services: Services, user_id: str, playbook_id: str) -> Playbook:
    """The playbook with this id, if the person may edit it.

    Raises:
        PlaybookNotFoundError: there is none, or the person may not see it.
        NotPlaybookAdminError: the person may see it but not edit it.
    """
    async with services.transaction() as session:
        playbook = await PlaybookRepository(session, clock=services.clock).get(playbook_id)
    if playbook is None:
        raise PlaybookNotFoundError(playbook_id)
    await require_editor(services, playbook, user_id)
    return playbook


async def save_edit(
    services: Services, user_id: str, before: Playbook, after: Playbook, section: Section
) -> Playbook:
    """Store the settings ``after`` changes from ``before`` (the version the form showed), recorded.

    Returns the stored playbook; nothing is written when nothing changed.

    Raises:
        FormFieldsError: the title is taken (under ``title_field``), or the result breaks a rule.
        NotPlaybookAdminError, PlaybookNotFoundError: the person may no longer edit it.
    """
    fields = changed_fields(before, after)
    if not fields:
        return before
    try:
        async with services.transaction() as session:
            playbooks = PlaybookRepository(session, clock=services.clock)
            current = await playbooks.get(before.id)
            if current is None:
                raise PlaybookNotFoundError(before.title)
            await require_editor(services, current, user_id)
            stored = merged(current, after, fields).validated()
            await playbooks.update(stored)
            change = PlaybookChange(stored.id, user_id, services.clock(), section, fields)
            await PlaybookChangeRepository(session).add(change)
    except DuplicateError as error:
        raise FormFieldsError({"title": "Another playbook of this team has this title."}) from error
    except InvalidPlaybookError as error:
        raise DomainError(error.message) from error
    except StorageError as error:
        raise PlaybookConflictError(error.message) from error
    services.playbook_edits += 1  # committed: caches of playbooks refresh on their next use
    return stored


async def create_playbook(services: Services, user_id: str, team_id: str, draft: Playbook) -> Playbook:
    """Store a new playbook of ``team_id`` with the person as its only admin, recorded as created.

    Raises:
        FormFieldsError: the title is taken, or the playbook breaks a rule.
    """
    playbook = replace(
        draft, id="", team_id=team_id, member_ids=(user_id,), admin_ids=(user_id,), schedules=()
    )
    try:
        playbook.validated()
        async with services.transaction() as session:
            stored = await PlaybookRepository(session, clock=services.clock).add(playbook)
            change = PlaybookChange(stored.id, user_id, services.clock(), Section.CREATED, ())
            await PlaybookChangeRepository(session).add(change)
    except DuplicateError as error:
        raise FormFieldsError({"title": "Another playbook of this team has this title."}) from error
    except InvalidPlaybookError as error:
        raise FormFieldsError({"title": error.message}) from error
    except StorageError as error:
        raise PlaybookConflictError(error.message) from error
    services.playbook_edits += 1
    return stored


async def draft_from(services: Services, user_id: str, team_id: str, start: str, title: str) -> Playbook:
    """What a new playbook starts from, as the create form names it: ``blank``, ``starter:KEY`` (a
    bundled starter) or ``copy:ID`` (a playbook the person may see).

    Raises:
        FormFieldsError: the starter is unknown, or the playbook to copy is not visible (``start``).
    """
    try:
        if start.startswith(START_STARTER):
            return starter_playbook(start.removeprefix(START_STARTER), team_id, user_id)
        if start.startswith(START_COPY):
            return await find_playbook(services, user_id, team_id, start.removeprefix(START_COPY))
    except DomainError as error:
        raise FormFieldsError({"start": error.message}) from error
    return Playbook("", team_id, title)


def starter_playbook(key: str, team_id: str, user_id: str) -> Playbook:
    """The starter playbook with this key, as a draft of the team (:class:`DomainError` if unknown)."""
    for starter in starters():
        if starter.key == key:
            document = parse_document(starter.text, starter.key)
            return import_playbook(document, team_id=team_id, importer_id=user_id).playbook
    raise DomainError("That starter playbook no longer exists; choose another.")


async def recent_changes(services: Services, playbook_id: str) -> list[PlaybookChange]:
    """The playbook's latest edits, newest first."""
    async with services.transaction() as session:
        return await PlaybookChangeRepository(session).recent(playbook_id, MAX_SHOWN_CHANGES)
