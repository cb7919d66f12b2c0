"""Who may see and change a run.

The rules follow the Playbooks plugin (playbooks-plugin.md §4.3):

* system admins may do everything;
* a run's participants (the owner is always one) may change it: check tasks, edit the
  checklist, add people, finish and restore it. The members of the run's channel are its
  participants (:mod:`bot.services.joiners` records who joins and leaves); someone just added to
  the channel counts as one before that record is made;
* everyone else on the team may look at a run in a public channel but not change it; a run in a
  private channel is invisible to them, and they are told it can't be found rather than that it
  exists;
* with the playbook's ``owner_group_only_actions``, only the owner and system admins may finish,
  restore or hand over the run; a playbook admin may also hand it over.

:func:`refusal` is the pure decision; :func:`require` gathers the facts it needs (asking
Mattermost only when the answer depends on them) and raises :class:`RunAccessError`.
:func:`choose_channel_run` finds the run a command in a channel means (a channel linked to a
playbook may hold several).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from bot.domain.errors import DomainError
from bot.domain.run import Run, RunStatus
from bot.mattermost.errors import NotFound
from storage.repositories.playbooks import PlaybookRepository
from storage.repositories.runs import RunRepository

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.services.context import Services

RUN_NOT_FOUND = "I can't find that run."
NOT_A_PARTICIPANT = (
    "Only the run's participants can change it. Ask one of them to add you with `/playbook add @yourname`."
)
OWNER_ONLY_FINISH = "This playbook lets only the run's owner or a system admin finish or restore the run."
OWNER_ONLY_OWNER = "This playbook lets only the run's owner or an admin hand the run over to someone else."


class RunAction(StrEnum):
    """What a person wants to do with a run."""

    VIEW = "view"
    CHANGE = "change"
    """Tasks, checklist edits, assignments, adding and removing participants."""
    FINISH = "finish"
    """Finishing and restoring."""
    CHANGE_OWNER = "change_owner"


@dataclass(frozen=True, slots=True)
class AccessFacts:
    """What the rules depend on besides the run itself."""

    is_system_admin: bool = False
    is_team_member: bool = True
    channel_private: bool = False
    owner_group_only_actions: bool = False
    is_playbook_admin: bool = False
    is_channel_member: bool = False


class RunAccessError(DomainError):
    """The person may not do this; ``message`` says why (or that the run can't be found)."""


class RunNotVisibleError(RunAccessError):
    """The run is hidden from the person: they are told it can't be found."""

    def __init__(self) -> None:
        super().__init__(RUN_NOT_FOUND)


def refusal(run: Run, user_id: str, action: RunAction, facts: AccessFacts) -> str | None:
    """Why ``user_id`` may not do ``action`` on ``run``, or ``None`` when they may.

    A refusal to view is always :data:`RUN_NOT_FOUND`, so nobody learns that a hidden run exists.
    """
    if facts.is_system_admin:
        return None
    participant = user_id in run.participant_ids or user_id == run.owner_id or facts.is_channel_member
    if not participant and (not facts.is_team_member or facts.channel_private):
        return RUN_NOT_FOUND
    if action is RunAction.VIEW:
        return None
    if not participant:
        if action is RunAction.CHANGE_OWNER and facts.owner_group_only_actions and facts.is_playbook_admin:
            return None
        return NOT_A_PARTICIPANT
    if facts.owner_group_only_actions and user_id != run.owner_id:
        if action is RunAction.FINISH:
            return OWNER_ONLY_FINISH
        if action is RunAction.CHANGE_OWNER and not facts.is_playbook_admin:
            return OWNER_ONLY_OWNER
    return None


def allowed(run: Run, user_id: str, action: RunAction, facts: AccessFacts) -> bool:
    """Whether ``user_id`` may do ``action`` on ``run``."""
    return refusal(run, user_id, action, facts) is None


async def gather_facts(
    services: Services, session: AsyncSession, run: Run, user_id: str, action: RunAction
) -> AccessFacts:
    """The facts :func:`refusal` needs for this person and action, asking only what matters.

    A participant changing tasks costs no request at all; the admin flag comes from the cached
    user, the channel's membership and privacy from Mattermost only for non-participants.
    """
    participant = user_id in run.participant_ids or user_id == run.owner_id
    owner_only = False
    playbook_admin = False
    if action in (RunAction.FINISH, RunAction.CHANGE_OWNER) and run.playbook_id:
        record = await PlaybookRepository(session).get_record(run.playbook_id, include_deleted=True)
        if record is not None:
            owner_only = record.playbook.owner_group_only_actions
            playbook_admin = user_id in record.playbook.admin_ids
    needs_admin = not participant or (owner_only and user_id != run.owner_id)
    is_admin = needs_admin and await services.people.is_system_admin(user_id)
    if participant or is_admin:
        return AccessFacts(
            is_system_admin=is_admin, owner_group_only_actions=owner_only, is_playbook_admin=playbook_admin
        )
    try:
        channel_private = (await services.gateway.channel(run.channel_id)).type != "O"
    except NotFound:
        # A channel the bot can no longer read is treated as private: better hidden than leaked.
        channel_private = True
    # Membership matters to change a run, or to see a private one; looking at a public run it
    # costs no request. A member not yet recorded has just joined: the websocket's word is on its way.
    channel_member = (
        action is not RunAction.VIEW or channel_private
    ) and await services.gateway.is_channel_member(run.channel_id, user_id)
    return AccessFacts(
        is_system_admin=False,
        is_team_member=channel_member or await services.people.is_team_member(run.team_id, user_id),
        channel_private=channel_private,
        owner_group_only_actions=owner_only,
        is_playbook_admin=playbook_admin,
        is_channel_member=channel_member,
    )


async def require(
    services: Services, session: AsyncSession, run: Run, user_id: str, action: RunAction
) -> AccessFacts:
    """Raise :class:`RunAccessError` unless ``user_id`` may do ``action`` on ``run``; the facts
    that allowed it."""
    facts = await gather_facts(services, session, run, user_id, action)
    reason = refusal(run, user_id, action, facts)
    if reason == RUN_NOT_FOUND:
        raise RunNotVisibleError()
    if reason is not None:
        raise RunAccessError(reason)
    return facts


async def load_run(services: Services, run_id: str, user_id: str, action: RunAction) -> Run:
    """The run, if ``user_id`` may do ``action`` on it; else :class:`RunAccessError`
    (:class:`RunNotVisibleError` when it is missing or hidden from them)."""
    return await _load(services, lambda runs: runs.get(run_id), user_id, action)


class NoSuchRunNumberError(RunAccessError):
    """The channel has no run with the number the person gave."""

    def __init__(self, number: int) -> None:
        super().__init__(f"This channel has no run #{number}.")


async def choose_channel_run(
    services: Services, channel_id: str, user_id: str, action: RunAction, number: int | None = None
) -> Run | list[Run]:
    """The run of ``channel_id`` a command means, checked for ``action``; or, when the channel
    holds several that fit, all of them (newest first) for the person to choose from.

    With ``number`` (``#42``), the run with that number; without, the run in progress, or the
    newest when none is. Runs hidden from ``user_id`` do not count: with none left, this is
    :class:`RunNotVisibleError`, as for a channel without runs.
    """
    async with services.transaction() as session:
        runs = RunRepository(session)
        if number is not None:
            candidates = await runs.channel_runs(channel_id, number=number)
        else:
            # Read through the run cache. Only runs of linked playbooks share a channel, and they
            # come after the run the channel was made for: a current run of a channel made for it
            # is the only one in progress.
            current = await runs.get_by_channel(channel_id)
            candidates = [current] if current is not None else []
            shared = current is not None and current.linked_channel and not current.is_finished
            if shared and await runs.count_in_progress(channel_id) > 1:
                candidates = await runs.channel_runs(channel_id, status=RunStatus.IN_PROGRESS)
        if number is not None and not candidates:
            raise NoSuchRunNumberError(number)
        fitting = candidates
        if len(candidates) > 1:
            fitting = []
            for run in candidates:
                facts = await gather_facts(services, session, run, user_id, RunAction.VIEW)
                if allowed(run, user_id, RunAction.VIEW, facts):
                    fitting.append(run)
            if len(fitting) > 1:
                return fitting
        if not fitting:
            raise RunNotVisibleError()
        await require(services, session, fitting[0], user_id, action)
        return fitting[0]


async def chosen_channel_run(
    services: Services, run_id: str, channel_id: str, user_id: str, action: RunAction
) -> Run:
    """The run a person chose with a "which run?" button of ``channel_id``, checked for
    ``action``: a run of another channel is as unknown as a hidden one."""
    run = await load_run(services, run_id, user_id, action)
    if run.channel_id != channel_id:
        raise RunNotVisibleError()
    return run


async def _load(
    services: Services,
    find: Callable[[RunRepository], Awaitable[Run | None]],
    user_id: str,
    action: RunAction,
) -> Run:
    async with services.transaction() as session:
        run = await find(RunRepository(session))
        if run is None:
            raise RunNotVisibleError()
        await require(services, session, run, user_id, action)
        return run
