"""Request and response plumbing shared by the REST routes: JSON bodies, ids, paging."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from ..app import MAX_PAYLOAD_BYTES
from ..errors import AppError, invalid_url_param
from ..models import User

PER_PAGE_DEFAULT = 60
PER_PAGE_MAXIMUM = 200
ID_LENGTH = 26

# Route patterns as Mattermost's router declares them; ids are then checked for length.
ID = "[A-Za-z0-9]+"
USERNAME = r"[A-Za-z0-9\_\-\.]+"
TEAM_NAME = "[A-Za-z0-9_-]+"
CHANNEL_NAME = "[A-Za-z0-9_-]+"
EMOJI_NAME = r"[A-Za-z0-9\_\-\+]+"


def json_response(data: Any, status: int = 200) -> web.Response:
    """A JSON response whose ``Content-Type`` is exactly ``application/json``, as Mattermost sends."""
    return web.Response(status=status, body=json.dumps(data).encode(), content_type="application/json")


def status_ok() -> web.Response:
    """Mattermost's ``{"status": "OK"}`` answer."""
    return json_response({"status": "OK"})


def invalid_body_param(name: str) -> AppError:
    """400 for a missing or malformed body parameter, as ``Context.SetInvalidParam``."""
    return AppError(
        400,
        "api.context.invalid_body_param.app_error",
        f"Invalid or missing {name} in request body.",
    )


def is_valid_id(value: str) -> bool:
    """``model.IsValidId``: exactly 26 letters or digits."""
    return len(value) == ID_LENGTH and value.isascii() and value.isalnum()


async def read_json(request: web.Request, name: str) -> Any:
    """The request's JSON body.

    Bodies larger than ``MaximumPayloadSizeBytes`` answer 413; a body that is not JSON
    answers 400 naming ``name``, the parameter Mattermost reports.
    """
    if request.content_length is not None and request.content_length > MAX_PAYLOAD_BYTES:
        raise payload_too_large()
    raw = await request.read()
    if len(raw) > MAX_PAYLOAD_BYTES:
        raise payload_too_large()
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise invalid_body_param(name) from None


async def read_json_object(request: web.Request, name: str) -> dict[str, Any]:
    """The request's JSON body, which must be an object."""
    body = await read_json(request, name)
    if not isinstance(body, dict):
        raise invalid_body_param(name)
    return body


async def read_id_list(request: web.Request, name: str) -> list[str]:
    """A JSON array of strings (ids, usernames), as ``model.SortedArrayFromJSON`` reads it."""
    body = await read_json(request, name)
    if not isinstance(body, list) or not all(isinstance(item, str) for item in body):
        raise invalid_body_param(name)
    return list(dict.fromkeys(body))


def payload_too_large() -> AppError:
    """413 for a body over ``MaximumPayloadSizeBytes``."""
    return AppError(
        413,
        "api.context.request_body_too_large.app_error",
        "The request body is too large.",
        f"limit={MAX_PAYLOAD_BYTES}",
    )


def string_field(body: dict[str, Any], key: str, default: str = "") -> str:
    """A string member of a JSON object; any other type is a bad request."""
    value = body.get(key, default)
    if value is None:
        return default
    if not isinstance(value, str):
        raise invalid_body_param(key)
    return value


def path_id(request: web.Request, name: str) -> str:
    """A 26-character id from the URL, or 400 ``invalid_url_param``."""
    value = request.match_info[name]
    if not is_valid_id(value):
        raise invalid_url_param(name)
    return value


def path_user_id(request: web.Request, caller: User, name: str = "user_id") -> str:
    """A user id from the URL, where ``me`` stands for the caller."""
    if request.match_info[name] == "me":
        return caller.id
    return path_id(request, name)


def query_flag(request: web.Request, name: str) -> bool:
    """A boolean query parameter, as Go's ``strconv.ParseBool`` reads it (bad values: false)."""
    return request.query.get(name, "").lower() in ("1", "t", "true")


def paging(request: web.Request, default_per_page: int = PER_PAGE_DEFAULT) -> tuple[int, int]:
    """``page`` and ``per_page`` as Mattermost parses them: bad values fall back, big pages clamp."""
    page = _non_negative(request.query.get("page"), 0)
    per_page = _non_negative(request.query.get("per_page"), default_per_page)
    return page, min(per_page, PER_PAGE_MAXIMUM)


def _non_negative(raw: str | None, default: int) -> int:
    try:
        value = int(raw) if raw is not None else default
    except ValueError:
        return default
    return value if value >= 0 else default
