"""The requests a websocket client may send (``user_typing``, ``get_statuses``, ...) and how each is
answered."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

from .app import SERVER_VERSION
from .errors import AppError
from .ids import is_valid_id, now_ms
from .state import Broadcast, SimState
from .websocket_connections import ClientSocket, reply_frame

log = logging.getLogger(__name__)

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


def answer_request(
    sock: ClientSocket,
    text: str,
    actions: Mapping[str, ActionHandler],
    authenticate: Callable[[ClientSocket, int, dict[str, Any]], None],
) -> None:
    """Answer one client request (``WebSocketRouter.ServeWebSocket``): an ``authentication_challenge``
    through ``authenticate``, any other action of an authenticated socket through ``actions``."""
    try:
        request = json.loads(text)
    except ValueError:
        log.info("websocket frame is not JSON: %.80r", text)
        return
    if not isinstance(request, dict):
        log.info("websocket frame is not a JSON object: %.80r", text)
        return
    action, raw_seq, data = request.get("action"), request.get("seq"), request.get("data")
    seq = raw_seq if isinstance(raw_seq, int) and not isinstance(raw_seq, bool) else 0
    data = data if isinstance(data, dict) else {}
    if not isinstance(action, str) or not action:
        error = AppError(400, "api.web_socket_router.no_action.app_error", "No websocket action.")
        sock.push(reply_frame("FAIL", seq, error=error))
    elif seq <= 0:
        error = AppError(
            400, "api.web_socket_router.bad_seq.app_error", "Invalid sequence for websocket message."
        )
        sock.push(reply_frame("FAIL", seq, error=error))
    elif action == "authentication_challenge":
        authenticate(sock, seq, data)
    elif sock.connection is None:
        error = AppError(
            401,
            "api.web_socket_router.not_authenticated.app_error",
            "Connection is not authenticated. Please log in and try again.",
        )
        sock.push(reply_frame("FAIL", seq, error=error))
    elif action not in actions:
        error = AppError(500, "api.web_socket_router.bad_action.app_error", "Unknown websocket action.")
        sock.push(reply_frame("FAIL", seq, error=error))
    else:
        try:
            result = actions[action](sock.connection.user_id, data)
        except AppError as failure:
            sock.push(reply_frame("FAIL", seq, error=failure))
        else:
            sock.push(reply_frame("OK", seq, result))
