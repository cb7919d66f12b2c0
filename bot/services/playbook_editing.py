"""Creating playbooks and saving edits from chat, with the history of who changed what.

Only a playbook's admins (still on its team) and system admins may edit it
(:func:`bot.domain.playbook_access.can_edit`); a playbook the person may not even see is "not found", as
everywhere. Each saved edit applies only the settings its form changed to the playbook as stored
now (:func:`bot.domain.playbook_changes.merged`), and is recorded in ``playbook_changes`` in the same
transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from importlib import resources
from typing import TYPE_CHECKING, Any

from bot.domain.errors import DomainError, FormFieldsError
from bot.domain.playbook import InvalidPlaybookError, Playbook
from bot.domain.playbook_access import can_edit, can_view
from bot.domain.playbook_changes import MAX_SHOWN_CHANGES, PlaybookChange, Section, changed_fields, merged
from bot.domain.schedules import RunSchedule
from bot.mattermost.errors import MattermostError
from bot.playbook_format import import_playbook, parse_document
from bot.render.playbook_editing import edit_overview, playbook_created
from bot.render.playbook_forms import START_COPY, START_STARTER, checklists_fit
from bot.services.playbooks import (
    PlaybookConflictError,
    PlaybookNotFoundError,
    PlaybookPermissionError,
    find_playbook,
)
from bot.services.schedule_store import schedules_of_playbook
from storage.errors import DuplicateError, StorageError
from storage.repositories.playbook_changes import PlaybookChangeRepository
from storage.repositories.playbooks import PlaybookRepository

if TYPE_CHECKING:
    from bot.services.context import Services

log = logging.getLogger(__name__)

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


async def editable_checklist(services: Services, user_id: str, playbook_id: str, index: int) -> Playbook:
    """The playbook for editing its checklist ``index`` (0-based), refused when that checklist is gone."""
    playbook = await editable_playbook(services, user_id, playbook_id)
    if index >= len(playbook.checklists):
        raise DomainError("This checklist no longer exists; use `/playbook edit` again.")
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


async def create_from_form(
    services: Services,
    user_id: str,
    team_id: str,
    *,
    start: str,
    title: str,
    description: str,
    public: bool,
) -> Playbook:
    """The create form submitted: the draft it starts from (:func:`draft_from`) with the form's
    title, description (the draft's when left empty) and visibility, stored as the person's.

    Raises:
        FormFieldsError: no title, an unknown start, a title taken or a playbook breaking a rule.
    """
    if not title:
        raise FormFieldsError({"title": "Give the playbook a title."})
    draft = await draft_from(services, user_id, team_id, start, title)
    draft = replace(draft, title=title, description=description or draft.description, public=public)
    return await create_playbook(services, user_id, team_id, draft)


async def tell_created(services: Services, user_id: str, playbook: Playbook) -> None:
    """Send the person a direct message about the playbook they created, with its section buttons."""
    post = edit_overview_post(services, playbook, {})
    message = playbook_created(playbook, post["message"], trigger=services.command_trigger)
    try:
        direct = await services.gateway.direct_channel(user_id)
        await services.gateway.create_post(direct.id, message, props=post["props"])
    except MattermostError:
        log.exception("could not tell %s about the new playbook %s", user_id, playbook.id)


def edit_overview_post(
    services: Services, playbook: Playbook, usernames: Mapping[str, str]
) -> dict[str, Any]:
    """The playbook's sections with a button each (:func:`~bot.render.playbook_editing.edit_overview`)."""
    return edit_overview(
        playbook,
        checklists_fit=checklists_fit(playbook, usernames),
        signer=services.signer,
        url=services.action_url,
        trigger=services.command_trigger,
    )


def people_of(playbook: Playbook) -> Iterator[str]:
    """Everyone the playbook's forms name: members, invited people, the default owner, assignees."""
    yield from playbook.member_ids
    yield from playbook.invites.user_ids
    if playbook.default_owner.user_id:
        yield playbook.default_owner.user_id
    for checklist in playbook.checklists:
        yield from (item.assignee_id for item in checklist.items if item.assignee_id)


async def usernames_of(services: Services, playbook: Playbook) -> dict[str, str]:
    """The usernames of :func:`people_of`, by user id."""
    return await services.people.usernames(people_of(playbook))


async def channel_names(services: Services, channel_ids: Iterable[str]) -> dict[str, str]:
    """The names of these channels, by id; one Mattermost cannot give is left out."""
    names: dict[str, str] = {}
    for channel_id in channel_ids:
        try:
            names[channel_id] = (await services.gateway.channel(channel_id)).name
        except MattermostError:
            continue  # shown as its id; the form asks for a name the person can fix
    return names


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


@dataclass(frozen=True)
class PlaybookRecord:
    """What ``/playbook show`` tells beside the playbook: its schedules, its recent changes and the
    usernames of the people they name."""

    schedules: list[RunSchedule]
    changes: list[PlaybookChange]
    usernames: dict[str, str]


async def playbook_record(services: Services, playbook: Playbook) -> PlaybookRecord:
    """The playbook's schedules and recent changes, with the usernames its page shows."""
    schedules = await schedules_of_playbook(services, playbook.id)
    changes = await recent_changes(services, playbook.id)
    people = {playbook.default_owner.user_id} | {schedule.owner_id for schedule in schedules}
    people |= {change.user_id for change in changes}
    usernames = await services.people.usernames(person for person in people if person)
    return PlaybookRecord(schedules, changes, usernames)
