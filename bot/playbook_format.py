"""Mattermost's playbook export format (version 1), to and from the playbook domain model.

:func:`import_playbook` turns a parsed document into a :class:`Playbook`, naming every invalid
field at once, and :func:`export_playbook` turns a playbook back into the export's mapping. The
text layer (:func:`parse_document`, :func:`dump_document`) is re-exported from
:mod:`bot.playbook_document`, so ``bot.playbook_format`` is the one import callers need.

The export leaves out zero values, so a missing field means off, empty or zero. The settings
that point at a server (visibility, members, invites, default owner, broadcast channels, webhooks)
are read and written by :mod:`bot.playbook_references`; the importer always becomes an admin.

One key is ours, not the plugin's: ``schedules``, the playbook's recurring runs, a list of
``{every: 1w}`` or ``{cron: "0 9 * * MON", timezone: Europe/Paris}``. It is exported only when the
playbook has schedules, so the plugin's own exports read and write back unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import Enum, auto
from typing import Any

from bot.domain.errors import DomainError, ValidationProblem
from bot.domain.playbook import (
    AssigneeType,
    ChecklistItemTemplate,
    ChecklistTemplate,
    Metric,
    MetricType,
    Playbook,
    normalize_run_number_prefix,
)
from bot.domain.playbook_rules import MAX_INTERVAL, validate_playbook
from bot.domain.playbook_settings import (
    CategorySettings,
    ChannelMode,
    InviteSettings,
    KeywordSettings,
    RetrospectiveSettings,
    RunChannelSettings,
    RunSummarySettings,
    StatusUpdateSettings,
    WebhookSettings,
    WelcomeMessageSettings,
)
from bot.domain.schedules import FileSchedule
from bot.playbook_document import (
    MAX_DOCUMENT_BYTES,
    Document,
    DocumentFormat,
    FieldReader,
    KnownFields,
    PlaybookFormatError,
    dump_document,
    parse_document,
)
from bot.playbook_references import KEYS as REFERENCE_KEYS
from bot.playbook_references import ExportNames, References, export_references, read_references

__all__ = [
    "EXPORT_VERSION",
    "MAX_DOCUMENT_BYTES",
    "Document",
    "DocumentFormat",
    "ExportNames",
    "ImportResult",
    "PlaybookFormatError",
    "PlaybookImportError",
    "References",
    "dump_document",
    "export_playbook",
    "import_playbook",
    "parse_document",
]

EXPORT_VERSION = 1


class PlaybookImportError(DomainError):
    """A readable document that does not describe a valid playbook; ``problems`` names each field."""

    def __init__(self, problems: list[ValidationProblem]) -> None:
        self.problems = list(problems)
        listed = "\n".join(f"- {problem}" for problem in self.problems)
        super().__init__(f"The playbook cannot be imported:\n{listed}")


@dataclass(frozen=True, slots=True)
class ImportResult:
    """An imported playbook, what the import ignored (one line per field), and the file's
    references to this server, still to be looked up (the playbook has none of their ids yet)."""

    playbook: Playbook
    warnings: tuple[str, ...] = ()
    references: References = field(default_factory=References)


# The exported playbook settings --------------------------------------------------------------


class _Kind(Enum):
    TEXT = auto()
    FLAG = auto()
    SECONDS = auto()
    CHANNEL_MODE = auto()
    RUN_NUMBER_PREFIX = auto()
    KEYWORDS = auto()


@dataclass(frozen=True, slots=True)
class _Setting:
    """One exported key: its kind, and where it lives on the playbook (``section`` None: on the
    playbook itself, with the key as the attribute name)."""

    key: str
    kind: _Kind
    section: str | None = None
    attribute: str = ""

    @property
    def attribute_name(self) -> str:
        return self.attribute or self.key


# In the order a YAML document lists them; JSON sorts keys, as the plugin does.
# fmt: off
_SETTINGS = (
    _Setting("description", _Kind.TEXT),
    _Setting("channel_mode", _Kind.CHANNEL_MODE, "channel", "mode"),
    _Setting("channel_id", _Kind.TEXT, "channel"),
    _Setting("channel_name_template", _Kind.TEXT, "channel"),
    _Setting("new_channel_only", _Kind.FLAG, "channel"),
    _Setting("run_number_prefix", _Kind.RUN_NUMBER_PREFIX, "channel"),
    _Setting("run_summary_template_enabled", _Kind.FLAG, "run_summary", "enabled"),
    _Setting("run_summary_template", _Kind.TEXT, "run_summary", "template"),
    _Setting("message_on_join_enabled", _Kind.FLAG, "welcome_message", "enabled"),
    _Setting("message_on_join", _Kind.TEXT, "welcome_message", "message"),
    _Setting("status_update_enabled", _Kind.FLAG, "status_updates", "enabled"),
    _Setting("reminder_timer_default_seconds", _Kind.SECONDS, "status_updates"),
    _Setting("reminder_message_template", _Kind.TEXT, "status_updates"),
    _Setting("retrospective_enabled", _Kind.FLAG, "retrospective", "enabled"),
    _Setting("retrospective_reminder_interval_seconds", _Kind.SECONDS,
             "retrospective", "reminder_interval_seconds"),
    _Setting("retrospective_template", _Kind.TEXT, "retrospective", "template"),
    _Setting("signal_any_keywords_enabled", _Kind.FLAG, "keywords", "enabled"),
    _Setting("signal_any_keywords", _Kind.KEYWORDS, "keywords", "keywords"),
    _Setting("categorize_channel_enabled", _Kind.FLAG, "category", "enabled"),
    _Setting("category_name", _Kind.TEXT, "category", "name"),
    _Setting("create_channel_member_on_new_participant", _Kind.FLAG),
    _Setting("remove_channel_member_on_removed_participant", _Kind.FLAG),
    _Setting("auto_archive_channel", _Kind.FLAG),
    _Setting("owner_group_only_actions", _Kind.FLAG),
)
# fmt: on

_SECTIONS: Mapping[str, Callable[..., Any]] = {
    "channel": RunChannelSettings,
    "run_summary": RunSummarySettings,
    "welcome_message": WelcomeMessageSettings,
    "status_updates": StatusUpdateSettings,
    "retrospective": RetrospectiveSettings,
    "keywords": KeywordSettings,
    "category": CategorySettings,
}

# fmt: off
_PLAYBOOK_FIELDS = KnownFields(
    read=frozenset(
        {"version", "title", "checklists", "metrics", "schedules"}
        | {setting.key for setting in _SETTINGS}
        | REFERENCE_KEYS
    ),
    unsupported=frozenset({"properties", "conditions"}),
    server_specific=frozenset({
        "id", "team_id", "create_at", "update_at", "delete_at", "num_stages", "num_steps", "num_runs",
        "num_actions", "last_run_at", "active_runs", "invited_group_ids", "next_run_number",
        "admin_only_edit", "default_playbook_admin_role", "default_playbook_member_role",
        "default_run_admin_role", "default_run_member_role",
    }),
)
_CHECKLIST_FIELDS = KnownFields(
    read=frozenset({"title", "items"}),
    server_specific=frozenset({"id", "items_order", "update_at"}),
)
_ITEM_FIELDS = KnownFields(
    read=frozenset({"title", "description", "command", "due_date", "assignee_type"}),
    unsupported=frozenset({"assignee_property_field_id", "condition_id", "condition_action", "task_actions"}),
    server_specific=frozenset({
        "id", "state", "state_modified", "assignee_id", "assignee_modified", "command_last_run",
        "delete_at", "update_at", "condition_reason",
    }),
)
_METRIC_FIELDS = KnownFields(
    read=frozenset({"title", "description", "type", "target"}),
    server_specific=frozenset({"id", "playbook_id"}),
)
_SCHEDULE_FIELDS = KnownFields(read=frozenset({"every", "cron", "timezone"}))
_SCHEDULE_EXAMPLE = '{every: 1w} or {cron: "0 9 * * MON"}'
# fmt: on
_MAX_DUE_MILLISECONDS = MAX_INTERVAL // timedelta(milliseconds=1)


# Import ---------------------------------------------------------------------------------------


def import_playbook(
    doc: Mapping[str, Any], *, team_id: str, importer_id: str, playbook_id: str = ""
) -> ImportResult:
    """Build a playbook of ``team_id`` from an export document, with the importer as its admin.

    The playbook is public unless the file says ``public: false``, and its ``id`` is
    ``playbook_id`` (empty: not stored yet). Its switches and webhook URLs are the file's; the
    people and channels the file names are in the result's ``references``, for the caller to look
    up. Raises :class:`PlaybookImportError` naming every invalid field at once; fields the import
    does not use are named in the result's warnings.
    """
    _check_version(doc)
    reader = FieldReader()
    title = reader.text(doc, "title", "title")
    values: dict[str | None, dict[str, Any]] = {None: {}, **{section: {} for section in _SECTIONS}}
    for setting in _SETTINGS:
        values[setting.section][setting.attribute_name] = _read_setting(reader, doc, setting)
    references = read_references(reader, doc)
    values["channel"]["create_public_channel"] = references.create_public_playbook_run
    values["status_updates"]["broadcast_enabled"] = references.broadcast_enabled
    values["status_updates"]["webhooks"] = WebhookSettings(
        references.webhook_on_status_update_urls, references.webhook_on_status_update_enabled
    )
    sections = {section: build(**values[section]) for section, build in _SECTIONS.items()}
    playbook = Playbook(
        id=playbook_id,
        team_id=team_id,
        title=title,
        public=references.public,
        invites=InviteSettings(enabled=references.invite_users_enabled),
        creation_webhooks=WebhookSettings(
            references.webhook_on_creation_urls, references.webhook_on_creation_enabled
        ),
        member_ids=(importer_id,),
        admin_ids=(importer_id,),
        checklists=_read_checklists(reader, doc),
        metrics=_read_metrics(reader, doc),
        schedules=_read_schedules(reader, doc),
        **sections,
        **values[None],
    )
    reader.leftovers(doc, "", _PLAYBOOK_FIELDS)
    problems = reader.problems + [
        problem
        for problem in validate_playbook(playbook)
        if not any(_already_reported(problem.field, read.field) for read in reader.problems)
    ]
    if problems:
        raise PlaybookImportError(problems)
    return ImportResult(playbook, tuple(reader.warnings), references)


def _already_reported(path: str, read: str) -> bool:
    """Whether a rule broken at ``path`` follows from the reading problem at ``read``: it is inside
    the unreadable field, or it concerns a whole list element (``schedules[1]``) with a field
    that could not be read."""
    return _is_within(path, read) or (path.endswith("]") and _is_within(read, path))


def _is_within(path: str, ancestor: str) -> bool:
    return path == ancestor or path.startswith((f"{ancestor}.", f"{ancestor}["))


def _check_version(doc: Mapping[str, Any]) -> None:
    version = doc.get("version")
    if version is None:
        message = f"is missing; a playbook export says which format it uses, e.g. version: {EXPORT_VERSION}"
    elif type(version) is not int or version != EXPORT_VERSION:
        message = f"must be {EXPORT_VERSION}; version {version!r} exports cannot be imported"
    else:
        return
    raise PlaybookImportError([ValidationProblem("version", message)])


def _read_setting(reader: FieldReader, doc: Mapping[str, Any], setting: _Setting) -> object:
    key = path = setting.key
    match setting.kind:
        case _Kind.TEXT:
            return reader.text(doc, key, path)
        case _Kind.FLAG:
            return reader.flag(doc, key, path)
        case _Kind.SECONDS:
            return reader.whole_number(doc, key, path) or 0
        case _Kind.CHANNEL_MODE:
            return reader.choice(doc, key, path, ChannelMode, ChannelMode.CREATE_NEW_CHANNEL)
        case _Kind.RUN_NUMBER_PREFIX:
            return normalize_run_number_prefix(reader.text(doc, key, path))
        case _Kind.KEYWORDS:
            return _read_keywords(reader, doc, key)


def _read_keywords(reader: FieldReader, doc: Mapping[str, Any], key: str) -> tuple[str, ...]:
    # The plugin drops empty and repeated keywords on save; so do we, but say so.
    kept: list[str] = []
    for path, keyword in reader.texts(doc, key, key):
        if not keyword.strip():
            reader.warn(path, "empty keyword dropped")
        elif keyword in kept:
            reader.warn(path, f"repeated keyword {keyword!r} dropped")
        else:
            kept.append(keyword)
    return tuple(kept)


def _read_checklists(reader: FieldReader, doc: Mapping[str, Any]) -> tuple[ChecklistTemplate, ...]:
    checklists: list[ChecklistTemplate] = []
    for path, raw in reader.mappings(doc, "checklists", "checklists"):
        title = reader.text(raw, "title", f"{path}.title")
        items = [
            _read_item(reader, item_path, item)
            for item_path, item in reader.mappings(raw, "items", f"{path}.items")
        ]
        reader.leftovers(raw, path, _CHECKLIST_FIELDS)
        checklists.append(ChecklistTemplate(title, tuple(items)))
    return tuple(checklists)


def _read_item(reader: FieldReader, path: str, raw: Mapping[Any, Any]) -> ChecklistItemTemplate:
    due_date = reader.whole_number(raw, "due_date", f"{path}.due_date")
    due_after = None
    if due_date and abs(due_date) > _MAX_DUE_MILLISECONDS:
        reader.fail(f"{path}.due_date", f"must be at most {MAX_INTERVAL.days} days after the run starts")
    elif due_date:
        due_after = timedelta(milliseconds=due_date)
    if raw.get("assignee_type") == "property_user":
        reader.warn(
            f"{path}.assignee_type", "assignment by property is not supported; the task starts unassigned"
        )
        assignee_type = AssigneeType.SPECIFIC_USER
    else:
        assignee_type = reader.choice(
            raw, "assignee_type", f"{path}.assignee_type", AssigneeType, AssigneeType.SPECIFIC_USER
        )
    reader.leftovers(raw, path, _ITEM_FIELDS)
    return ChecklistItemTemplate(
        title=reader.text(raw, "title", f"{path}.title"),
        description=reader.text(raw, "description", f"{path}.description"),
        command=reader.text(raw, "command", f"{path}.command"),
        due_after=due_after,
        assignee_type=assignee_type,
    )


def _read_metrics(reader: FieldReader, doc: Mapping[str, Any]) -> tuple[Metric, ...]:
    metrics: list[Metric] = []
    for path, raw in reader.mappings(doc, "metrics", "metrics"):
        if raw and raw.get("type") in (None, ""):
            named = ", ".join(metric_type.value for metric_type in MetricType)
            reader.fail(f"{path}.type", f"must be one of {named}")
        metric = Metric(
            title=reader.text(raw, "title", f"{path}.title"),
            description=reader.text(raw, "description", f"{path}.description"),
            type=reader.choice(raw, "type", f"{path}.type", MetricType, MetricType.INTEGER),
            target=reader.whole_number(raw, "target", f"{path}.target"),
        )
        reader.leftovers(raw, path, _METRIC_FIELDS)
        metrics.append(metric)
    return tuple(metrics)


def _read_schedules(reader: FieldReader, doc: Mapping[str, Any]) -> tuple[FileSchedule, ...]:
    schedules: list[FileSchedule] = []
    for path, raw in reader.mappings(doc, "schedules", "schedules", example=_SCHEDULE_EXAMPLE):
        schedules.append(
            FileSchedule(
                every=reader.text(raw, "every", f"{path}.every"),
                cron=reader.text(raw, "cron", f"{path}.cron"),
                timezone=reader.text(raw, "timezone", f"{path}.timezone"),
            )
        )
        reader.leftovers(raw, path, _SCHEDULE_FIELDS)
    return tuple(schedules)


# Export ---------------------------------------------------------------------------------------


def export_playbook(playbook: Playbook, names: ExportNames | None = None) -> Document:
    """The playbook as a version-1 export: exported fields only, zero values left out (as the
    plugin does), ``checklists`` and ``metrics`` always present, ``schedules`` when there are any,
    and the settings that point at this server when set, with the ``names`` of their people and
    channels beside the ids (:func:`bot.playbook_references.export_references`)."""
    doc: Document = {"version": EXPORT_VERSION}
    if playbook.title:
        doc["title"] = playbook.title
    for setting in _SETTINGS:
        owner = playbook if setting.section is None else getattr(playbook, setting.section)
        value = _exported_value(setting.kind, getattr(owner, setting.attribute_name))
        if value is not None:
            doc[setting.key] = value
    doc["checklists"] = [
        {"title": checklist.title, "items": [_exported_item(item) for item in checklist.items]}
        for checklist in playbook.checklists
    ]
    doc["metrics"] = [_exported_metric(metric) for metric in playbook.metrics]
    if playbook.schedules:  # ours: never in the plugin's exports, so left out when there are none
        doc["schedules"] = [_exported_schedule(schedule) for schedule in playbook.schedules]
    export_references(doc, playbook, names or ExportNames())
    return doc


def _exported_value(kind: _Kind, value: Any) -> object | None:
    """The value as written in an export, or None for a zero value, which exports leave out."""
    if kind is _Kind.CHANNEL_MODE:
        return None if value is ChannelMode.CREATE_NEW_CHANNEL else str(value.value)
    if kind is _Kind.KEYWORDS:
        return list(value) or None
    return value or None


def _exported_item(item: ChecklistItemTemplate) -> Document:
    due_date = None if item.due_after is None else item.due_after // timedelta(milliseconds=1)
    fields = {
        "title": item.title,
        "description": item.description,
        "command": item.command,
        "assignee_type": str(item.assignee_type.value),
        "due_date": due_date,
    }
    return {key: value for key, value in fields.items() if value}


def _exported_metric(metric: Metric) -> Document:
    exported: Document = {"title": metric.title}
    if metric.description:
        exported["description"] = metric.description
    exported["type"] = str(metric.type.value)
    if metric.target is not None:
        exported["target"] = metric.target
    return exported


def _exported_schedule(schedule: FileSchedule) -> Document:
    fields = {"every": schedule.every, "cron": schedule.cron, "timezone": schedule.timezone}
    return {key: value for key, value in fields.items() if value}
