"""Domain values ⇄ JSON documents, losslessly, driven by the dataclasses' own type hints.

:func:`encode` turns frozen domain dataclasses into plain JSON values; :func:`decode` reads them
back into the type its annotation names. Supported: ``None``, ``bool``, ``int``, ``float``,
``str``, enums, aware ``datetime`` (ISO 8601 text), ``timedelta`` (seconds, exact), tuples, lists,
string-keyed mappings, unions and nested dataclasses. Because decoding follows the annotations, a
field added to a domain class is stored and read back with no change here.

Documents are read leniently in one direction only: a field missing from an older document takes
its default, and a key no longer in the class is ignored. Anything else malformed is a
:class:`CodecError` naming the path of the bad value.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import types
import typing
from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar, cast

JSONValue = None | bool | int | float | str | list["JSONValue"] | dict[str, "JSONValue"]
"""A value :func:`json.dumps` accepts as it is."""

T = TypeVar("T")


class CodecError(ValueError):
    """A stored document does not fit the domain type it is read as."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path


def encode(value: Any) -> JSONValue:
    """A JSON value holding everything in ``value`` (a domain dataclass, or anything it contains)."""
    if value is None or (isinstance(value, bool | int | float | str) and not isinstance(value, enum.Enum)):
        return cast(JSONValue, value)
    if isinstance(value, enum.Enum):
        return encode(value.value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"refusing to encode a naive datetime: {value.isoformat()}")
        return value.isoformat()
    if isinstance(value, timedelta):
        return _encode_timedelta(value)
    if isinstance(value, tuple | list):
        return [encode(element) for element in value]
    if isinstance(value, Mapping):
        return {_require_str_key(key): encode(element) for key, element in value.items()}
    raise TypeError(f"cannot encode {type(value).__name__} values")


def to_document(value: Any, *, exclude: frozenset[str] = frozenset()) -> dict[str, JSONValue]:
    """Encode a dataclass instance's fields, except those in ``exclude``, as a JSON object."""
    if not dataclasses.is_dataclass(value) or isinstance(value, type):
        raise TypeError(f"expected a dataclass instance, got {type(value).__name__}")
    return {
        f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value) if f.name not in exclude
    }


def decode(kind: Any, data: Any, path: str = "$") -> Any:
    """Read ``data`` (as :func:`encode` wrote it) as a value of type ``kind``.

    Raises:
        CodecError: when ``data`` does not fit ``kind``; the message names the offending path.
    """
    if kind is Any:
        return data
    if kind is type(None):
        if data is not None:
            raise CodecError(path, f"expected null, got {_describe(data)}")
        return None
    origin = typing.get_origin(kind)
    if origin is typing.Union or origin is types.UnionType:
        return _decode_union(typing.get_args(kind), data, path)
    if origin is not None:
        return _decode_generic(origin, typing.get_args(kind), data, path)
    if isinstance(kind, type):
        return _decode_class(kind, data, path)
    raise TypeError(f"{path}: cannot decode into {kind!r}")


def from_document(cls: type[T], document: Mapping[str, Any], path: str = "$", **given: Any) -> T:
    """Build a ``cls`` dataclass from ``document``; ``given`` supplies fields kept elsewhere.

    Fields absent from both take their defaults; a required one that is absent is an error.
    """
    if not isinstance(document, Mapping):
        raise CodecError(path, f"expected an object, got {_describe(document)}")
    hints = _type_hints(cast(Any, cls))
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cast(Any, cls)):
        if not f.init:
            continue
        if f.name in given:
            values[f.name] = given[f.name]
        elif f.name in document:
            values[f.name] = decode(hints[f.name], document[f.name], f"{path}.{f.name}")
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise CodecError(path, f"missing required field {f.name!r}")
    try:
        return cls(**values)
    except (TypeError, ValueError) as error:
        raise CodecError(path, f"not a valid {cls.__name__}: {error}") from error


@functools.cache
def _type_hints(cls: Any) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _decode_union(alternatives: tuple[Any, ...], data: Any, path: str) -> Any:
    if data is None and type(None) in alternatives:
        return None
    for alternative in alternatives:
        if alternative is type(None):
            continue
        try:
            return decode(alternative, data, path)
        except CodecError:
            continue
    names = " | ".join(getattr(a, "__name__", repr(a)) for a in alternatives)
    raise CodecError(path, f"expected {names}, got {_describe(data)}")


def _decode_generic(origin: Any, args: tuple[Any, ...], data: Any, path: str) -> Any:
    if origin in (tuple, list):
        if not isinstance(data, list):
            raise CodecError(path, f"expected an array, got {_describe(data)}")
        if origin is list:
            return [
                decode(args[0] if args else Any, element, f"{path}[{i}]") for i, element in enumerate(data)
            ]
        if not args or (len(args) == 2 and args[1] is Ellipsis):
            element_kind = args[0] if args else Any
            return tuple(decode(element_kind, element, f"{path}[{i}]") for i, element in enumerate(data))
        if len(args) != len(data):
            raise CodecError(path, f"expected {len(args)} elements, got {len(data)}")
        return tuple(
            decode(k, element, f"{path}[{i}]") for i, (k, element) in enumerate(zip(args, data, strict=True))
        )
    if origin in (dict, Mapping) or (isinstance(origin, type) and issubclass(origin, Mapping)):
        if not isinstance(data, dict):
            raise CodecError(path, f"expected an object, got {_describe(data)}")
        value_kind = args[1] if len(args) == 2 else Any
        return {key: decode(value_kind, element, f"{path}.{key}") for key, element in data.items()}
    raise TypeError(f"{path}: cannot decode into {origin!r}{list(args)}")


def _decode_class(kind: type[Any], data: Any, path: str) -> Any:
    if kind is bool:
        if not isinstance(data, bool):
            raise CodecError(path, f"expected a boolean, got {_describe(data)}")
        return data
    if kind is int:
        if not isinstance(data, int) or isinstance(data, bool):
            raise CodecError(path, f"expected an integer, got {_describe(data)}")
        return data
    if kind is float:
        if not isinstance(data, int | float) or isinstance(data, bool):
            raise CodecError(path, f"expected a number, got {_describe(data)}")
        return float(data)
    if issubclass(kind, enum.Enum):
        try:
            return kind(data)
        except ValueError:
            allowed = ", ".join(repr(member.value) for member in kind)
            raise CodecError(path, f"expected one of {allowed}, got {_describe(data)}") from None
    if kind is str:
        if not isinstance(data, str):
            raise CodecError(path, f"expected a string, got {_describe(data)}")
        return data
    if kind is datetime:
        return _decode_datetime(data, path)
    if kind is timedelta:
        return _decode_timedelta(data, path)
    if dataclasses.is_dataclass(kind):
        return from_document(kind, data, path)
    raise TypeError(f"{path}: cannot decode into {kind.__name__}")


def _decode_datetime(data: Any, path: str) -> datetime:
    if not isinstance(data, str):
        raise CodecError(path, f"expected an ISO 8601 date-time, got {_describe(data)}")
    try:
        value = datetime.fromisoformat(data)
    except ValueError:
        raise CodecError(path, f"expected an ISO 8601 date-time, got {data!r}") from None
    if value.tzinfo is None:
        raise CodecError(path, f"expected a date-time with a UTC offset, got {data!r}")
    return value


def _encode_timedelta(value: timedelta) -> int | str:
    # Whole seconds stay integers, readable in the document; a fraction is written as exact
    # decimal text, since a float cannot hold microseconds beyond a few hundred years.
    microseconds = value // timedelta(microseconds=1)
    seconds, fraction = divmod(abs(microseconds), 1_000_000)
    sign = -1 if microseconds < 0 else 1
    if fraction == 0:
        return sign * seconds
    return f"{'-' if sign < 0 else ''}{seconds}.{fraction:06d}"


def _decode_timedelta(data: Any, path: str) -> timedelta:
    if isinstance(data, bool) or not isinstance(data, int | float | str):
        raise CodecError(path, f"expected a number of seconds, got {_describe(data)}")
    try:
        seconds = Decimal(data) if isinstance(data, str) else Decimal(repr(data))
        microseconds = int((seconds * 1_000_000).to_integral_value())
        return timedelta(microseconds=microseconds)
    except (InvalidOperation, OverflowError, ValueError):
        raise CodecError(path, f"expected a number of seconds, got {_describe(data)}") from None


def _require_str_key(key: object) -> str:
    if not isinstance(key, str):
        raise TypeError(f"mapping keys must be strings to encode, got {type(key).__name__}")
    return key


def _describe(data: Any) -> str:
    shown = repr(data)
    return f"{type(data).__name__} {shown if len(shown) <= 60 else shown[:57] + '...'}"
