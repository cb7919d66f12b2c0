"""Mattermost's playbook export format (version 1), read into the playbook domain model.

:func:`import_playbook` turns a parsed document into a :class:`Playbook`, naming every invalid
field at once; :func:`bot.playbook_export.export_playbook` writes one back. The text layer
(:func:`parse_document`, :func:`dump_document`) is re-exported from :mod:`bot.playbook_document`,
so ``bot.playbook_format`` is the one import that reading a file needs.

The export leaves out zero values, so a missing field means off, empty or zero. The settings
that point at a server (visibility, members, invites, default owner, broadcast channels, webhooks)
are read by :mod:`bot.playbook_references`; the importer always becomes an admin. Which keys hold
which settings is :mod:`bot.playbook_keys`' table, shared with the export.

One key is ours, not the plugin's: ``schedules``, the playbook's recurring runs, a list of
``{every: 1w}`` or ``{cron: "0 9 * * MON", timezone: Europe/Paris}``. It is exported only when the
playbook has schedules, so the plugin's own exports read and write back unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
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
from bot.playbook_keys import EXPORT_VERSION, EXPORTED_SETTINGS, ExportedSetting, SettingKind
from bot.playbook_references import KEYS as REFERENCE_KEYS
from bot.playbook_references import References, read_references

__all__ = [
    "MAX_DOCUMENT_BYTES",
    "Document",
    "DocumentFormat",
    "ImportResult",
    "PlaybookFormatError",
    "PlaybookImportError",
    "References",
    "dump_document",
    "import_playbook",
    "parse_document",
]


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
        | {setting.key for setting in EXPORTED_SETTINGS}
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
    for setting in EXPORTED_SETTINGS:
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


def _read_setting(reader: FieldReader, doc: Mapping[str, Any], setting: ExportedSetting) -> object:
    key = path = setting.key
    match setting.kind:
        case SettingKind.TEXT:
            return reader.text(doc, key, path)
        case SettingKind.FLAG:
            return reader.flag(doc, key, path)
        case SettingKind.SECONDS:
            return reader.whole_number(doc, key, path) or 0
        case SettingKind.CHANNEL_MODE:
            return reader.choice(doc, key, path, ChannelMode, ChannelMode.CREATE_NEW_CHANNEL)
        case SettingKind.RUN_NUMBER_PREFIX:
            return normalize_run_number_prefix(reader.text(doc, key, path))
        case SettingKind.KEYWORDS:
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
