"""The playbook's settings as keys of Mattermost's playbook export (version 1).

One table, read by :mod:`bot.playbook_format` when importing and by :mod:`bot.playbook_export` when
exporting, so both sides name each key, its kind and its place on the playbook the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, auto

EXPORT_VERSION = 1


class SettingKind(Enum):
    """How a setting's value is read from and written to the file."""

    TEXT = auto()
    FLAG = auto()
    SECONDS = auto()
    CHANNEL_MODE = auto()
    RUN_NUMBER_PREFIX = auto()
    KEYWORDS = auto()


@dataclass(frozen=True, slots=True)
class ExportedSetting:
    """One exported key: its kind, and where it lives on the playbook (``section`` None: on the
    playbook itself, with the key as the attribute name)."""

    key: str
    kind: SettingKind
    section: str | None = None
    attribute: str = ""

    @property
    def attribute_name(self) -> str:
        return self.attribute or self.key


# In the order a YAML document lists them; JSON sorts keys, as the plugin does.
# fmt: off
EXPORTED_SETTINGS = (
    ExportedSetting("description", SettingKind.TEXT),
    ExportedSetting("channel_mode", SettingKind.CHANNEL_MODE, "channel", "mode"),
    ExportedSetting("channel_id", SettingKind.TEXT, "channel"),
    ExportedSetting("channel_name_template", SettingKind.TEXT, "channel"),
    ExportedSetting("new_channel_only", SettingKind.FLAG, "channel"),
    ExportedSetting("run_number_prefix", SettingKind.RUN_NUMBER_PREFIX, "channel"),
    ExportedSetting("run_summary_template_enabled", SettingKind.FLAG, "run_summary", "enabled"),
    ExportedSetting("run_summary_template", SettingKind.TEXT, "run_summary", "template"),
    ExportedSetting("message_on_join_enabled", SettingKind.FLAG, "welcome_message", "enabled"),
    ExportedSetting("message_on_join", SettingKind.TEXT, "welcome_message", "message"),
    ExportedSetting("status_update_enabled", SettingKind.FLAG, "status_updates", "enabled"),
    ExportedSetting("reminder_timer_default_seconds", SettingKind.SECONDS, "status_updates"),
    ExportedSetting("reminder_message_template", SettingKind.TEXT, "status_updates"),
    ExportedSetting("retrospective_enabled", SettingKind.FLAG, "retrospective", "enabled"),
    ExportedSetting("retrospective_reminder_interval_seconds", SettingKind.SECONDS,
             "retrospective", "reminder_interval_seconds"),
    ExportedSetting("retrospective_template", SettingKind.TEXT, "retrospective", "template"),
    ExportedSetting("signal_any_keywords_enabled", SettingKind.FLAG, "keywords", "enabled"),
    ExportedSetting("signal_any_keywords", SettingKind.KEYWORDS, "keywords", "keywords"),
    ExportedSetting("categorize_channel_enabled", SettingKind.FLAG, "category", "enabled"),
    ExportedSetting("category_name", SettingKind.TEXT, "category", "name"),
    ExportedSetting("create_channel_member_on_new_participant", SettingKind.FLAG),
    ExportedSetting("remove_channel_member_on_removed_participant", SettingKind.FLAG),
    ExportedSetting("auto_archive_channel", SettingKind.FLAG),
    ExportedSetting("owner_group_only_actions", SettingKind.FLAG),
)
# fmt: on
