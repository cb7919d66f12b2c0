"""Buttons whose context is signed, so a click can be trusted and never forged."""

from __future__ import annotations

import json
import re
import secrets
from typing import Any

from bot.callback_codec import ActionData, DialogData
from bot.security import ContextSigner

NONCE_KEY = "n"

# Mattermost routes clicks by ``[A-Za-z0-9]+`` action ids; anything else would 404 silently.
_ACTION_ID = re.compile(r"^[A-Za-z0-9]+$")


def button(
    action_id: str,
    label: str,
    data: ActionData,
    *,
    signer: ContextSigner,
    url: str,
    style: str = "default",
) -> dict[str, Any]:
    """An attachment button that calls ``url`` with ``data`` packed in a signed context."""
    if not _ACTION_ID.match(action_id):
        raise ValueError(f"action id {action_id!r} must be letters and digits only")
    return {
        "id": action_id,
        "type": "button",
        "name": label,
        "style": style,
        "integration": {"url": url, "context": signer.sign(data.pack())},
    }


def dialog_state(data: DialogData, signer: ContextSigner) -> str:
    """The signed ``state`` of a dialog: ``data`` packed, naming the dialog so a submission can't be
    replayed elsewhere.

    A fresh nonce (``n``) makes each opened dialog one request: a submission sent twice is
    carried out once (see :mod:`handlers.http`).
    """
    fields = {**data.pack(), NONCE_KEY: secrets.token_hex(8)}
    return json.dumps(signer.sign(fields), separators=(",", ":"), sort_keys=True)
