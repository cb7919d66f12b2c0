"""How a typed payload travels inside a signed context: the packed form of buttons and dialogs.

A payload class (:mod:`bot.callback_data` holds them all) is a frozen dataclass whose fields declare
the short key each travels under, with :func:`wire`. Packed, it is the name under ``a`` (a button's
action, :class:`ActionData`) or ``d`` (a dialog's callback id, :class:`DialogData`), then each field
under its key. A field with a default is left out while it holds the default; ``bool`` fields
travel as ``1`` when true. This is the wire format of buttons already posted in channels, so it
never changes by accident (``tests/test_callback_data.py`` pins it).
"""

from __future__ import annotations

import dataclasses
import enum
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Self

ContextValue = str | int

ACTION_KEY = "a"
DIALOG_KEY = "d"


class PayloadError(ValueError):
    """A verified context that does not decode into its payload class (an older or odd button)."""


def wire(key: str, default: Any = dataclasses.MISSING) -> Any:
    """A payload field packed under ``key`` (optional when it has a ``default``)."""
    return dataclasses.field(default=default, metadata={"wire": key})


@dataclass(frozen=True, slots=True)
class _Field:
    name: str
    key: str
    kind: type[Any]
    default: Any


@dataclass(frozen=True)
class CallbackData:
    """A payload: ``name`` identifies its kind on the wire, under :attr:`name_key`."""

    name: ClassVar[str]
    name_key: ClassVar[str]

    def pack(self) -> dict[str, ContextValue]:
        """The fields as they travel in a context, its name first."""
        packed: dict[str, ContextValue] = {self.name_key: self.name}
        for field in _fields(type(self)):
            value = getattr(self, field.name)
            if field.default is not dataclasses.MISSING and value == field.default:
                continue
            packed[field.key] = _to_wire(value)
        return packed

    @classmethod
    def unpack(cls, context: Mapping[str, Any]) -> Self:
        """The payload a verified context carries; :class:`PayloadError` when it does not fit.

        Keys the class does not declare (a dialog's nonce, say) are ignored.
        """
        if context.get(cls.name_key) != cls.name:
            raise PayloadError(f"not a {cls.name!r} payload")
        values = {field.name: _from_wire(field, context.get(field.key)) for field in _fields(cls)}
        return cls(**values)


@dataclass(frozen=True)
class ActionData(CallbackData):
    """The payload of a button: its name is the action (``a``)."""

    name_key: ClassVar[str] = ACTION_KEY


@dataclass(frozen=True)
class DialogData(CallbackData):
    """The payload of a dialog's ``state``: its name is the dialog's callback id (``d``)."""

    name_key: ClassVar[str] = DIALOG_KEY


_FIELDS: dict[type[CallbackData], tuple[_Field, ...]] = {}


def _fields(cls: type[CallbackData]) -> tuple[_Field, ...]:
    known = _FIELDS.get(cls)
    if known is None:
        known = _FIELDS[cls] = _read_fields(cls)
    return known


def _read_fields(cls: type[CallbackData]) -> tuple[_Field, ...]:
    hints = typing.get_type_hints(cls)
    found = []
    for field in dataclasses.fields(cls):
        key = field.metadata.get("wire")
        if key is None:
            raise TypeError(f"{cls.__name__}.{field.name} has no wire key: declare it with wire()")
        found.append(_Field(field.name, key, hints[field.name], field.default))
    return tuple(found)


def _to_wire(value: object) -> ContextValue:
    if isinstance(value, bool):
        return 1 if value else 0
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, str | int):
        return value
    raise TypeError(f"a payload cannot carry {type(value).__name__}")


def _from_wire(field: _Field, value: object) -> Any:
    if value is None:
        if field.default is dataclasses.MISSING:
            raise PayloadError(f"{field.key!r} is missing")
        return field.default
    if field.kind is bool:
        if value not in (0, 1) or isinstance(value, bool):
            raise PayloadError(f"{field.key!r} is not a flag")
        return value == 1
    if field.kind is int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise PayloadError(f"{field.key!r} is not a number")
        return value
    if not isinstance(value, str):
        raise PayloadError(f"{field.key!r} is not text")
    if issubclass(field.kind, enum.Enum):
        # An enum may travel as "": the open task state's wire value is the plugin's empty string.
        try:
            return field.kind(value)
        except ValueError as error:
            raise PayloadError(f"{field.key!r} is not a known value") from error
    if not value:
        raise PayloadError(f"{field.key!r} is empty")
    return value
