"""Who may see and change a run: the permission matrix of bot.services.run_access."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.domain.run import Run
from bot.services.run_access import (
    NOT_A_PARTICIPANT,
    OWNER_ONLY_FINISH,
    OWNER_ONLY_OWNER,
    RUN_NOT_FOUND,
    AccessFacts,
    RunAction,
    allowed,
    refusal,
)

OWNER, HELPER, BYSTANDER, ADMIN = "owner", "helper", "bystander", "admin"

RUN = Run(
    id="run1",
    number=1,
    playbook_id="pb1",
    team_id="team1",
    name="Database down",
    owner_id=OWNER,
    reporter_id=OWNER,
    channel_id="chan1",
    created_at=datetime(2026, 1, 1, tzinfo=UTC),
    participant_ids=(OWNER, HELPER),
)

ACTIONS = (RunAction.VIEW, RunAction.CHANGE, RunAction.FINISH)


def facts(
    *, admin: bool = False, private: bool = False, owner_only: bool = False, **more: bool
) -> AccessFacts:
    return AccessFacts(
        is_system_admin=admin, channel_private=private, owner_group_only_actions=owner_only, **more
    )


@pytest.mark.parametrize("private", [False, True])
@pytest.mark.parametrize("action", ACTIONS)
def test_participants_may_view_check_and_finish(private: bool, action: RunAction) -> None:
    assert allowed(RUN, HELPER, action, facts(private=private))
    assert allowed(RUN, OWNER, action, facts(private=private))


@pytest.mark.parametrize("private", [False, True])
@pytest.mark.parametrize("action", ACTIONS)
def test_system_admins_may_do_everything(private: bool, action: RunAction) -> None:
    assert allowed(RUN, ADMIN, action, facts(admin=True, private=private, owner_only=True))


def test_a_bystander_sees_a_public_run_but_may_not_change_it() -> None:
    assert allowed(RUN, BYSTANDER, RunAction.VIEW, facts())
    assert refusal(RUN, BYSTANDER, RunAction.CHANGE, facts()) == NOT_A_PARTICIPANT
    assert refusal(RUN, BYSTANDER, RunAction.FINISH, facts()) == NOT_A_PARTICIPANT
    assert refusal(RUN, BYSTANDER, RunAction.CHANGE_OWNER, facts()) == NOT_A_PARTICIPANT


@pytest.mark.parametrize("action", [*ACTIONS, RunAction.CHANGE_OWNER])
def test_a_private_run_is_not_found_by_a_bystander(action: RunAction) -> None:
    assert refusal(RUN, BYSTANDER, action, facts(private=True)) == RUN_NOT_FOUND


@pytest.mark.parametrize("action", ACTIONS)
def test_someone_off_the_team_does_not_find_a_public_run(action: RunAction) -> None:
    assert refusal(RUN, BYSTANDER, action, facts(is_team_member=False)) == RUN_NOT_FOUND


def test_owner_group_only_actions_keep_finishing_to_the_owner() -> None:
    only = facts(owner_only=True)
    assert refusal(RUN, HELPER, RunAction.FINISH, only) == OWNER_ONLY_FINISH
    assert refusal(RUN, HELPER, RunAction.CHANGE_OWNER, only) == OWNER_ONLY_OWNER
    assert allowed(RUN, OWNER, RunAction.FINISH, only)
    assert allowed(RUN, OWNER, RunAction.CHANGE_OWNER, only)


def test_owner_group_only_actions_leave_tasks_to_every_participant() -> None:
    assert allowed(RUN, HELPER, RunAction.CHANGE, facts(owner_only=True))
    assert allowed(RUN, HELPER, RunAction.VIEW, facts(owner_only=True))


def test_a_playbook_admin_may_hand_over_an_owner_only_run_but_not_finish_it() -> None:
    admin_facts = facts(owner_only=True, is_playbook_admin=True)
    assert allowed(RUN, BYSTANDER, RunAction.CHANGE_OWNER, admin_facts)
    assert allowed(RUN, HELPER, RunAction.CHANGE_OWNER, admin_facts)
    assert refusal(RUN, BYSTANDER, RunAction.FINISH, admin_facts) == NOT_A_PARTICIPANT
    assert refusal(RUN, HELPER, RunAction.FINISH, admin_facts) == OWNER_ONLY_FINISH


def test_without_owner_group_only_actions_a_playbook_admin_is_just_a_bystander() -> None:
    assert refusal(RUN, BYSTANDER, RunAction.CHANGE_OWNER, facts(is_playbook_admin=True)) == NOT_A_PARTICIPANT


@pytest.mark.parametrize("private", [False, True])
@pytest.mark.parametrize("action", ACTIONS)
def test_a_channel_member_not_yet_recorded_is_a_participant(private: bool, action: RunAction) -> None:
    assert allowed(RUN, BYSTANDER, action, facts(private=private, is_channel_member=True))
