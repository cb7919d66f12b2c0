"""Mattermost's default roles and how a session's permission is decided (``app/authorization.go``).

The role contents are those a new Mattermost 11.4 server stores (read from its ``roles`` table,
migrations applied), trimmed to the permissions the simulator checks. A permission on a channel
comes from the member's channel roles, else from the roles of their membership of the channel's
team, else from their system roles; a team permission from the team membership, else the system
roles. System admins hold every permission.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import Channel, User
    from .state import SimState

_CHANNEL_COMMON = {
    "add_reaction",
    "create_post",
    "manage_private_channel_members",
    "manage_public_channel_members",
    "remove_reaction",
    "upload_file",
    "use_channel_mentions",
}
_CHANNEL_USER = {
    "read_channel",
    "read_channel_content",
    "edit_post",
    "delete_post",
    "get_public_link",
    "manage_public_channel_properties",
    "manage_private_channel_properties",
    "delete_public_channel",
    "delete_private_channel",
}
_TEAM_USER = {
    "list_team_channels",
    "join_public_channels",
    "read_public_channel",
    "view_team",
    "create_public_channel",
    "create_private_channel",
    "invite_user",
    "add_user_to_team",
}
_TEAM_ADMIN = {
    "remove_user_from_team",
    "manage_team",
    "import_team",
    "manage_team_roles",
    "manage_channel_roles",
    "manage_own_slash_commands",
    "manage_others_slash_commands",
    "convert_public_channel_to_private",
    "convert_private_channel_to_public",
    "delete_post",
    "delete_others_posts",
}
_SYSTEM_USER = {
    "list_public_teams",
    "join_public_teams",
    "create_direct_channel",
    "create_group_channel",
    "view_members",
    "create_team",
    "create_emojis",
    "delete_emojis",
}

ROLES: dict[str, frozenset[str]] = {
    "channel_user": frozenset(_CHANNEL_COMMON | _CHANNEL_USER),
    "channel_admin": frozenset(_CHANNEL_COMMON | {"manage_channel_roles"}),
    "team_user": frozenset(_TEAM_USER),
    "team_admin": frozenset(_CHANNEL_COMMON | _TEAM_ADMIN),
    "system_user": frozenset(_SYSTEM_USER),
}
TEAM_ROLES = ("team_user", "team_admin")


def roles_grant(roles: str | set[str] | list[str], permission: str) -> bool:
    """Whether any of the roles (a space-separated string or a collection) holds ``permission``."""
    names = roles.split() if isinstance(roles, str) else roles
    return any(permission in ROLES.get(name, frozenset()) for name in names)


def system_grants(user: User, permission: str) -> bool:
    """``SessionHasPermissionTo``: the user's system roles (system admins hold everything)."""
    return user.is_system_admin or roles_grant(user.roles, permission)


def team_grants(state: SimState, user: User, team_id: str, permission: str) -> bool:
    """``SessionHasPermissionToTeam``: the team membership's roles, else the system roles."""
    if not team_id:
        return False
    if user.is_system_admin:
        return True
    team = state.teams.get(team_id)
    if team is not None and user.id in team.members and roles_grant(team.member_roles(user.id), permission):
        return True
    return system_grants(user, permission)


def channel_grants(state: SimState, user: User, channel: Channel, permission: str) -> bool:
    """``SessionHasPermissionToChannel``: channel roles, then the channel's team, then the system."""
    if user.is_system_admin:
        return True
    member = channel.members.get(user.id)
    if member is not None and roles_grant(member.roles, permission):
        return True
    if channel.team_id:
        return team_grants(state, user, channel.team_id, permission)
    return system_grants(user, permission)
