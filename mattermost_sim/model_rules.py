"""The checks of Mattermost's model layer (``Channel.IsValid``, ``Post.IsValid``) and their limits.

Pure functions raising :class:`AppError` with Mattermost's error ids; the state calls them before
storing anything, and the request rules quote the same limits.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .errors import AppError

POST_MESSAGE_MAX_RUNES = 16383
POST_PROPS_MAX_RUNES = 800000
CHANNEL_NAME_MAX_LENGTH = 64
CHANNEL_DISPLAY_NAME_MAX_RUNES = 64
CHANNEL_HEADER_MAX_RUNES = 1024
CHANNEL_PURPOSE_MAX_RUNES = 250
_CHANNEL_NAME_RE = re.compile(r"^[a-z0-9]+([a-z\-_0-9]+|(__)?)[a-z0-9]*$")
_DM_NAME_RE = re.compile(r"^[a-z0-9]{26}__[a-z0-9]{26}$")
_GM_NAME_RE = re.compile(r"^[a-f0-9]{40}$")
_PLAIN_POST_TYPES = frozenset({"", "slack_attachment", "me", "reminder", "burn_on_read"})


def validate_channel(name: str, display_name: str, channel_type: str, header: str, purpose: str) -> None:
    """``Channel.IsValid`` for open and private channels: 400 with Mattermost's error ids."""
    if channel_type not in ("O", "P"):
        raise AppError(400, "model.channel.is_valid.type.app_error", "Invalid type.")
    if not name or len(name) > CHANNEL_NAME_MAX_LENGTH or not _CHANNEL_NAME_RE.match(name):
        raise AppError(
            400,
            "model.channel.is_valid.1_or_more.app_error",
            "Name must be 1 or more lowercase alphanumeric character.",
        )
    if _DM_NAME_RE.match(name) or _GM_NAME_RE.match(name):
        raise AppError(400, "model.channel.is_valid.name.app_error", "Invalid channel name.")
    if not display_name.strip() or len(display_name) > CHANNEL_DISPLAY_NAME_MAX_RUNES:
        raise AppError(400, "model.channel.is_valid.display_name.app_error", "Invalid display name.")
    validate_channel_header(header)
    if len(purpose) > CHANNEL_PURPOSE_MAX_RUNES:
        raise AppError(400, "model.channel.is_valid.purpose.app_error", "Invalid purpose.")


def validate_channel_header(header: str) -> None:
    """The header rule of ``Channel.IsValid``, the only one direct channels are held to here."""
    if len(header) > CHANNEL_HEADER_MAX_RUNES:
        raise AppError(400, "model.channel.is_valid.header.app_error", "Invalid header.")


def validate_post(message: str, props: dict[str, Any], post_type: str) -> None:
    """``Post.IsValid``: message length, props size, post type (known ones, or ``custom_…``).

    Clients may not send ``system_…`` types at all; the routes refuse those before this check.
    """
    if len(message) > POST_MESSAGE_MAX_RUNES:
        raise AppError(400, "model.post.is_valid.message_length.app_error", "Message too long.")
    if len(json.dumps(props)) > POST_PROPS_MAX_RUNES:
        raise AppError(400, "model.post.is_valid.props.app_error", "Invalid props.")
    if post_type not in _PLAIN_POST_TYPES and not post_type.startswith(("system_", "custom_")):
        raise AppError(400, "model.post.is_valid.type.app_error", "Invalid type.")
