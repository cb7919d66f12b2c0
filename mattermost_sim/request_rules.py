"""Rules on REST requests that Mattermost enforces but its OpenAPI spec cannot express.

Every rule is a pure function from an :class:`ApiCall` to the problems it finds, described in
words a developer can act on. :func:`check_call` runs the rules of the endpoint a call targets.
Sources: mattermost-wire.md §5.1 (endpoints), §6 (post limits), §6.1 and §2.1 (attachments).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from .model_rules import (
    CHANNEL_DISPLAY_NAME_MAX_RUNES,
    CHANNEL_HEADER_MAX_RUNES,
    CHANNEL_NAME_MAX_LENGTH,
    CHANNEL_PURPOSE_MAX_RUNES,
    POST_MESSAGE_MAX_RUNES,
    POST_PROPS_MAX_RUNES,
)
from .openapi_spec import CATEGORIES_PATH, CATEGORY_PATH, POST_PATH, PathIndex

POST_FILES_MAX = 5
CHANNEL_NAME = re.compile(r"[a-z0-9]+([a-z\-_0-9]+|(__)?)[a-z0-9]*")  # model.IsValidChannelIdentifier
DIRECT_CHANNEL_NAME = re.compile(r"[a-z0-9]{26}__[a-z0-9]{26}")
GROUP_CHANNEL_NAME = re.compile(r"[a-f0-9]{40}")
MATTERMOST_ID = re.compile(r"[a-z0-9]{26}")
ACTION_ID = re.compile(r"[A-Za-z0-9]+")  # the click route's {action_id:[A-Za-z0-9]+}
HEX_COLOR = re.compile(r"#[0-9A-Fa-f]{6}")
ATTACHMENT_COLORS = frozenset({"good", "warning", "danger"})
ACTION_STYLES = frozenset({"default", "primary", "success", "good", "warning", "danger"})
ATTACHMENT_URL_FIELDS = ("author_link", "author_icon", "title_link", "image_url", "thumb_url", "footer_icon")


@dataclass(frozen=True)
class ApiCall:
    """One REST request as the rules see it: the matched template, path variables and JSON body."""

    method: str
    template: str
    path_params: Mapping[str, str] = field(default_factory=dict)
    body: Any = None
    session_user_id: str | None = None

    def path_user_id(self) -> str | None:
        """The path's ``user_id`` with ``me`` resolved to the session's user, as the server does."""
        user_id = self.path_params.get("user_id")
        return self.session_user_id if user_id == "me" else user_id


# ---------------------------------------------------------------- value rules


def message_problems(message: object, where: str = "message") -> list[str]:
    """A post message: a string of at most 16383 runes (``PostMessageMaxRunesV2``)."""
    if not isinstance(message, str):
        return [f"{where} must be a string"]
    if len(message) > POST_MESSAGE_MAX_RUNES:
        return [f"{where} has {len(message)} runes; Mattermost allows {POST_MESSAGE_MAX_RUNES}"]
    return []


def props_problems(props: object, where: str = "props") -> list[str]:
    """Post props: an object whose JSON is at most 800000 runes, with valid attachments."""
    if props is None:
        return []
    if not isinstance(props, dict):
        return [f"{where} must be a JSON object"]
    size = len(json.dumps(props, ensure_ascii=False))
    if size > POST_PROPS_MAX_RUNES:
        return [f"{where} serialise to {size} runes; Mattermost allows {POST_PROPS_MAX_RUNES}"]
    if "attachments" not in props:
        return []
    return attachments_problems(props["attachments"], f"{where}.attachments")


def _is_http_url(value: object) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def attachments_problems(attachments: object, where: str = "props.attachments") -> list[str]:
    """Message attachments (§6.1) and their actions (§2.1); action ids unique across the post."""
    if not isinstance(attachments, list):
        return [f"{where} must be an array"]
    problems: list[str] = []
    seen_action_ids: set[str] = set()
    for index, attachment in enumerate(attachments):
        here = f"{where}[{index}]"
        if not isinstance(attachment, dict):
            problems.append(f"{here} must be an object")
            continue
        problems.extend(attachment_problems(attachment, here))
        actions = attachment.get("actions")
        if isinstance(actions, list):
            for position, action in enumerate(actions):
                action_id = action.get("id") if isinstance(action, dict) else None
                if isinstance(action_id, str) and action_id:
                    if action_id in seen_action_ids:
                        problems.append(f"{here}.actions[{position}].id {action_id!r} repeats in this post")
                    seen_action_ids.add(action_id)
    return problems


def attachment_problems(attachment: Mapping[str, Any], where: str) -> list[str]:
    """One attachment: colour, http(s) links and the fields they depend on, fields, actions."""
    problems: list[str] = []
    color = attachment.get("color")
    if color not in (None, "") and not (
        isinstance(color, str) and (color in ATTACHMENT_COLORS or HEX_COLOR.fullmatch(color))
    ):
        problems.append(f"{where}.color {color!r} must be good, warning, danger or #RRGGBB")
    for name in ATTACHMENT_URL_FIELDS:
        value = attachment.get(name)
        if value not in (None, "") and not _is_http_url(value):
            problems.append(f"{where}.{name} {value!r} must be an http(s) URL")
    for link, label in (("author_link", "author_name"), ("title_link", "title")):
        if attachment.get(link) and not attachment.get(label):
            problems.append(f"{where}.{link} needs {label}")
    fields = attachment.get("fields")
    if fields is not None:
        if not isinstance(fields, list):
            problems.append(f"{where}.fields must be an array")
        else:
            for index, item in enumerate(fields):
                if not isinstance(item, dict):
                    problems.append(f"{where}.fields[{index}] must be an object")
                elif "short" in item and not isinstance(item["short"], bool):
                    problems.append(f"{where}.fields[{index}].short must be a boolean")
    ts = attachment.get("ts")
    if ts is not None and (isinstance(ts, bool) or not isinstance(ts, str | int)):
        problems.append(f"{where}.ts must be a string or an integer")
    actions = attachment.get("actions")
    if actions is not None:
        if not isinstance(actions, list):
            problems.append(f"{where}.actions must be an array")
        else:
            for index, action in enumerate(actions):
                problems.extend(action_problems(action, f"{where}.actions[{index}]"))
    return problems


def action_problems(action: object, where: str) -> list[str]:
    """A button or menu: a clickable id, a name, a known type and style, a reachable integration."""
    if not isinstance(action, dict):
        return [f"{where} must be an object"]
    problems: list[str] = []
    action_id = action.get("id")
    # An empty id is filled in by the server; any other id must match the click route.
    if action_id not in (None, "") and not (isinstance(action_id, str) and ACTION_ID.fullmatch(action_id)):
        problems.append(f"{where}.id {action_id!r} must match [A-Za-z0-9]+ or clicks on it 404")
    if not isinstance(action.get("name"), str) or not action["name"]:
        problems.append(f"{where}.name is required")
    action_type = action.get("type", "")
    if action_type not in ("", "button", "select"):
        problems.append(f"{where}.type {action_type!r} must be button or select")
    style = action.get("style")
    if style not in (None, "") and not (
        isinstance(style, str) and (style in ACTION_STYLES or HEX_COLOR.fullmatch(style))
    ):
        problems.append(f"{where}.style {style!r} is not a Mattermost button style")
    integration = action.get("integration")
    if integration is not None:
        url = integration.get("url") if isinstance(integration, dict) else None
        if not (_is_http_url(url) or (isinstance(url, str) and url.startswith("/plugins/"))):
            problems.append(f"{where}.integration.url {url!r} must be an http(s) URL or a /plugins/ path")
        context = integration.get("context") if isinstance(integration, dict) else None
        if context is not None and not isinstance(context, dict):
            problems.append(f"{where}.integration.context must be an object")
    return problems


def file_ids_problems(file_ids: object, where: str = "file_ids") -> list[str]:
    """At most five files per post."""
    if isinstance(file_ids, list) and len(file_ids) > POST_FILES_MAX:
        return [f"{where} lists {len(file_ids)} files; a post holds at most {POST_FILES_MAX}"]
    return []


def channel_problems(body: Mapping[str, Any]) -> list[str]:
    """A new channel's name, display name, header and purpose (``Channel.IsValid``)."""
    problems: list[str] = []
    name = body.get("name")
    if isinstance(name, str):
        if not 1 <= len(name) <= CHANNEL_NAME_MAX_LENGTH or not CHANNEL_NAME.fullmatch(name):
            problems.append(
                f"name {name!r} must be 1-{CHANNEL_NAME_MAX_LENGTH} lowercase letters, digits, '-' or '_',"
                " starting with a letter or digit"
            )
        elif DIRECT_CHANNEL_NAME.fullmatch(name) or GROUP_CHANNEL_NAME.fullmatch(name):
            problems.append(f"name {name!r} is shaped like a direct or group message channel name")
    limits = (
        ("display_name", CHANNEL_DISPLAY_NAME_MAX_RUNES),
        ("header", CHANNEL_HEADER_MAX_RUNES),
        ("purpose", CHANNEL_PURPOSE_MAX_RUNES),
    )
    for key, limit in limits:
        value = body.get(key)
        if isinstance(value, str) and len(value) > limit:
            problems.append(f"{key} has {len(value)} runes; Mattermost allows {limit}")
    display_name = body.get("display_name")
    if isinstance(display_name, str) and not display_name.strip():
        problems.append("display_name must not be blank")
    return problems


# ---------------------------------------------------------------- endpoint rules


def _post_fields(body: Mapping[str, Any], prefix: str = "") -> list[str]:
    problems: list[str] = []
    if "message" in body:
        problems += message_problems(body["message"], f"{prefix}message")
    problems += props_problems(body.get("props"), f"{prefix}props")
    problems += file_ids_problems(body.get("file_ids"), f"{prefix}file_ids")
    return problems


def create_post_rule(call: ApiCall) -> list[str]:
    """POST /posts."""
    return _post_fields(call.body) if isinstance(call.body, dict) else []


def update_post_rule(call: ApiCall) -> list[str]:
    """PUT /posts/{post_id}: the body's ``id`` is the path's post id."""
    if not isinstance(call.body, dict):
        return []
    problems = _post_fields(call.body)
    body_id, path_id = call.body.get("id"), call.path_params.get("post_id")
    if body_id != path_id:
        problems.append(f"body id {body_id!r} must equal the post id {path_id!r} in the path")
    return problems


def ephemeral_post_rule(call: ApiCall) -> list[str]:
    """POST /posts/ephemeral: the inner post obeys the post limits."""
    post = call.body.get("post") if isinstance(call.body, dict) else None
    return _post_fields(post, "post.") if isinstance(post, dict) else []


def direct_channel_rule(call: ApiCall) -> list[str]:
    """POST /channels/direct: exactly two user ids."""
    body = call.body
    if not isinstance(body, list) or len(body) != 2:
        return ["body must be a JSON array of exactly two user ids"]
    return [
        f"body[{index}] {user_id!r} is not a 26-character user id"
        for index, user_id in enumerate(body)
        if not (isinstance(user_id, str) and MATTERMOST_ID.fullmatch(user_id))
    ]


def create_channel_rule(call: ApiCall) -> list[str]:
    """POST /channels."""
    return channel_problems(call.body) if isinstance(call.body, dict) else []


def _category_owner_problems(category: object, call: ApiCall, where: str) -> list[str]:
    if not isinstance(category, dict):
        return []
    problems = []
    expected = {"user_id": call.path_user_id(), "team_id": call.path_params.get("team_id")}
    for key, value in expected.items():
        if value is not None and category.get(key) != value:
            problems.append(f"{where}{key} {category.get(key)!r} must equal the path's {key} {value!r}")
    return problems


def category_rule(call: ApiCall) -> list[str]:
    """POST/PUT categories and PUT one category: owner (and id) equal to the path."""
    if isinstance(call.body, list):
        problems: list[str] = []
        for index, category in enumerate(call.body):
            problems += _category_owner_problems(category, call, f"body[{index}].")
        return problems
    problems = _category_owner_problems(call.body, call, "")
    category_id = call.path_params.get("category_id")
    if category_id is not None and isinstance(call.body, dict) and call.body.get("id") != category_id:
        problems.append(f"id {call.body.get('id')!r} must equal the path's category_id {category_id!r}")
    return problems


Rule = Callable[[ApiCall], list[str]]

RULES: dict[tuple[str, str], Rule] = {
    ("POST", "/api/v4/posts"): create_post_rule,
    ("PUT", POST_PATH): update_post_rule,
    ("PUT", POST_PATH + "/patch"): create_post_rule,
    ("POST", "/api/v4/posts/ephemeral"): ephemeral_post_rule,
    ("POST", "/api/v4/channels/direct"): direct_channel_rule,
    ("POST", "/api/v4/channels"): create_channel_rule,
    ("POST", CATEGORIES_PATH): category_rule,
    ("PUT", CATEGORIES_PATH): category_rule,
    ("PUT", CATEGORY_PATH): category_rule,
}

# A template without rules that would otherwise be taken for one with rules ("order" as a category id).
_SHADOWING_TEMPLATES = (CATEGORIES_PATH + "/order",)
RULE_PATHS = PathIndex({template for _, template in RULES} | set(_SHADOWING_TEMPLATES))


def rule_for(method: str, path: str) -> tuple[Rule, str, dict[str, str]] | None:
    """The rule of the endpoint ``method path`` targets, its template and path variables."""
    for template, params in RULE_PATHS.matches(path):
        rule = RULES.get((method.upper(), template))
        if rule is not None:
            return rule, template, params
        return None
    return None


def check_call(method: str, path: str, body: Any, session_user_id: str | None = None) -> Iterator[str]:
    """The problems of one request (``body`` already parsed from JSON)."""
    found = rule_for(method, path)
    if found is not None:
        rule, template, params = found
        yield from rule(ApiCall(method.upper(), template, params, body, session_user_id))
