"""Mattermost-style identifiers and timestamps."""

from __future__ import annotations

import secrets
import time

# Mattermost ids are 26 characters of a lower-case base32 alphabet (model.NewId).
_ALPHABET = "ybndrfg8ejkmcpqxot1uwisza345h769"
ID_LENGTH = 26


def new_id() -> str:
    """Return a new 26-character Mattermost-style id."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(ID_LENGTH))


def is_valid_id(value: str) -> bool:
    """Tell whether ``value`` has the shape of a Mattermost id."""
    return len(value) == ID_LENGTH and all(ch in _ALPHABET or ch.isdigit() for ch in value)


def now_ms() -> int:
    """Current wall-clock time in milliseconds, as Mattermost stores times."""
    return int(time.time() * 1000)
