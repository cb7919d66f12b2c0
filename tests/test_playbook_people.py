"""The people a playbook's edit forms name, so their usernames are looked up once."""

from __future__ import annotations

from bot.domain.playbook import (
    ChecklistItemTemplate,
    ChecklistTemplate,
    DefaultOwnerSettings,
    InviteSettings,
    Playbook,
)
from bot.services.playbook_editing import people_of


def test_members_invited_default_owner_and_assignees_are_named() -> None:
    playbook = Playbook(
        "p",
        "t",
        "Incident",
        member_ids=("alice",),
        invites=InviteSettings(user_ids=("bob",)),
        default_owner=DefaultOwnerSettings(user_id="carol"),
        checklists=(
            ChecklistTemplate(
                "Triage", (ChecklistItemTemplate("Page", assignee_id="dave"), ChecklistItemTemplate("Call"))
            ),
        ),
    )
    assert list(people_of(playbook)) == ["alice", "bob", "carol", "dave"]
    assert list(people_of(Playbook("p", "t", "Empty"))) == []
