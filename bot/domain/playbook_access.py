"""Who may see, run and change a playbook."""

from __future__ import annotations

from bot.domain.playbook import Playbook


def can_view(playbook: Playbook, user_id: str, *, is_team_member: bool, is_system_admin: bool) -> bool:
    """Whether the user may see (and export) the playbook.

    System admins see everything. Everyone else must be on the playbook's team; there, public
    playbooks are visible to all and private ones to their members.
    """
    if is_system_admin:
        return True
    if not is_team_member:
        return False
    return playbook.public or user_id in playbook.member_ids or user_id in playbook.admin_ids


def can_run(playbook: Playbook, user_id: str, *, is_team_member: bool, is_system_admin: bool) -> bool:
    """Whether the user may start a run: everyone who may view it (team members of a public
    playbook, members of a private one, system admins)."""
    return can_view(playbook, user_id, is_team_member=is_team_member, is_system_admin=is_system_admin)


def can_edit(playbook: Playbook, user_id: str, *, is_team_member: bool, is_system_admin: bool) -> bool:
    """Whether the user may change, archive or delete the playbook: its admins who are still on
    its team, and system admins."""
    if is_system_admin:
        return True
    return is_team_member and user_id in playbook.admin_ids
