"""Interactive dialogs: ``POST /api/v4/actions/dialogs/open`` and ``…/dialogs/submit``.

Opening verifies the ``trigger_id`` (unknown or older than ``Integrations.trigger_timeout``
→ 400, as ``DecodeAndVerifyTriggerId``), then checks the dialog against §3.2 — strictly:
where new servers only log an invalid dialog, the simulator refuses it and records the
problems as contract violations — and sends ``open_dialog`` to the trigger's user.
Submitting forwards the client's values to the dialog's URL as ``dialog_submission``
and relays the integration's ``errors``/``error`` to the client.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from .app import current_user, sim_of
from .errors import AppError, forbidden, invalid_param
from .ids import new_id
from .integrations import OpenedDialog, json_response, read_json_object
from .permissions import team_grants
from .state import Broadcast

DIALOG_TITLE_MAX = 24
ELEMENT_DISPLAY_NAME_MAX = 24
ELEMENT_NAME_MAX = 300
ELEMENT_HELP_TEXT_MAX = 150
TEXT_MAX = 150
TEXTAREA_MAX = 3000
SELECT_MAX = 3000
BOOL_PLACEHOLDER_MAX = 150
TEXT_SUBTYPES = frozenset({"", "text", "email", "number", "tel", "url", "password"})
SELECT_DATA_SOURCES = frozenset({"users", "channels"})
# Element types every supported server renders; newer ones (date, file, …) are refused.
ELEMENT_TYPES = frozenset({"text", "textarea", "select", "bool", "radio"})
_DIALOG_STRING_FIELDS = ("callback_id", "title", "introduction_text", "icon_url", "submit_label", "state")
_ELEMENT_STRING_FIELDS = ("display_name", "name", "type", "subtype", "default", "placeholder", "help_text")
# Submission reply fields Mattermost relays to the client (SubmitDialogResponse).
_RELAYED_REPLY_FIELDS = ("error", "errors", "type", "form")


def dialog_problems(dialog: Any) -> list[str]:
    """Everything wrong with a dialog by §3.2's rules (``Dialog.IsValid``, made strict).

    An empty list means the dialog is valid.
    """
    if not isinstance(dialog, dict):
        return ["dialog must be an object"]
    problems = [f"{name} must be a string" for name in _DIALOG_STRING_FIELDS if not _is_str(dialog.get(name))]
    title = dialog.get("title")
    if isinstance(title, str) and not 0 < len(title) <= DIALOG_TITLE_MAX:
        problems.append(f"title must be 1-{DIALOG_TITLE_MAX} characters, got {len(title)}")
    icon_url = dialog.get("icon_url")
    if isinstance(icon_url, str) and icon_url and not icon_url.startswith(("http://", "https://")):
        problems.append("icon_url must be an http(s) URL")
    if not isinstance(dialog.get("notify_on_cancel", False), bool):
        problems.append("notify_on_cancel must be a boolean")
    elements = dialog.get("elements")
    if elements is None:
        return problems
    if not isinstance(elements, list):
        return [*problems, "elements must be an array"]
    seen: set[str] = set()
    for index, element in enumerate(elements):
        if not isinstance(element, dict):
            problems.append(f"elements[{index}] must be an object")
            continue
        name = element.get("name")
        label = f"element {name!r}" if isinstance(name, str) and name else f"elements[{index}]"
        if isinstance(name, str) and name:
            if name in seen:
                problems.append(f"duplicate element name {name!r}")
            seen.add(name)
        problems += [f"{label}: {problem}" for problem in element_problems(element)]
    return problems


def element_problems(element: dict[str, Any]) -> list[str]:
    """Everything wrong with one dialog element (``DialogElement.IsValid``, made strict)."""
    problems = [
        f"{name} must be a string" for name in _ELEMENT_STRING_FIELDS if not _is_str(element.get(name))
    ]
    if problems:
        return problems
    problems += _length_problems(element)
    problems += _required_length("display_name", element.get("display_name"), ELEMENT_DISPLAY_NAME_MAX)
    problems += _required_length("name", element.get("name"), ELEMENT_NAME_MAX)
    problems += _max_length("help_text", element.get("help_text"), ELEMENT_HELP_TEXT_MAX)
    if not isinstance(element.get("optional", False), bool):
        problems.append("optional must be a boolean")
    element_type = element.get("type") or ""
    default = element.get("default") or ""
    placeholder = element.get("placeholder") or ""
    if element_type not in ELEMENT_TYPES:
        return [*problems, f"unsupported element type {element_type!r} (use one of {sorted(ELEMENT_TYPES)})"]
    if element.get("multiselect"):
        problems.append("multiselect needs Mattermost 11.0+; use a single select")
    if element_type in ("text", "textarea"):
        limit = TEXT_MAX if element_type == "text" else TEXTAREA_MAX
        problems += _max_length("default", default, limit) + _max_length("placeholder", placeholder, limit)
        if (element.get("subtype") or "") not in TEXT_SUBTYPES:
            problems.append(f"invalid subtype {element.get('subtype')!r}")
    elif element_type == "select":
        problems += _max_length("default", default, SELECT_MAX) + _max_length(
            "placeholder", placeholder, SELECT_MAX
        )
        problems += _select_problems(element, default)
    elif element_type == "bool":
        if default not in ("", "true", "false"):
            problems.append(f'bool default must be "true" or "false", got {default!r}')
        problems += _max_length("placeholder", placeholder, BOOL_PLACEHOLDER_MAX)
    else:  # radio
        options, option_problems = _options(element.get("options"))
        problems += option_problems
        if not options:
            problems.append("a radio element needs options")
        elif default and default not in options:
            problems.append(f"default {default!r} is not one of the options")
    return problems


def _select_problems(element: dict[str, Any], default: str) -> list[str]:
    data_source = element.get("data_source") or ""
    has_options = element.get("options") not in (None, [])
    if data_source:
        if data_source not in SELECT_DATA_SOURCES:
            return [f"invalid data_source {data_source!r}, allowed are 'users' or 'channels'"]
        return ["options and data_source are mutually exclusive"] if has_options else []
    options, problems = _options(element.get("options"))
    if not options:
        problems.append("a select needs options or a data_source")
    elif default and default not in options:
        problems.append(f"default {default!r} is not one of the options")
    return problems


def _options(value: Any) -> tuple[list[str], list[str]]:
    """The option values, and what is wrong with the options (each needs ``text`` and ``value``)."""
    if value is None:
        return [], []
    if not isinstance(value, list):
        return [], ["options must be an array"]
    values: list[str] = []
    problems: list[str] = []
    for index, option in enumerate(value):
        if not isinstance(option, dict) or not all(
            isinstance(option.get(key), str) and option.get(key) for key in ("text", "value")
        ):
            problems.append(f"options[{index}] needs non-empty string text and value")
            continue
        values.append(option["value"])
    return values, problems


def _length_problems(element: dict[str, Any]) -> list[str]:
    min_length = element.get("min_length", 0)
    max_length = element.get("max_length", 0)
    if not _is_int(min_length) or not _is_int(max_length):
        return ["min_length and max_length must be integers"]
    problems = []
    if min_length < 0:
        problems.append(f"min_length cannot be negative, got {min_length}")
    if min_length > max_length:
        problems.append(
            f"min_length {min_length} exceeds max_length {max_length} (set max_length with min_length)"
        )
    return problems


def _required_length(name: str, value: Any, limit: int) -> list[str]:
    if not value:
        return [f"{name} cannot be empty"]
    return _max_length(name, value, limit)


def _max_length(name: str, value: Any, limit: int) -> list[str]:
    if isinstance(value, str) and len(value) > limit:
        return [f"{name} cannot be longer than {limit} characters, got {len(value)}"]
    return []


def _is_str(value: Any) -> bool:
    return value is None or isinstance(value, str)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _invalid_dialog(problems: list[str]) -> AppError:
    return AppError(
        400,
        "interactive_message.dialog.invalid",
        "The interactive dialog is invalid: " + "; ".join(problems),
        "\n".join(problems),
    )


async def open_dialog(request: web.Request) -> web.Response:
    """Open a dialog for the user a ``trigger_id`` was issued to (no session needed)."""
    sim = sim_of(request)
    state = sim.state
    integrations = sim.integrations
    body = await read_json_object(request, "dialog")
    url = body.get("url")
    if not isinstance(url, str) or not url:
        raise invalid_param("url")
    trigger_id = body.get("trigger_id")
    grant = state.triggers.get(trigger_id) if isinstance(trigger_id, str) else None
    if grant is None:
        raise AppError(
            400,
            "interactive_message.decode_trigger_id.base64_decode_failed",
            "Unable to decode base64 for trigger ID for interactive dialog.",
        )
    if state.clock() - grant.create_at > integrations.trigger_timeout * 1000:
        raise AppError(
            400,
            "interactive_message.decode_trigger_id.expired",
            f"Trigger ID for interactive dialog is expired. "
            f"Maximum time for Trigger ID is {integrations.trigger_timeout:g} seconds.",
        )
    dialog = body.get("dialog")
    problems = dialog_problems(dialog)
    if problems or not isinstance(dialog, dict):
        if sim.validator is not None:
            sim.validator.violations.extend(f"POST /api/v4/actions/dialogs/open: {p}" for p in problems)
        raise _invalid_dialog(problems)
    client_trigger_id = new_id()
    opened = {"trigger_id": client_trigger_id, "url": url, "dialog": _dialog_json(dialog)}
    state.publish("open_dialog", {"dialog": json.dumps(opened)}, Broadcast(user_id=grant.user_id))
    integrations.dialogs.append(OpenedDialog(grant.user_id, url, dialog, client_trigger_id, state.clock()))
    return json_response({"status": "OK"})


_ELEMENT_DEFAULTS: dict[str, Any] = {
    "display_name": "", "name": "", "type": "", "subtype": "", "default": "", "placeholder": "",
    "help_text": "", "optional": False, "min_length": 0, "max_length": 0, "data_source": "",
    "options": None, "multiselect": False,
}  # fmt: skip
_ELEMENT_OMITTED_WHEN_EMPTY = ("data_source_url", "refresh", "min_date", "max_date", "time_interval")


def _element_json(element: dict[str, Any]) -> dict[str, Any]:
    """A ``DialogElement`` as Go re-encodes it: every field, the ``omitempty`` ones when set."""
    encoded = {key: element.get(key, default) for key, default in _ELEMENT_DEFAULTS.items()}
    if isinstance(encoded["options"], list):
        encoded["options"] = [
            {"text": str(option.get("text", "")), "value": str(option.get("value", ""))}
            for option in encoded["options"]
            if isinstance(option, dict)
        ]
    encoded.update({key: element[key] for key in _ELEMENT_OMITTED_WHEN_EMPTY if element.get(key)})
    return encoded


def _dialog_json(dialog: dict[str, Any]) -> dict[str, Any]:
    """The dialog as the server re-encodes it: every ``Dialog`` and ``DialogElement`` field present."""
    encoded: dict[str, Any] = {
        "callback_id": "",
        "title": "",
        "introduction_text": "",
        "icon_url": "",
        "elements": None,
        "submit_label": "",
        "notify_on_cancel": False,
        "state": "",
    }
    encoded.update({key: dialog[key] for key in encoded if key in dialog})
    if dialog.get("source_url"):
        encoded["source_url"] = dialog["source_url"]
    elements = dialog.get("elements")
    if isinstance(elements, list):
        encoded["elements"] = [_element_json(item) for item in elements if isinstance(item, dict)]
    return encoded


async def submit_dialog(request: web.Request) -> web.Response:
    """Send a user's dialog values to the integration; relay its ``errors``/``error``.

    As ``submitDialog``: the channel must exist (404) and be readable (403), and the ``team_id``
    the client sends — the team it is looking at, also from a direct message — must be one the
    user may view (403; an empty one never is). Everything the client sent is forwarded, with the
    session's ``user_id`` and ``type: "dialog_submission"``, without the ``url``.
    """
    user = current_user(request)
    sim = sim_of(request)
    state = sim.state
    integrations = sim.integrations
    body = await read_json_object(request, "dialog")
    url = body.get("url")
    if not isinstance(url, str) or not url:
        raise invalid_param("url")
    channel = state.get_channel(_string(body, "channel_id"))
    if not state.can_read_channel(user, channel):
        raise forbidden("read_channel_content")
    team_id = _string(body, "team_id")
    if not team_grants(state, user, team_id, "view_team"):
        raise forbidden("view_team")
    submission = body.get("submission")
    submitted_type = _string(body, "type")
    payload: dict[str, Any] = {
        "type": "refresh" if submitted_type == "refresh" else "dialog_submission",
        "callback_id": _string(body, "callback_id"),
        "state": _string(body, "state"),
        "user_id": user.id,
        "channel_id": channel.id,
        "team_id": team_id,
        "submission": submission if isinstance(submission, dict) else None,
        "cancelled": body.get("cancelled") is True,
    }
    reply = await integrations.send(
        "dialog_submission",
        "POST",
        url,
        payload=payload,
        body=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
    )
    if reply.error or reply.status != 200:
        detail = f"err={reply.error}" if reply.error else f"status={reply.status}"
        raise integrations.record_failure(
            "dialog_submission",
            url,
            AppError(
                400, "api.post.do_action.action_integration.app_error", "Action integration error.", detail
            ),
        )
    try:
        decoded = json.loads(reply.body) if reply.body else {}
    except (ValueError, UnicodeDecodeError):
        decoded = {}  # "Don't fail, an empty response is acceptable"
    relayed = {
        key: decoded[key] for key in _RELAYED_REPLY_FIELDS if isinstance(decoded, dict) and decoded.get(key)
    }
    return json_response(relayed)


def _string(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    return value if isinstance(value, str) else ""


def register(app: web.Application) -> None:
    """Add the dialog routes."""
    app.router.add_post("/api/v4/actions/dialogs/open", open_dialog)
    app.router.add_post("/api/v4/actions/dialogs/submit", submit_dialog)
