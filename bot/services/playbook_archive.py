"""Archiving a playbook and bringing it back: ``/playbook archive NAME`` and ``/playbook restore NAME``.

An archived playbook keeps its runs, their timelines and its insights; it only starts no new runs
(:func:`bot.services.run_start.start_run` refuses) and is left out of ``/playbook list``, the
run form and keyword prompts. Only the playbook's admins and system admins may do either.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from bot.domain.playbook_access import can_edit
from bot.domain.playbook_changes import PlaybookChange, Section
from bot.services.playbooks import (
    PlaybookConflictError,
    PlaybookNotFoundError,
    PlaybookPermissionError,
    find_playbook,
)
from storage.errors import StorageError
from storage.repositories.playbook_changes import PlaybookChangeRepository
from storage.repositories.playbooks import PlaybookRepository

if TYPE_CHECKING:
    from bot.domain.playbook import Playbook
    from bot.services.context import Services


@dataclass(frozen=True, slots=True)
class ArchiveChange:
    """The playbook after the change, and whether it was already so (a repeated command)."""

    playbook: Playbook
    already: bool = False


async def set_archived(
    services: Services, user_id: str, team_id: str, name: str, *, archived: bool
) -> ArchiveChange:
    """Archive (``archived``) or restore the team's playbook called ``name`` for ``user_id``.

    Raises:
        PlaybookNotFoundError, AmbiguousPlaybookError: no single playbook by that name the person sees.
        PlaybookPermissionError: the person is not one of its admins nor a system admin.
        PlaybookConflictError: the store refused the write (e.g. a title taken meanwhile).
    """
    found = await find_playbook(services, user_id, team_id, name)
    is_system_admin = await services.people.is_system_admin(user_id)
    is_team_member = await services.people.is_team_member(team_id, user_id)
    if not can_edit(found, user_id, is_team_member=is_team_member, is_system_admin=is_system_admin):
        verb = "archive" if archived else "restore"
        raise PlaybookPermissionError(
            f"Only the admins of **{found.title}** (or a system admin) can {verb} it."
        )
    try:
        async with services.transaction() as session:
            playbooks = PlaybookRepository(session, clock=services.clock)
            record = await playbooks.get_record(found.id)
            if record is None:
                raise PlaybookNotFoundError(name)
            current = record.playbook
            if current.archived == archived:
                return ArchiveChange(current, already=True)
            changed = replace(current, archived_at=services.clock() if archived else None)
            await playbooks.update(changed, expected_revision=record.revision)
            section = Section.ARCHIVED if archived else Section.RESTORED
            await PlaybookChangeRepository(session).add(
                PlaybookChange(changed.id, user_id, services.clock(), section, ())
            )
    except StorageError as error:
        raise PlaybookConflictError(error.message) from error
    services.playbook_edits += 1  # committed: caches of playbooks (keywords, run form) refresh
    return ArchiveChange(changed)
