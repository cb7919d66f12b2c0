"""Buttons whose context is signed, so a click can be trusted and never forged."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Mapping
from typing import Any

from bot.security import ContextSigner

# Mattermost routes clicks by ``[A-Za-z0-9]+`` action ids; anything else would 404 silently.
_ACTION_ID = re.compile(r"^[A-Za-z0-9]+$")


def button(
    action_id: str,
    label: str,
    *,
    action: str,
    payload: Mapping[str, str | int],
    signer: ContextSigner,
    url: str,
    style: str = "default",
) -> dict[str, Any]:
    """An attachment button that calls ``url`` with a signed context ``{"a": action, **payload}``."""
    if not _ACTION_ID.match(action_id):
        raise ValueError(f"action id {action_id!r} must be letters and digits only")
    return {
        "id": action_id,
        "type": "button",
        "name": label,
        "style": style,
        "integration": {"url": url, "context": signer.sign({"a": action, **payload})},
    }


def dialog_state(dialog: str, payload: Mapping[str, str | int], signer: ContextSigner) -> str:
    """The signed ``state`` of a dialog, naming it so a submission can't be replayed elsewhere.

    A fresh nonce (``n``) makes each opened dialog one request: a submission sent twice is
    carried out once (see :mod:`handlers.http`).
    """
    fields = {"d": dialog, "n": secrets.token_hex(8), **payload}
    return json.dumps(signer.sign(fields), separators=(",", ":"), sort_keys=True)
