"""Compare what two Mattermost servers answered by shape: keys and value types, not values.

:func:`shape` turns a JSON value into its shape: ``"str"``, ``"int"``, ``"bool"``, ``"null"``,
a dict of shapes, ``["list", …element shapes]`` (dicts merged key by key, ``key?`` for keys only
some elements have). Ids and timestamps vanish, being values; maps
keyed by ids (``PostList.posts``, ``omit_users``) become ``{"<id>": value shape}``; a string
holding a JSON object or array (a websocket event's ``post``) is shaped as ``{"<json>": …}``.

:func:`differences` compares two observations: :class:`Answer` (an HTTP answer: status, AppError
id, body shape), :class:`Exact` (a value both must equal), dicts and lists of observations, and
anything else by shape. It returns readable lines naming the path, empty when they conform.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

_ID = re.compile(r"^[a-z0-9]{26}$")


@dataclass(frozen=True)
class Answer:
    """One HTTP answer: its status and decoded body (an AppError on failure)."""

    status: int
    body: Any

    @property
    def error_id(self) -> str:
        """The AppError id, or ``""``."""
        return str(self.body.get("id", "")) if isinstance(self.body, dict) and self.status >= 400 else ""


@dataclass(frozen=True)
class Exact:
    """An observation both servers must match exactly (a count, a flag, a derived value)."""

    value: Any


def shape(value: Any) -> Any:
    """The shape of a JSON value (see the module docstring)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return _string_shape(value)
    if isinstance(value, dict):
        if value and all(isinstance(key, str) and _ID.match(key) for key in value):
            return {"<id>": _merged([shape(item) for item in value.values()])}
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        items = [shape(item) for item in value]
        return ["list", _merged(items)] if items else ["list"]
    return type(value).__name__


def _string_shape(value: str) -> Any:
    if value[:1] in ("{", "["):
        try:
            decoded = json.loads(value)
        except ValueError:
            return "str"
        if isinstance(decoded, dict | list):
            return {"<json>": shape(decoded)}
    return "str"


def _unique(shapes: list[Any]) -> list[Any]:
    seen: dict[str, Any] = {}
    for item in shapes:
        seen.setdefault(json.dumps(item, sort_keys=True), item)
    return [seen[key] for key in sorted(seen)]


def _merged_dicts(shapes: list[dict[str, Any]]) -> dict[str, Any]:
    """Dict shapes merged key by key; a key only some have is marked ``key?``."""
    keys = sorted({key for item in shapes for key in item})
    merged: dict[str, Any] = {}
    for key in keys:
        values = [item[key] for item in shapes if key in item]
        merged[key if len(values) == len(shapes) else f"{key}?"] = _merged(values)
    return merged


def _merged(shapes: list[Any]) -> Any:
    unique = _unique(shapes)
    if len(unique) > 1 and all(isinstance(item, dict) and "<id>" not in item for item in unique):
        return _merged_dicts(unique)
    return unique[0] if len(unique) == 1 else ["one of", *unique]


def differences(sim: Any, real: Any, *, ignore: tuple[str, ...] = (), path: str = "") -> list[str]:
    """How the simulator's observation differs from the real server's (empty: they conform).

    ``ignore`` holds ``fnmatch`` patterns of paths not compared (``"*.metadata"``).
    """
    if any(fnmatchcase(path, pattern) for pattern in ignore):
        return []
    if isinstance(sim, Exact) or isinstance(real, Exact):
        same = isinstance(sim, Exact) and isinstance(real, Exact) and sim.value == real.value
        return [] if same else [f"{path or '.'}: sim {_show(sim)} != real {_show(real)}"]
    if isinstance(sim, Answer) and isinstance(real, Answer):
        return _answer_differences(sim, real, ignore, path)
    if isinstance(sim, dict) and isinstance(real, dict) and not _is_json(sim) and not _is_json(real):
        lines = []
        for key in sorted(set(sim) | set(real)):
            where = f"{path}.{key}" if path else key
            if key not in real:
                lines.append(f"{where}: only the simulator observed it")
            elif key not in sim:
                lines.append(f"{where}: only the real server observed it")
            else:
                lines += differences(sim[key], real[key], ignore=ignore, path=where)
        return lines
    return shape_differences(shape(sim), shape(real), ignore=ignore, path=path)


def _is_json(value: dict[str, Any]) -> bool:
    """Whether a dict is data (to shape), not a dict of observations."""
    return not any(isinstance(item, Answer | Exact) for item in value.values()) and not any(
        isinstance(item, dict) and not _is_json(item) for item in value.values()
    )


def _answer_differences(sim: Answer, real: Answer, ignore: tuple[str, ...], path: str) -> list[str]:
    where = path or "answer"
    if sim.status != real.status or sim.error_id != real.error_id:
        return [
            f"{where}: sim answered {sim.status} {sim.error_id or ''} {_brief(sim.body)}".rstrip()
            + f" but real {real.status} {real.error_id or ''} {_brief(real.body)}".rstrip()
        ]
    lines = shape_differences(shape(sim.body), shape(real.body), ignore=ignore, path=f"{where}.body")
    both_errors = sim.status >= 400 and isinstance(sim.body, dict) and isinstance(real.body, dict)
    if both_errors and bool(sim.body.get("detailed_error")) != bool(real.body.get("detailed_error")):
        lines.append(
            f"{where}.body.detailed_error: sim {sim.body.get('detailed_error')!r} "
            f"real {real.body.get('detailed_error')!r}"
        )
    return lines


def shape_differences(sim: Any, real: Any, *, ignore: tuple[str, ...] = (), path: str = "") -> list[str]:
    """Where two shapes differ, path by path."""
    if any(fnmatchcase(path, pattern) for pattern in ignore):
        return []
    where = path or "."
    if isinstance(sim, dict) and isinstance(real, dict):
        lines = []
        for key in sorted(set(sim) | set(real)):
            inner = f"{path}.{key}" if path else key
            if any(fnmatchcase(inner, pattern) for pattern in ignore):
                continue
            if key not in real:
                lines.append(f"{inner}: only the simulator has it ({_show(sim[key])})")
            elif key not in sim:
                lines.append(f"{inner}: only the real server has it ({_show(real[key])})")
            else:
                lines += shape_differences(sim[key], real[key], ignore=ignore, path=inner)
        return lines
    if _is_list_shape(sim) and _is_list_shape(real):
        if len(sim) == len(real) == 2:
            return shape_differences(sim[1], real[1], ignore=ignore, path=f"{path}[]")
        if sim != real:
            return [f"{where}: sim list of {_show(sim[1:])} != real list of {_show(real[1:])}"]
        return []
    if sim != real:
        return [f"{where}: sim {_show(sim)} != real {_show(real)}"]
    return []


def _is_list_shape(value: Any) -> bool:
    return isinstance(value, list) and value[:1] == ["list"]


def _show(value: Any) -> str:
    if isinstance(value, Exact):
        value = value.value
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= 300 else text[:297] + "..."


def _brief(body: Any) -> str:
    if isinstance(body, dict) and "id" in body and "message" in body:
        return repr(str(body.get("message"))[:120])
    return _show(shape(body))[:160]


def assert_conform(sim: Any, real: Any, *, ignore: tuple[str, ...] = ()) -> None:
    """Fail with every difference between the simulator's and the real server's observations."""
    lines = differences(sim, real, ignore=ignore)
    assert not lines, "the simulator differs from the real Mattermost:\n  " + "\n  ".join(lines)
