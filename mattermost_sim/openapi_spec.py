"""Mattermost's OpenAPI spec, patched to match the real server, loaded fast and matched fast.

Loading the 1.1 MB YAML takes about half a second even with libyaml, so the patched spec is
cached as JSON under the user's cache directory, keyed by the spec file's and this module's
digests (editing a patch invalidates the cache), and memoised per process.

:class:`PathIndex` routes a request path to its path template much faster than
openapi-core's own finder, which tries every template in the spec on every request.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import os
import re
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import yaml

log = logging.getLogger(__name__)

Spec = dict[str, Any]
API_PREFIX = "/api/v4/"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


class SpecPatchError(ValueError):
    """The spec lacks an operation a patch targets: it is not the Mattermost spec we know."""


# ---------------------------------------------------------------- patches


def _operation(spec: Spec, method: str, path: str) -> dict[str, Any]:
    try:
        operation: dict[str, Any] = spec["paths"][path][method]
    except KeyError as error:
        raise SpecPatchError(f"spec has no {method.upper()} {path} to patch") from error
    return operation


def _json_body_schema(spec: Spec, method: str, path: str) -> dict[str, Any]:
    operation = _operation(spec, method, path)
    try:
        schema: dict[str, Any] = operation["requestBody"]["content"]["application/json"]["schema"]
    except KeyError as error:
        raise SpecPatchError(f"{method.upper()} {path} has no JSON request body to patch") from error
    return schema


def _json_response(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


POST_PATH = "/api/v4/posts/{post_id}"
CATEGORIES_PATH = "/api/v4/users/{user_id}/teams/{team_id}/channels/categories"
CATEGORY_PATH = CATEGORIES_PATH + "/{category_id}"


def patch_post_props_are_objects(spec: Spec) -> None:
    """PUT /posts/{id} and /patch declare ``props`` a string; the server takes (and needs) an object."""
    for path in (POST_PATH, POST_PATH + "/patch"):
        _json_body_schema(spec, "put", path)["properties"]["props"] = {
            "description": "A general JSON property bag to attach to the post",
            "type": "object",
        }


def patch_channel_members_user_ids(spec: Spec) -> None:
    """Older specs require ``user_id``; the server takes ``user_id`` or ``user_ids`` but needs one."""
    schema = _json_body_schema(spec, "post", "/api/v4/channels/{channel_id}/members")
    schema.pop("required", None)
    properties = schema.setdefault("properties", {})
    properties["user_id"] = {"type": "string"}
    properties.setdefault(
        "user_ids", {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 1000}
    )
    schema["anyOf"] = [{"required": ["user_id"]}, {"required": ["user_ids"]}]


def patch_sidebar_categories(spec: Spec) -> None:
    """Category bodies and answers carry ``channel_ids`` and the display flags; shapes as the server.

    GET answers one ``OrderedSidebarCategories`` object (not an array), bulk PUT answers an array,
    and every body is a ``SidebarCategoryWithChannels`` (model/channel_sidebar.go).
    """
    schemas = spec["components"]["schemas"]
    flags = {
        "sorting": {"type": "string", "enum": ["", "manual", "recent", "alpha"]},
        "muted": {"type": "boolean"},
        "collapsed": {"type": "boolean"},
    }
    for name in ("SidebarCategory", "SidebarCategoryWithChannels"):
        schemas[name].setdefault("properties", {}).update(copy.deepcopy(flags))
    schemas["SidebarCategoryWithChannels"]["properties"]["channel_ids"] = {
        "type": "array",
        "items": {"type": "string"},
    }
    with_channels = _ref("SidebarCategoryWithChannels")
    _operation(spec, "get", CATEGORIES_PATH)["responses"]["200"] = _json_response(
        _ref("OrderedSidebarCategories"), "Categories and their order"
    )
    _operation(spec, "post", CATEGORIES_PATH)["requestBody"]["content"]["application/json"]["schema"] = (
        with_channels
    )
    _operation(spec, "post", CATEGORIES_PATH)["responses"]["200"] = _json_response(
        with_channels, "Category creation successful"
    )
    bulk = _operation(spec, "put", CATEGORIES_PATH)
    bulk["requestBody"]["content"]["application/json"]["schema"] = {"type": "array", "items": with_channels}
    bulk["responses"]["200"] = _json_response(
        {"type": "array", "items": with_channels}, "Category update successful"
    )
    for method in ("get", "put", "delete"):
        operation = _operation(spec, method, CATEGORY_PATH)
        operation["responses"]["200"] = _json_response(with_channels, "Category")
        if method == "put":
            operation["requestBody"]["content"]["application/json"]["schema"] = with_channels


def patch_reaction_status(spec: Spec) -> None:
    """POST /reactions answers 200 (api4/reaction.go), not the documented 201."""
    responses = _operation(spec, "post", "/api/v4/reactions")["responses"]
    created = responses.pop("201", None)
    responses["200"] = created or _json_response(_ref("Reaction"), "Reaction creation successful")


def patch_ephemeral_post_fields(spec: Spec) -> None:
    """The ephemeral ``post`` also takes ``props`` (an object) and ``root_id``; type-check them."""
    post = _json_body_schema(spec, "post", "/api/v4/posts/ephemeral")["properties"]["post"]
    post.setdefault("properties", {}).update(
        {"props": {"type": "object"}, "root_id": {"type": "string"}, "file_ids": _string_array()}
    )


def patch_action_click_body(spec: Spec) -> None:
    """The click endpoint has no documented body; clients send ``selected_option`` and ``cookie``."""
    operation = _operation(spec, "post", "/api/v4/posts/{post_id}/actions/{action_id}")
    operation["requestBody"] = {
        "required": False,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {"selected_option": {"type": "string"}, "cookie": {"type": "string"}},
                }
            }
        },
    }


def patch_dialog_open_needs_no_session(spec: Spec) -> None:
    """POST /actions/dialogs/open is an ``APIHandler`` route: the signed trigger id is the credential."""
    _operation(spec, "post", "/api/v4/actions/dialogs/open")["security"] = [{}, {"bearerAuth": []}]


def patch_system_ping_needs_no_session(spec: Spec) -> None:
    """GET /system/ping is an ``APIHandler`` route: Mattermost answers it without a token."""
    _operation(spec, "get", "/api/v4/system/ping")["security"] = [{}, {"bearerAuth": []}]


def patch_command_fields(spec: Spec) -> None:
    """POST /commands lists only the four required fields; type-check the optional ones too."""
    schema = _json_body_schema(spec, "post", "/api/v4/commands")
    known = spec["components"]["schemas"]["Command"]["properties"]
    properties = schema.setdefault("properties", {})
    for name in ("auto_complete", "auto_complete_desc", "auto_complete_hint", "display_name"):
        properties.setdefault(name, copy.deepcopy(known[name]))
    for name in ("description", "username", "icon_url"):
        properties.setdefault(name, copy.deepcopy(known[name]))
    properties["method"] = {"type": "string", "enum": ["P", "G"]}


def patch_channel_type(spec: Spec) -> None:
    """POST /channels creates only open (``O``) or private (``P``) channels."""
    _json_body_schema(spec, "post", "/api/v4/channels")["properties"]["type"] = {
        "type": "string",
        "enum": ["O", "P"],
    }


def _string_array() -> dict[str, Any]:
    return {"type": "array", "items": {"type": "string"}}


SpecPatch = Callable[[Spec], None]

# Every documented defect of the spec versus the real server (mattermost-wire.md §7.7), each with
# its reason in the docstring. Response fixes matter to anyone validating the simulator's answers.
PATCHES: tuple[SpecPatch, ...] = (
    patch_post_props_are_objects,
    patch_channel_members_user_ids,
    patch_sidebar_categories,
    patch_reaction_status,
    patch_ephemeral_post_fields,
    patch_action_click_body,
    patch_dialog_open_needs_no_session,
    patch_system_ping_needs_no_session,
    patch_command_fields,
    patch_channel_type,
)


def patch_spec(raw: Spec) -> Spec:
    """The spec ready for request validation: REST paths only, unique operation ids, local server.

    Only ``/api/v4`` paths are kept (plugin routes are not Mattermost's own REST API), duplicate
    ``operationId`` values are renamed (openapi-core refuses them), ``servers`` becomes ``/``
    (the placeholder host would match no request), and :data:`PATCHES` are applied.
    """
    spec = copy.deepcopy(raw)
    spec["paths"] = {
        path: item for path, item in spec.get("paths", {}).items() if path.startswith(API_PREFIX)
    }
    spec["servers"] = [{"url": "/"}]
    seen: set[str] = set()
    for path, item in spec["paths"].items():
        for method in HTTP_METHODS:
            operation = item.get(method)
            if not isinstance(operation, dict) or "operationId" not in operation:
                continue
            if operation["operationId"] in seen:
                operation["operationId"] = f"{operation['operationId']}_{method}_{path}"
            seen.add(operation["operationId"])
    for patch in PATCHES:
        patch(spec)
    return spec


# ---------------------------------------------------------------- loading and caching


def cache_dir() -> Path:
    """Where the patched spec is cached: ``$XDG_CACHE_HOME/playbooks-bot`` or ``~/.cache/…``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "playbooks-bot"


def _yaml_loader() -> type[yaml.SafeLoader]:
    loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return loader


def load_patched_spec(spec_path: Path, cache: Path | None = None) -> Spec:
    """The patched spec of ``spec_path``, from the JSON cache when it is fresh.

    The cache key covers the spec's bytes and this module's source, so editing either rebuilds.
    An unwritable cache directory only costs speed.
    """
    raw_bytes = spec_path.read_bytes()
    digest = hashlib.sha256(raw_bytes)
    digest.update(Path(__file__).read_bytes())
    directory = cache if cache is not None else cache_dir()
    cached = directory / f"mattermost-openapi-{digest.hexdigest()[:32]}.json"
    try:
        loaded: Spec = json.loads(cached.read_bytes())
        return loaded
    except (OSError, ValueError):
        pass
    raw = yaml.load(raw_bytes, Loader=_yaml_loader())
    if not isinstance(raw, dict) or "paths" not in raw:
        raise SpecPatchError(f"{spec_path} is not an OpenAPI document")
    spec = patch_spec(raw)
    _write_atomically(cached, json.dumps(spec).encode())
    for stale in directory.glob("mattermost-openapi-*.json"):
        if stale != cached:
            stale.unlink(missing_ok=True)
    return spec


def _write_atomically(target: Path, data: bytes) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".spec-", suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temp, target)
    except OSError as error:
        log.warning("cannot cache the patched OpenAPI spec in %s: %s", target.parent, error)


# ---------------------------------------------------------------- routing


_VARIABLE = re.compile(r"\{([^{}/]+)\}")


class PathIndex:
    """Routes request paths to OpenAPI path templates such as ``/api/v4/posts/{post_id}``.

    Templates with fewer variables win, so ``/channels/direct`` beats ``/channels/{channel_id}``
    as in the server's router. A variable matches one non-empty path segment.
    """

    def __init__(self, templates: Iterable[str]) -> None:
        by_depth: dict[int, list[tuple[int, str, re.Pattern[str], tuple[str, ...]]]] = {}
        for template in templates:
            parts = _VARIABLE.split(template)  # literal, name, literal, name, …, literal
            names = tuple(parts[1::2])
            pattern = "".join(
                re.escape(part) if index % 2 == 0 else "([^/]+)" for index, part in enumerate(parts)
            )
            entry = (len(names), template, re.compile(pattern), names)
            by_depth.setdefault(template.count("/"), []).append(entry)
        self._by_depth = {
            depth: sorted(entries, key=lambda e: (e[0], e[1])) for depth, entries in by_depth.items()
        }

    def matches(self, path: str) -> list[tuple[str, dict[str, str]]]:
        """Every template matching ``path``, most specific first, with the path variables."""
        found = []
        for _, template, pattern, names in self._by_depth.get(path.count("/"), ()):
            match = pattern.fullmatch(path)
            if match is not None:
                found.append((template, dict(zip(names, match.groups(), strict=True))))
        return found
