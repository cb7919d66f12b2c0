"""Mattermost's built-in slash commands, as ``GET /commands`` lists them next to custom ones.

Read from a Mattermost 11.4 server with its default settings: (trigger, display name,
autocomplete description, autocomplete hint). They are listed sanitized (no id, team, token or
URL), and no custom command may take their triggers.
"""

from __future__ import annotations

from typing import Any

BUILT_IN_COMMANDS: tuple[tuple[str, str, str, str], ...] = (
    ("away", "away", "Set your status away", ""),
    ("code", "code", "Display text as a code block", "[text]"),
    ("collapse", "collapse", "Turn on auto-collapsing of image previews", ""),
    ("dnd", "dnd", "Do not disturb disables desktop and mobile push notifications.", ""),
    ("echo", "echo", "Echo back text from your account", "'message' [delay in seconds]"),
    ("expand", "expand", "Turn off auto-collapsing of image previews", ""),
    (
        "groupmsg",
        "message",
        "Sends a Group Message to the specified users",
        "@[username1],@[username2] 'message'",
    ),
    ("header", "header", "Edit the channel header", "[text]"),
    ("help", "help", "Show Mattermost help message", ""),
    ("invite", "invite", "Invite a user to a channel", "@[username]... ~[channel]..."),
    ("join", "join", "Join the open channel", "~[channel]"),
    ("kick", "kick", "Remove a member from the channel", "@[username]"),
    ("leave", "leave", "Leave the current channel", ""),
    ("logout", "logout", "Logout of Mattermost", ""),
    ("me", "me", "Do an action", "[message]"),
    ("msg", "message", "Send Direct Message to a user", "@[username] 'message'"),
    (
        "mute",
        "mute",
        "Turns off desktop, email and push notifications for the current channel or the [channel] specified.",
        "~[channel]",
    ),
    ("offline", "offline", "Set your status offline", ""),
    ("online", "online", "Set your status online", ""),
    ("open", "open", "Join the open channel", "~[channel]"),
    ("purpose", "purpose", "Edit the channel purpose", "[text]"),
    ("remove", "remove", "Remove a member from the channel", "@[username]"),
    ("rename", "rename", "Rename the channel", "[text]"),
    ("search", "search", "Search text in messages", "[text]"),
    (
        "secure-connection",
        "secure-connection",
        "Invite secure connections for communication across Mattermost instances.",
        "[action]",
    ),
    ("settings", "settings", "Open the Settings dialog", ""),
    (
        "share-channel",
        "share-channel",
        "Shares the current channel with an external Mattermost instance.",
        "[action]",
    ),
    ("shortcuts", "shortcuts", "Displays a list of keyboard shortcuts", ""),
    ("shrug", "shrug", "Adds ¯\\_(ツ)_/¯ to your message", "[message]"),
    ("status", "status", "Set or clear your status", "[:emoji_name:] [status_message] or clear"),
)
# Triggers of built-in commands some configurations hide.
HIDDEN_BUILT_IN_TRIGGERS = frozenset({"invite_people"})
BUILT_IN_TRIGGERS = frozenset(trigger for trigger, *_ in BUILT_IN_COMMANDS) | HIDDEN_BUILT_IN_TRIGGERS


def built_in_command_json(trigger: str, display_name: str, description: str, hint: str) -> dict[str, Any]:
    """A built-in command as a sanitized ``Command``."""
    return {
        "id": "", "token": "", "create_at": 0, "update_at": 0, "delete_at": 0, "creator_id": "",
        "team_id": "", "trigger": trigger, "method": "", "username": "", "icon_url": "",
        "auto_complete": True, "auto_complete_desc": description, "auto_complete_hint": hint,
        "display_name": display_name, "description": "", "url": "", "plugin_id": "",
    }  # fmt: skip


def built_in_commands_json() -> list[dict[str, Any]]:
    """Every built-in command, sanitized."""
    return [built_in_command_json(*command) for command in BUILT_IN_COMMANDS]
