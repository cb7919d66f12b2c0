"""A playbook written as Mattermost's playbook export (version 1): :func:`export_playbook`.

The export leaves out zero values, as the plugin does; the settings that point at a server are
written by :func:`bot.playbook_references.export_references`, with the names of their people and
channels beside the ids. Reading a file back is :mod:`bot.playbook_format`'s concern.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.domain.playbook import ChecklistItemTemplate, Metric, Playbook
from bot.domain.playbook_settings import ChannelMode
from bot.domain.schedules import FileSchedule
from bot.playbook_document import Document
from bot.playbook_keys import EXPORT_VERSION, EXPORTED_SETTINGS, SettingKind
from bot.playbook_references import ExportNames, export_references


def export_playbook(playbook: Playbook, names: ExportNames | None = None) -> Document:
    """The playbook as a version-1 export: exported fields only, zero values left out (as the
    plugin does), ``checklists`` and ``metrics`` always present, ``schedules`` when there are any,
    and the settings that point at this server when set, with the ``names`` of their people and
    channels beside the ids (:func:`bot.playbook_references.export_references`)."""
    doc: Document = {"version": EXPORT_VERSION}
    if playbook.title:
        doc["title"] = playbook.title
    for setting in EXPORTED_SETTINGS:
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


def _exported_value(kind: SettingKind, value: Any) -> object | None:
    """The value as written in an export, or None for a zero value, which exports leave out."""
    if kind is SettingKind.CHANNEL_MODE:
        return None if value is ChannelMode.CREATE_NEW_CHANNEL else str(value.value)
    if kind is SettingKind.KEYWORDS:
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
