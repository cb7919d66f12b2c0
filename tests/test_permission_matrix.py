"""The permission matrix, written out: who may view, run and edit playbooks, and view, check and
finish runs, for public and private playbooks and runs.

Playbook rules are :func:`bot.domain.playbook_access.can_view`, ``can_run`` and ``can_edit``; run rules are
:func:`bot.services.run_access.allowed` (a run is "private" when its channel is). Each row is one
person; ``Y`` allowed, ``-`` refused. Changing a rule means changing this table, on purpose.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.domain.playbook import Playbook
from bot.domain.playbook_access import can_edit, can_run, can_view
from bot.domain.run import Run
from bot.services.run_access import RUN_NOT_FOUND, AccessFacts, RunAction, allowed, refusal

Y, N = True, False

# The people. Everyone but OUTSIDER is on the playbook's team.
MEMBER = "member"  # a member of the playbook, not of the run
NON_MEMBER = "non_member"  # on the team, neither in the playbook nor in the run
PARTICIPANT = "participant"  # a participant of the run, not a member of the playbook
OWNER = "owner"  # the run's owner (always a participant)
PLAYBOOK_ADMIN = "playbook_admin"  # an admin (so also a member) of the playbook, not in the run
SYSTEM_ADMIN = "system_admin"  # a Mattermost system admin, in neither
OUTSIDER = "outsider"  # not on the team

# fmt: off
PLAYBOOK_MATRIX: dict[str, tuple[tuple[bool, bool, bool], tuple[bool, bool, bool]]] = {
    #                    public playbook        private playbook
    #                    view  run   edit       view  run   edit
    MEMBER:             ((Y,   Y,    N),       (Y,   Y,    N)),
    NON_MEMBER:         ((Y,   Y,    N),       (N,   N,    N)),
    PARTICIPANT:        ((Y,   Y,    N),       (N,   N,    N)),
    PLAYBOOK_ADMIN:     ((Y,   Y,    Y),       (Y,   Y,    Y)),
    SYSTEM_ADMIN:       ((Y,   Y,    Y),       (Y,   Y,    Y)),
    OUTSIDER:           ((N,   N,    N),       (N,   N,    N)),
}

RUN_MATRIX: dict[str, tuple[tuple[bool, bool, bool], tuple[bool, bool, bool]]] = {
    #                    run in a public channel   run in a private channel
    #                    view  check finish        view  check finish
    MEMBER:             ((Y,   N,    N),          (N,   N,    N)),
    NON_MEMBER:         ((Y,   N,    N),          (N,   N,    N)),
    PARTICIPANT:        ((Y,   Y,    Y),          (Y,   Y,    Y)),
    OWNER:              ((Y,   Y,    Y),          (Y,   Y,    Y)),
    PLAYBOOK_ADMIN:     ((Y,   N,    N),          (N,   N,    N)),
    SYSTEM_ADMIN:       ((Y,   Y,    Y),          (Y,   Y,    Y)),
    OUTSIDER:           ((N,   N,    N),          (N,   N,    N)),
}

# With the playbook's owner_group_only_actions on, in a public channel: finishing is the owner's.
OWNER_ONLY_RUN_MATRIX: dict[str, tuple[bool, bool, bool]] = {
    #                    view  check finish
    MEMBER:             (Y,   N,    N),
    NON_MEMBER:         (Y,   N,    N),
    PARTICIPANT:        (Y,   Y,    N),
    OWNER:              (Y,   Y,    Y),
    PLAYBOOK_ADMIN:     (Y,   N,    N),
    SYSTEM_ADMIN:       (Y,   Y,    Y),
    OUTSIDER:           (N,   N,    N),
}
# fmt: on

PLAYBOOK = Playbook(
    id="pb1",
    team_id="team1",
    title="Incident response",
    public=True,
    member_ids=(MEMBER, PLAYBOOK_ADMIN),
    admin_ids=(PLAYBOOK_ADMIN,),
)
RUN = Run(
    id="run1",
    number=1,
    playbook_id=PLAYBOOK.id,
    team_id=PLAYBOOK.team_id,
    name="Database down",
    owner_id=OWNER,
    reporter_id=OWNER,
    channel_id="chan1",
    created_at=datetime(2026, 1, 1, tzinfo=UTC),
    participant_ids=(OWNER, PARTICIPANT),
)
PLAYBOOK_ACTIONS = ("view", "run", "edit")
RUN_ACTIONS = (RunAction.VIEW, RunAction.CHANGE, RunAction.FINISH)  # view, check (any task change), finish


def playbook_cells() -> list[tuple[str, bool, str, bool]]:
    return [
        (person, public, action, expected)
        for person, (public_row, private_row) in PLAYBOOK_MATRIX.items()
        for public, row in ((True, public_row), (False, private_row))
        for action, expected in zip(PLAYBOOK_ACTIONS, row, strict=True)
    ]


def run_cells() -> list[tuple[str, bool, bool, RunAction, bool]]:
    cells = [
        (person, private, False, action, expected)
        for person, (public_row, private_row) in RUN_MATRIX.items()
        for private, row in ((False, public_row), (True, private_row))
        for action, expected in zip(RUN_ACTIONS, row, strict=True)
    ]
    cells += [
        (person, False, True, action, expected)
        for person, row in OWNER_ONLY_RUN_MATRIX.items()
        for action, expected in zip(RUN_ACTIONS, row, strict=True)
    ]
    return cells


def facts_of(person: str, *, private: bool, owner_only: bool) -> AccessFacts:
    """What gather_facts would find out about ``person``."""
    return AccessFacts(
        is_system_admin=person == SYSTEM_ADMIN,
        is_team_member=person != OUTSIDER,
        channel_private=private,
        owner_group_only_actions=owner_only,
        is_playbook_admin=person in PLAYBOOK.admin_ids,
    )


@pytest.mark.parametrize(
    ("person", "public", "action", "expected"),
    playbook_cells(),
    ids=lambda value: str(value),
)
def test_playbook_permissions(person: str, public: bool, action: str, expected: bool) -> None:
    rule = {"view": can_view, "run": can_run, "edit": can_edit}[action]
    playbook = replace(PLAYBOOK, public=public)
    decided = rule(
        playbook, person, is_team_member=person != OUTSIDER, is_system_admin=person == SYSTEM_ADMIN
    )
    assert decided is expected


@pytest.mark.parametrize(
    ("person", "private", "owner_only", "action", "expected"),
    run_cells(),
    ids=lambda value: str(value),
)
def test_run_permissions(
    person: str, private: bool, owner_only: bool, action: RunAction, expected: bool
) -> None:
    facts = facts_of(person, private=private, owner_only=owner_only)
    assert allowed(RUN, person, action, facts) is expected


@pytest.mark.parametrize("person", [person for person, rows in RUN_MATRIX.items() if not rows[1][0]])
def test_a_hidden_run_is_reported_as_not_found_whatever_is_asked(person: str) -> None:
    facts = facts_of(person, private=True, owner_only=False)
    for action in RunAction:
        assert refusal(RUN, person, action, facts) == RUN_NOT_FOUND


def test_the_tables_cover_every_person_and_action() -> None:
    people = {MEMBER, NON_MEMBER, PARTICIPANT, PLAYBOOK_ADMIN, SYSTEM_ADMIN, OUTSIDER}
    assert set(PLAYBOOK_MATRIX) == people
    assert set(RUN_MATRIX) == people | {OWNER}
    assert set(OWNER_ONLY_RUN_MATRIX) == people | {OWNER}
    assert len(playbook_cells()) == 6 * 2 * 3
    assert len(run_cells()) == 7 * 2 * 3 + 7 * 3
