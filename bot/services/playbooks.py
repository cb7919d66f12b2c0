"""Managing playbooks: importing documents, finding, listing and exporting, with permissions.

Every function here checks what the person may do (:func:`bot.domain.playbook_access.can_view` and
:func:`~bot.domain.playbook_access.can_edit`, fed by :class:`~bot.services.people.People`) and fails with a
:class:`~bot.domain.errors.DomainError` whose message can be shown as it is. A private playbook the
person may not see is reported exactly like one that does not exist, so its title never leaks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from bot.domain.errors import DomainError
from bot.domain.playbook import Playbook
from bot.domain.playbook_access import can_edit, can_view
from bot.domain.playbook_changes import PlaybookChange, Section, changed_fields
from bot.domain.schedules import RunSchedule
from bot.playbook_export import export_playbook
from bot.playbook_format import (
    MAX_DOCUMENT_BYTES,
    DocumentFormat,
    dump_document,
    import_playbook,
    parse_document,
)
from bot.playbook_references import References
from bot.services.playbook_references import export_names, resolve_references
from bot.services.schedule_store import replace_file_schedules
from storage.errors import StorageError
from storage.repositories.playbook_changes import PlaybookChangeRepository
from storage.repositories.playbooks import PlaybookRepository
from storage.repositories.settings import SettingsRepository

if TYPE_CHECKING:
    from bot.services.context import Services

# A Mattermost id: 26 characters of lowercase base 32. Anything else is looked up as a title.
_ID = re.compile(r"^[a-z0-9]{26}$")
_FILENAME_UNSAFE = re.compile(r"[^a-z0-9]+")
IMPORTABLE_EXTENSIONS = (".json", ".yaml", ".yml")
MAX_SUGGESTIONS = 5


class PlaybookNotFoundError(DomainError):
    """No playbook by that name or id that the person may see."""

    def __init__(self, name_or_id: str) -> None:
        self.name_or_id = name_or_id
        super().__init__(
            f"I can't find a playbook called “{name_or_id}” in this team. "
            "`/playbook list` shows the playbooks you can use."
        )


class AmbiguousPlaybookError(DomainError):
    """Several playbooks match a partial title; ``titles`` lists them."""

    def __init__(self, name: str, titles: Iterable[str]) -> None:
        self.titles = tuple(titles)
        listed = ", ".join(f"“{title}”" for title in self.titles[:MAX_SUGGESTIONS])
        more = " …" if len(self.titles) > MAX_SUGGESTIONS else ""
        super().__init__(f"“{name}” matches several playbooks: {listed}{more}. Please give the full title.")


class PlaybookPermissionError(DomainError):
    """The person may not do this to the playbook."""


class NotOnTeamError(DomainError):
    """The person is not a member of the team the playbook would belong to."""

    def __init__(self) -> None:
        super().__init__("You are not a member of that team, so you can't import playbooks into it.")


class PlaybookConflictError(DomainError):
    """The store refused the write, e.g. a playbook with the same title was saved meanwhile."""


class PlaybookFileError(DomainError):
    """A file that can't be read as a playbook document: wrong type, too large, not text."""


class AlreadyImportedError(DomainError):
    """This very request was imported before (a repeated click or event)."""

    def __init__(self) -> None:
        super().__init__("I already imported this file.")


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    """A stored imported playbook, what the import ignored, whether it replaced one, and the run
    schedules its file defines (owned by the importer)."""

    playbook: Playbook
    warnings: tuple[str, ...] = ()
    replaced: bool = False
    schedules: tuple[RunSchedule, ...] = ()


@dataclass(frozen=True, slots=True)
class _Roles:
    is_team_member: bool
    is_system_admin: bool


async def _roles(services: Services, team_id: str, user_id: str) -> _Roles:
    is_system_admin = await services.people.is_system_admin(user_id)
    is_team_member = await services.people.is_team_member(team_id, user_id)
    return _Roles(is_team_member=is_team_member, is_system_admin=is_system_admin)


def check_document(*, filename: str, text: str, team_id: str, user_id: str) -> Playbook:
    """Parse and check a document without storing it; raises naming every problem.

    Raises:
        PlaybookFormatError: the text is not a JSON or YAML mapping (or the file type is wrong).
        PlaybookImportError: the document does not describe a valid playbook.
    """
    document = parse_document(text, filename)
    return import_playbook(document, team_id=team_id, importer_id=user_id).playbook


async def import_document(
    services: Services,
    *,
    team_id: str,
    user_id: str,
    filename: str,
    text: str,
    handled_key: str | None = None,
) -> ImportOutcome:
    """Import a playbook document (JSON or YAML, told by ``filename``) into a team for a person.

    All or nothing: the document is parsed and checked in full before anything is stored. The
    people, channels and webhook URLs it names are checked against this server
    (:func:`~bot.services.playbook_references.resolve_references`); those that don't hold are
    dropped with a warning. A playbook of the team with the same title is replaced when the person
    may edit it (one of its admins, or a system admin), keeping its id, archive state and the
    settings the file does not mention (its visibility, members, invitations, default owner,
    broadcast and webhooks); otherwise the import is refused. The file's ``schedules``
    become run schedules of the playbook owned by the person (read in their time zone unless a
    schedule names one), replacing those an earlier import of the file set; schedules set with
    ``/playbook schedule`` stay. With ``handled_key`` the key is marked handled
    (:meth:`SettingsRepository.mark_handled`). All of it happens in one transaction, so a
    repeated request imports once and a failed one can be retried.

    Raises:
        PlaybookFormatError, PlaybookImportError: the document is unreadable or invalid (each bad
            field is named).
        NotOnTeamError: the person is not on the team (system admins may import anywhere).
        PlaybookPermissionError: a playbook with this title exists and the person may not edit it.
        PlaybookConflictError: the store refused the write (e.g. a concurrent import).
        AlreadyImportedError: ``handled_key`` was marked before.
    """
    document = parse_document(text, filename)
    result = import_playbook(document, team_id=team_id, importer_id=user_id)
    roles = await _roles(services, team_id, user_id)
    if not (roles.is_team_member or roles.is_system_admin):
        raise NotOnTeamError()
    imported, dropped = await resolve_references(
        services, result.playbook, result.references, importer_id=user_id
    )
    warnings = result.warnings + dropped
    # The person's time zone reads the file's schedules that name none, as /playbook schedule does.
    owner_timezone = (await services.people.user(user_id)).timezone if imported.schedules else ""
    try:
        async with services.transaction() as session:
            if handled_key is not None and not await SettingsRepository(session).mark_handled(handled_key):
                raise AlreadyImportedError()
            playbooks = PlaybookRepository(session, clock=services.clock)
            existing = await playbooks.get_by_title(team_id, imported.title)
            if existing is None:
                stored = await playbooks.add(imported)
                fields: tuple[str, ...] = ()
            else:
                if not can_edit(
                    existing,
                    user_id,
                    is_team_member=roles.is_team_member,
                    is_system_admin=roles.is_system_admin,
                ):
                    raise _refuse_replacement(existing, user_id, roles)
                stored = _replacement(existing, imported, result.references)
                await playbooks.update(stored)
                fields = changed_fields(existing, stored)
            if existing is None or fields:
                await PlaybookChangeRepository(session).add(
                    PlaybookChange(stored.id, user_id, services.clock(), Section.IMPORTED, fields)
                )
            schedules = await replace_file_schedules(
                session, stored, owner_id=user_id, owner_timezone=owner_timezone, now=services.clock()
            )
            outcome = ImportOutcome(stored, warnings, existing is not None, schedules)
    except StorageError as error:
        raise PlaybookConflictError(error.message) from error
    services.playbook_edits += 1  # committed: caches of playbooks refresh on their next use
    return outcome


def _refuse_replacement(existing: Playbook, user_id: str, roles: _Roles) -> DomainError:
    visible = can_view(
        existing, user_id, is_team_member=roles.is_team_member, is_system_admin=roles.is_system_admin
    )
    if not visible:
        # Don't reveal a private playbook's existence; its title is all the person knows.
        return PlaybookPermissionError(
            f"A playbook titled “{existing.title}” already exists in this team and you can't change it. "
            "Rename the playbook in your file (its `title`) and send it again."
        )
    return PlaybookPermissionError(
        f"A playbook titled “{existing.title}” already exists in this team, and only its admins can "
        "replace it. Ask one of them to import your file, or rename the playbook (its `title`)."
    )


def _replacement(existing: Playbook, imported: Playbook, references: References) -> Playbook:
    """The imported content under the existing playbook's identity; the settings pointing at this
    server that the file does not mention stay as they are."""
    kept = references.present
    channel = imported.channel
    if "create_public_playbook_run" not in kept:
        channel = replace(channel, create_public_channel=existing.channel.create_public_channel)
    updates = imported.status_updates
    if "broadcast" not in kept:
        updates = replace(
            updates,
            broadcast_channel_ids=existing.status_updates.broadcast_channel_ids,
            broadcast_enabled=existing.status_updates.broadcast_enabled,
        )
    if "webhook_on_status_update" not in kept:
        updates = replace(updates, webhooks=existing.status_updates.webhooks)
    members = "members" in kept
    return replace(
        imported,
        id=existing.id,
        team_id=existing.team_id,
        archived_at=existing.archived_at,
        public=imported.public if "public" in kept else existing.public,
        member_ids=imported.member_ids if members else existing.member_ids,
        admin_ids=imported.admin_ids if members else existing.admin_ids,
        default_owner=imported.default_owner if "default_owner" in kept else existing.default_owner,
        invites=imported.invites if "invites" in kept else existing.invites,
        creation_webhooks=(
            imported.creation_webhooks if "webhook_on_creation" in kept else existing.creation_webhooks
        ),
        channel=channel,
        status_updates=updates,
    ).validated()


async def visible_playbooks(
    services: Services, user_id: str, team_ids: Iterable[str], *, archived: bool | None = False
) -> list[Playbook]:
    """The playbooks of these teams the person may see, by title: the live ones, or with
    ``archived`` True the archived ones, or with None both.

    Teams the person is not on are left out (a system admin sees every team asked about).
    """
    teams = list(dict.fromkeys(team_ids))
    is_system_admin = await services.people.is_system_admin(user_id)
    if not is_system_admin:
        teams = [team for team in teams if await services.people.is_team_member(team, user_id)]
    if not teams:
        return []
    async with services.transaction() as session:
        playbooks = PlaybookRepository(session, clock=services.clock)
        found = await playbooks.list_visible(user_id, teams, is_system_admin=is_system_admin)
    return [playbook for playbook in found if archived is None or playbook.archived == archived]


async def find_playbook(services: Services, user_id: str, team_id: str, name_or_id: str) -> Playbook:
    """The team's playbook with this id or title (any case), or else the only one whose title
    contains ``name_or_id``, among those the person may see (archived ones too).

    Raises:
        PlaybookNotFoundError: nothing matches among the playbooks the person may see.
        AmbiguousPlaybookError: no exact match, and several titles contain the text.
    """
    wanted = name_or_id.strip()
    if not wanted:
        raise PlaybookNotFoundError(name_or_id)
    roles = await _roles(services, team_id, user_id)

    def visible(playbook: Playbook | None) -> bool:
        return playbook is not None and can_view(
            playbook, user_id, is_team_member=roles.is_team_member, is_system_admin=roles.is_system_admin
        )

    async with services.transaction() as session:
        playbooks = PlaybookRepository(session, clock=services.clock)
        by_id = await playbooks.get(wanted) if _ID.match(wanted) else None
        if by_id is not None and by_id.team_id == team_id and visible(by_id):
            return by_id
        by_title = await playbooks.get_by_title(team_id, wanted)
        if by_title is not None and visible(by_title):
            return by_title
    candidates = await visible_playbooks(services, user_id, [team_id], archived=None)
    folded = wanted.casefold()
    partial = [playbook for playbook in candidates if folded in playbook.title.casefold()]
    if len(partial) == 1:
        return partial[0]
    if partial:
        raise AmbiguousPlaybookError(wanted, [playbook.title for playbook in partial])
    raise PlaybookNotFoundError(wanted)


async def export(
    services: Services,
    user_id: str,
    playbook: Playbook,
    *,
    format: DocumentFormat = DocumentFormat.JSON,
) -> tuple[str, str]:
    """The playbook as an export file: ``(filename, text)``, JSON by default (Mattermost's layout).

    Raises:
        PlaybookNotFoundError: the person may not see the playbook.
    """
    roles = await _roles(services, playbook.team_id, user_id)
    if not can_view(
        playbook, user_id, is_team_member=roles.is_team_member, is_system_admin=roles.is_system_admin
    ):
        raise PlaybookNotFoundError(playbook.title)
    names = await export_names(services, playbook)
    return export_filename(playbook, format), dump_document(export_playbook(playbook, names), format)


def export_filename(playbook: Playbook, format: DocumentFormat = DocumentFormat.JSON) -> str:
    """A file name for the playbook's export, e.g. ``incident-response.playbook.json``."""
    slug = _FILENAME_UNSAFE.sub("-", playbook.title.casefold()).strip("-")[:64].strip("-") or "playbook"
    return f"{slug}.playbook.{format.value}"


# Files ----------------------------------------------------------------------------------------


def is_importable_name(filename: str) -> bool:
    """Whether the file name says JSON or YAML (``.json``, ``.yaml``, ``.yml``, any case)."""
    return filename.lower().endswith(IMPORTABLE_EXTENSIONS)


def decode_document(filename: str, data: bytes) -> str:
    """A document file's bytes as text, refusing files too large or not UTF-8.

    Raises:
        PlaybookFileError: the file is larger than :data:`MAX_DOCUMENT_BYTES` or not UTF-8.
    """
    if len(data) > MAX_DOCUMENT_BYTES:
        raise _too_large(filename)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise PlaybookFileError(
            f"“{filename}” is not UTF-8 text (byte {error.start + 1} is not valid), "
            "so it can't be a JSON or YAML playbook."
        ) from error


def _too_large(filename: str) -> PlaybookFileError:
    limit = MAX_DOCUMENT_BYTES // (1024 * 1024)
    return PlaybookFileError(f"“{filename}” is larger than {limit} MiB, too large for a playbook.")


async def read_uploaded_document(services: Services, file_id: str) -> tuple[str, str]:
    """An uploaded file's name and text, checked before it is downloaded.

    Raises:
        PlaybookFileError: the file is not ``.json``/``.yaml``/``.yml``, too large (judged by its
            metadata, before downloading), or not UTF-8.
    """
    info = await services.gateway.file_info(file_id)
    filename = info.name or file_id
    if not is_importable_name(filename):
        raise PlaybookFileError(
            "I can only import .json or .yaml playbooks, such as a playbook exported from Mattermost; "
            f"“{filename}” is neither, so I left it alone."
        )
    if info.size > MAX_DOCUMENT_BYTES:
        raise _too_large(filename)
    return filename, decode_document(filename, await services.gateway.download_file(file_id))
