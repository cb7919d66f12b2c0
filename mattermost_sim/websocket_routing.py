"""Which connections an event reaches, and how each numbers and buffers it (``web_hub.go``).

An event goes to one user, a channel's or a team's members, or everyone connected, less the users
its broadcast leaves out; sanitized and sensitive data split system admins from the rest. Each
receiving connection gives it its next ``seq`` and keeps it for a resume.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from .state import Broadcast, Event, SimState
from .websocket_connections import ConnectionState
from .websocket_hooks import mentioned_users, thread_followers


def route(state: SimState, event: Event, connections: Sequence[ConnectionState]) -> None:
    """Send ``event`` to every one of ``connections`` it is addressed to."""
    users = recipients(state, event.broadcast, {connection.user_id for connection in connections})
    if not users:
        return
    broadcast = event.broadcast.to_json()
    posted = event.event == "posted"
    mentioned = mentioned_users(state, event) if posted else set()
    followers = thread_followers(state, event) if posted else set()
    for connection in connections:
        if connection.user_id not in users:
            continue
        data = event.data
        # addMentionsBroadcastHook/addFollowersBroadcastHook: each receiver learns only of itself.
        if connection.user_id in mentioned:
            data = {**data, "mentions": json.dumps([connection.user_id])}
        if connection.user_id in followers:
            data = {**data, "followers": json.dumps([connection.user_id])}
        send_event(connection, event.event, data, broadcast)


def recipients(state: SimState, broadcast: Broadcast, connected: set[str]) -> set[str]:
    """The users an event reaches: one user, a channel's or a team's members, or everyone
    ``connected``."""
    if broadcast.user_id:
        users = {broadcast.user_id}
    elif broadcast.channel_id:
        channel = state.channels.get(broadcast.channel_id)
        users = set(channel.members) if channel is not None else set()
    elif broadcast.team_id:
        team = state.teams.get(broadcast.team_id)
        users = set(team.members) if team is not None else set()
    else:
        users = set(connected)
    if broadcast.contains_sanitized_data or broadcast.contains_sensitive_data:
        admins = {uid for uid in users if uid in state.users and state.users[uid].is_system_admin}
        users = admins if broadcast.contains_sensitive_data else users - admins
    return users - broadcast.omit_users


def send_event(
    connection: ConnectionState, name: str, data: dict[str, Any], broadcast: dict[str, Any]
) -> None:
    """Give the event the connection's next ``seq``, buffer it and send it if the socket is up."""
    if connection.skip_next:
        connection.next_seq += 1
        connection.skip_next = False
    seq = connection.next_seq
    connection.next_seq += 1
    frame = json.dumps({"event": name, "data": data, "broadcast": broadcast, "seq": seq})
    connection.dead_queue.append((seq, frame))
    if connection.socket is not None:
        connection.socket.push(frame)
