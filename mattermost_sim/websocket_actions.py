"""The actions an authenticated websocket client may send (``user_typing``, ``get_statuses``, ...)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .app import SERVER_VERSION
from .errors import AppError
from .ids import is_valid_id, now_ms
from .state import Broadcast, SimState

# An action gets the acting user's id and the request's ``data``; it returns the reply's ``data``.
ActionHandler = Callable[[str, dict[str, Any]], dict[str, Any] | None]


def _invalid_param(name: str) -> AppError:
    """The websocket handlers' bad-parameter error."""
    return AppError(400, "api.websocket_handler.invalid_param.app_error", f"Invalid {name} parameter.")


def websocket_actions(state: SimState, is_online: Callable[[str], bool]) -> dict[str, ActionHandler]:
    """The action table, bound to the server state and a presence test."""

    def status(user_id: str) -> str:
        return "online" if is_online(user_id) else "offline"

    def user_typing(user_id: str, data: dict[str, Any]) -> None:
        """Announce ``typing`` to the channel, leaving out the typist."""
        channel_id = data.get("channel_id")
        parent_id = data.get("parent_id", "")
        if not isinstance(channel_id, str) or not is_valid_id(channel_id):
            raise _invalid_param("channel_id")
        if not isinstance(parent_id, str):
            raise _invalid_param("parent_id")
        state.publish(
            "typing",
            {"parent_id": parent_id, "user_id": user_id},
            Broadcast(channel_id=channel_id, omit_users=frozenset({user_id})),
        )
        return None

    def get_statuses(user_id: str, data: dict[str, Any]) -> dict[str, Any]:
        """Every user's status."""
        return {uid: status(uid) for uid in state.users}

    def get_statuses_by_ids(user_id: str, data: dict[str, Any]) -> dict[str, Any]:
        """The statuses of the listed users."""
        user_ids = data.get("user_ids")
        if not isinstance(user_ids, list) or not user_ids or not all(isinstance(u, str) for u in user_ids):
            raise _invalid_param("user_ids")
        return {uid: status(uid) for uid in user_ids}

    def ping(user_id: str, data: dict[str, Any]) -> dict[str, Any]:
        """The web app's keep-alive request."""
        return {"text": "pong", "version": SERVER_VERSION, "server_time": now_ms(), "node_id": ""}

    return {
        "user_typing": user_typing,
        "get_statuses": get_statuses,
        "get_statuses_by_ids": get_statuses_by_ids,
        "ping": ping,
    }
