"""Playbook documents as text: reading and writing JSON or YAML, and reading typed fields.

:func:`parse_document` turns text into a mapping, :class:`FieldReader` reads typed fields out of
it (collecting every problem instead of stopping at the first), and :func:`dump_document` writes
a mapping back.
JSON output matches Mattermost's playbook exports byte for byte (sorted keys, 4-space indent,
``<>&`` escaped as Go escapes them); YAML output keeps the document's key order and writes
multi-line texts as ``|`` blocks, so playbooks kept in git read and diff well. What the mapping
means is :mod:`bot.playbook_format`'s concern.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import PurePath
from typing import Any, TypeVar

import yaml

from bot.domain.errors import DomainError, ValidationProblem

MAX_DOCUMENT_BYTES = 2 * 1024 * 1024  # the plugin's limit on playbook request bodies

Document = dict[str, Any]
_E = TypeVar("_E", bound=StrEnum)


class DocumentFormat(StrEnum):
    """The two notations a playbook document may be written in."""

    JSON = "json"
    YAML = "yaml"

    @classmethod
    def of(cls, filename_or_format: str) -> DocumentFormat:
        """The format named (``json``, ``yaml``, ``yml``) or implied by a file name's extension."""
        name = filename_or_format.strip().lower()
        extension = name if "." not in name else PurePath(name).suffix.removeprefix(".")
        if extension == "json":
            return cls.JSON
        if extension in ("yaml", "yml"):
            return cls.YAML
        raise PlaybookFormatError(
            f"Cannot tell the format of {filename_or_format!r}: use a .json, .yaml or .yml file."
        )


class PlaybookFormatError(DomainError):
    """A document that cannot be read at all; ``line`` and ``column`` (from 1) when known."""

    def __init__(self, message: str, *, line: int | None = None, column: int | None = None) -> None:
        self.line = line
        self.column = column
        where = (
            "" if line is None else f" (line {line}" + ("" if column is None else f", column {column}") + ")"
        )
        super().__init__(f"{message}{where}")


# Parsing --------------------------------------------------------------------------------------


def parse_document(text: str, filename_or_format: str) -> Document:
    """Read a playbook document written in JSON or YAML (chosen by extension or format name).

    Raises :class:`PlaybookFormatError`, with the line and column when the parser knows them, for
    text that is not a mapping in that notation.
    """
    notation = DocumentFormat.of(filename_or_format)
    if len(text.encode("utf-8", "surrogatepass")) > MAX_DOCUMENT_BYTES:
        raise PlaybookFormatError(f"The document is larger than {MAX_DOCUMENT_BYTES // 1024 // 1024} MiB.")
    text = text.removeprefix("\ufeff")
    try:
        data = _parse_json(text) if notation is DocumentFormat.JSON else _parse_yaml(text)
    except RecursionError:
        raise PlaybookFormatError("The document is nested too deeply to be a playbook.") from None
    if data is None or data == "":
        raise PlaybookFormatError("The document is empty.")
    if not isinstance(data, dict):
        raise PlaybookFormatError(
            f"A playbook document must be a mapping of fields at the top level, not {describe_value(data)}."
        )
    return data


class _DuplicateKeyError(ValueError):
    def __init__(self, key: object) -> None:
        super().__init__(key)
        self.key = key


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    mapping: dict[str, Any] = {}
    for key, value in pairs:
        if key in mapping:
            raise _DuplicateKeyError(key)
        mapping[key] = value
    return mapping


def _parse_json(text: str) -> object:
    try:
        return json.loads(text, object_pairs_hook=_reject_duplicate_keys)
    except json.JSONDecodeError as error:
        raise PlaybookFormatError(
            f"The file is not valid JSON: {error.msg}", line=error.lineno, column=error.colno
        ) from None
    except _DuplicateKeyError as error:
        raise PlaybookFormatError(
            f"The file is not valid JSON: the key {error.key!r} appears twice"
        ) from None


class _StrictYamlLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing a key given twice in one mapping (plain YAML keeps the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[object] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # "<<: *anchor" may legitimately repeat keys that it then overrides
            key = self.construct_object(key_node, deep=True)
            try:
                repeated = key in seen
                seen.add(key)
            except TypeError:  # an unhashable key; the base constructor reports it
                continue
            if repeated:
                raise yaml.constructor.ConstructorError(
                    "while reading a mapping",
                    node.start_mark,
                    f"the key {key!r} appears twice",
                    key_node.start_mark,
                )
        return super().construct_mapping(node, deep=deep)


def _parse_yaml(text: str) -> object:
    try:
        return yaml.load(text, Loader=_StrictYamlLoader)  # a SafeLoader: builds plain data only
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = error.problem or error.context or "unreadable YAML"
        raise PlaybookFormatError(
            f"The file is not valid YAML: {problem}",
            line=None if mark is None else mark.line + 1,
            column=None if mark is None else mark.column + 1,
        ) from None
    except yaml.YAMLError as error:
        raise PlaybookFormatError(f"The file is not valid YAML: {error}") from None


def describe_value(value: object) -> str:
    """How a parsed value reads in an error message: "a number", "a list", "true/false"..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "a mapping"
    return f"a {type(value).__name__}"


# Reading fields of a parsed document ----------------------------------------------------------


def _child(path: str, key: object) -> str:
    return f"{path}.{key}" if path else str(key)


def _is_zero(value: object) -> bool:
    return value is None or value in ("", 0, False) or value == [] or value == {}


class FieldReader:
    """Reads typed fields out of a parsed document, collecting problems and warnings as it goes.

    A field of the wrong type is reported and read as its zero value, so that reading goes on and
    every problem in the document is named in one pass.
    """

    def __init__(self) -> None:
        self.problems: list[ValidationProblem] = []
        self.warnings: list[str] = []

    def fail(self, path: str, message: str) -> None:
        self.problems.append(ValidationProblem(path, message))

    def warn(self, path: str, message: str) -> None:
        self.warnings.append(f"{path}: {message}")

    def text(self, raw: Mapping[Any, Any], key: str, path: str) -> str:
        value = raw.get(key)
        if value is None or isinstance(value, str):
            return value or ""
        self.fail(path, f"must be a string, not {describe_value(value)}")
        return ""

    def flag(self, raw: Mapping[Any, Any], key: str, path: str) -> bool:
        value = raw.get(key)
        if value is None or isinstance(value, bool):
            return bool(value)
        self.fail(path, f"must be true or false, not {describe_value(value)}")
        return False

    def whole_number(self, raw: Mapping[Any, Any], key: str, path: str) -> int | None:
        value = raw.get(key)
        if value is None or (isinstance(value, int) and not isinstance(value, bool)):
            return value
        self.fail(path, f"must be a whole number, not {describe_value(value)}")
        return None

    def choice(self, raw: Mapping[Any, Any], key: str, path: str, choices: type[_E], default: _E) -> _E:
        value = self.text(raw, key, path)
        if not value:
            return default
        try:
            return choices(value)
        except ValueError:
            named = ", ".join(choice.value for choice in choices if choice.value)
            self.fail(path, f"must be one of {named}, not {value!r}")
            return default

    def texts(self, raw: Mapping[Any, Any], key: str, path: str) -> list[tuple[str, str]]:
        """The strings of a list field, each with its path; other elements are reported."""
        found: list[tuple[str, str]] = []
        for element_path, element in self._elements(raw, key, path):
            if isinstance(element, str):
                found.append((element_path, element))
            else:
                self.fail(element_path, f"must be a string, not {describe_value(element)}")
        return found

    def mappings(
        self, raw: Mapping[Any, Any], key: str, path: str, *, example: str = ""
    ) -> list[tuple[str, Mapping[Any, Any]]]:
        """The mappings of a list field, each with its path; another element is reported (with
        ``example``, a mapping written as it should be, when given) and read as an empty mapping,
        so later elements keep their positions."""
        found: list[tuple[str, Mapping[Any, Any]]] = []
        hint = f", such as {example}" if example else ""
        for element_path, element in self._elements(raw, key, path):
            if not isinstance(element, Mapping):
                self.fail(element_path, f"must be a mapping of fields{hint}, not {describe_value(element)}")
                element = {}
            found.append((element_path, element))
        return found

    def _elements(self, raw: Mapping[Any, Any], key: str, path: str) -> list[tuple[str, object]]:
        value = raw.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(path, f"must be a list, not {describe_value(value)}")
            return []
        return [(f"{path}[{index}]", element) for index, element in enumerate(value)]

    def leftovers(self, raw: Mapping[Any, Any], path: str, fields: KnownFields) -> None:
        """Warn about each key that the import does not use."""
        for key, value in raw.items():
            if key in fields.read:
                continue
            if key in fields.unsupported:
                if not _is_zero(value):
                    self.warn(_child(path, key), "not supported, ignored")
            elif key in fields.server_specific:
                if not _is_zero(value):
                    self.warn(_child(path, key), "belongs to the server it was exported from, not imported")
            else:
                self.warn(_child(path, key), "unknown field, ignored")


@dataclass(frozen=True, slots=True)
class KnownFields:
    """The keys of one kind of mapping: those read, those recognised but not supported, and those
    that only make sense on the server a document came from."""

    read: frozenset[str]
    unsupported: frozenset[str] = frozenset()
    server_specific: frozenset[str] = frozenset()


# Writing --------------------------------------------------------------------------------------

# Go's JSON encoder escapes these inside strings; doing the same keeps our exports identical to
# the plugin's. They never occur in JSON outside strings, so replacing them in the text is safe.
_GO_JSON_ESCAPES = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


class _ReadableYamlDumper(yaml.SafeDumper):
    """Block style throughout, list items indented under their key, multi-line texts as ``|`` blocks."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


# YAML reads these as line breaks too, and a block would turn them into plain newlines.
_OTHER_LINE_BREAKS = frozenset("\r\x85\u2028\u2029")


def _represent_text(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style: str | None = None
    if not _OTHER_LINE_BREAKS.isdisjoint(text):
        style = '"'  # escaped, so they come back as they were
    elif "\n" in text:
        style = "|"
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_ReadableYamlDumper.add_representer(str, _represent_text)


def dump_document(doc: Mapping[str, Any], format: DocumentFormat | str = DocumentFormat.JSON) -> str:
    """Write a document as JSON (the plugin's layout: sorted keys, 4-space indent) or as YAML
    (keys in the document's order, multi-line texts as blocks). Ends with a newline."""
    if DocumentFormat.of(format) is DocumentFormat.JSON:
        text = json.dumps(doc, indent=4, sort_keys=True, ensure_ascii=False)
        return text.translate(_GO_JSON_ESCAPES) + "\n"
    return yaml.dump(
        doc,
        Dumper=_ReadableYamlDumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=1 << 20,
    )
