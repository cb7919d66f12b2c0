"""The system messages Mattermost posts when people join, leave or change a channel or team.

Each is an ordinary post (announced with ``posted``) of a ``system_*`` type, by the person who
caused it, with the texts and props of ``app/channel.go`` and ``app/team.go``. The REST routes
post them; the seed and the simulator's backstage set-up do not (the seeded world is as it was
before anyone connected).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .models import Channel, User

if TYPE_CHECKING:
    from .state import SimState

DEFAULT_CHANNEL = "town-square"


def _added_props(adder: User, added: User) -> dict[str, str]:
    """The props of a "someone added someone" message, in channels and teams alike."""
    return {
        "userId": adder.id,
        "username": adder.username,
        "addedUserId": added.id,
        "addedUsername": added.username,
    }


def joined_channel(state: SimState, user: User, channel: Channel) -> None:
    """``system_join_channel``: the user joined (or created) the channel."""
    message = f"{user.username} joined the channel."
    state.system_post(user, channel, "system_join_channel", message, {"username": user.username})


def added_to_channel(state: SimState, adder: User, added: User, channel: Channel) -> None:
    """``system_add_to_channel``: someone else added the user."""
    props = _added_props(adder, added)
    message = f"{added.username} added to the channel by {adder.username}."
    state.system_post(adder, channel, "system_add_to_channel", message, props)


def member_added(state: SimState, adder: User, added: User, channel: Channel) -> None:
    """The message ``AddChannelMember`` posts: joined (by oneself) or added (by someone else)."""
    if adder.id == added.id:
        joined_channel(state, added, channel)
    else:
        added_to_channel(state, adder, added, channel)


def left_channel(state: SimState, user: User, channel: Channel, enabled: bool) -> None:
    """``system_leave_channel`` (not in town-square unless default-channel messages are on)."""
    if channel.name == DEFAULT_CHANNEL and not enabled:
        return
    message = f"@{user.username} left the channel."
    state.system_post(user, channel, "system_leave_channel", message, {"username": user.username})


def removed_from_channel(state: SimState, remover: User, removed: User, channel: Channel) -> None:
    """``system_remove_from_channel``: posted by the remover."""
    props = {"removedUserId": removed.id, "removedUsername": removed.username}
    message = f"@{removed.username} removed from the channel."
    state.system_post(remover, channel, "system_remove_from_channel", message, props)


def channel_patched(state: SimState, user: User, channel: Channel, before: dict[str, str]) -> None:
    """The messages ``PatchChannel`` posts for a changed display name, header and purpose."""
    name = user.username
    old, new = before["display_name"], channel.display_name
    if old != new:
        props = {"username": name, "old_displayname": old, "new_displayname": new}
        message = f"{name} updated the channel display name from: {old} to: {new}"
        state.system_post(user, channel, "system_displayname_change", message, props)
    for field, post_type in (("header", "system_header_change"), ("purpose", "system_purpose_change")):
        old, new = before[field], getattr(channel, field)
        if old == new:
            continue
        if not old:
            message = f"{name} updated the channel {field} to: {new}"
        elif not new:
            message = f"{name} removed the channel {field} (was: {old})"
        else:
            message = f"{name} updated the channel {field} from: {old} to: {new}"
        props = {"username": name, f"old_{field}": old, f"new_{field}": new}
        state.system_post(user, channel, post_type, message, props)


def channel_archived(state: SimState, user: User, channel: Channel) -> None:
    """``system_channel_deleted``: posted by whoever archived the channel."""
    message = f"{user.username} archived the channel."
    state.system_post(user, channel, "system_channel_deleted", message, {"username": user.username})


def joined_team(state: SimState, user: User, town_square: Channel) -> None:
    """``system_join_team`` in the team's town-square."""
    message = f"{user.username} joined the team."
    state.system_post(user, town_square, "system_join_team", message, {"username": user.username})


def added_to_team(state: SimState, adder: User, added: User, town_square: Channel) -> None:
    """``system_add_to_team`` in the team's town-square."""
    props = _added_props(adder, added)
    message = f"{added.username} added to the team by {adder.username}."
    state.system_post(adder, town_square, "system_add_to_team", message, props)
