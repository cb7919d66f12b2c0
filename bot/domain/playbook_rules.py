"""The rules a playbook must follow: its limits and :func:`validate_playbook`.

Every invariant lives in :func:`validate_playbook`, which names each problem by the field's key in
Mattermost's playbook export (``checklists[0].items[2].title``, ``reminder_timer_default_seconds``),
so one vocabulary serves edit forms and imported files alike. Server-side fields that the export
leaves out keep the plugin's JSON names (``invited_user_ids``, ``broadcast_channel_ids``,
``webhook_on_creation_urls``) or our attribute names (``member_ids``).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from bot.domain.errors import ValidationProblem
from bot.domain.playbook_settings import ChannelMode, RunChannelSettings
from bot.domain.schedules import MAX_PLAYBOOK_SCHEDULES, FileSchedule, ScheduleError, time_zone

if TYPE_CHECKING:
    # Only for annotations: the playbook module calls validate_playbook at run time.
    from bot.domain.playbook import ChecklistItemTemplate, ChecklistTemplate, Metric, Playbook

# Limits. Where the plugin enforces one we use its value; the counts of checklists and items are
# ours (the plugin only caps the checklists' serialized size, at 256 KiB).
MAX_TITLE_LENGTH = 1024
MAX_DESCRIPTION_LENGTH = 4096
MAX_RUN_SUMMARY_TEMPLATE_LENGTH = 4096
MAX_MESSAGE_LENGTH = 16383  # a Mattermost post: welcome message, reminder and retrospective templates
MAX_CHECKLISTS = 50
MAX_ITEMS_PER_CHECKLIST = 200
MAX_ITEM_TITLE_LENGTH = 1024
MAX_ITEM_DESCRIPTION_LENGTH = 4000
MAX_COMMAND_LENGTH = 1024
MAX_METRICS = 4
MAX_METRIC_TITLE_LENGTH = 512
MAX_METRIC_DESCRIPTION_LENGTH = 4096
MAX_METRIC_TARGET = 2**63 - 1
MAX_WEBHOOK_URLS = 64
MAX_CATEGORY_NAME_BYTES = 22
MAX_RUN_NUMBER_PREFIX_LENGTH = 32
MAX_CHANNEL_NAME_TEMPLATE_LENGTH = 1024
# Longest reminder interval or relative due date; keeps "start + offset" far inside datetime's range.
MAX_INTERVAL = timedelta(days=3660)
# Cron lines are checked for their shortest gap from a fixed moment, so validation stays pure.
_SCHEDULES_CHECKED_FROM = datetime(2026, 1, 1, tzinfo=UTC)

_RUN_NUMBER_PREFIX = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?")
NON_EMPTY = "must be a non-empty string"


class _Problems:
    """Collects problems; each check method names the field it is given."""

    def __init__(self) -> None:
        self.found: list[ValidationProblem] = []

    def add(self, field_path: str, message: str) -> None:
        self.found.append(ValidationProblem(field_path, message))

    def text(self, field_path: str, value: str, max_length: int, *, required: bool = False) -> None:
        if required and not value.strip():
            self.add(field_path, NON_EMPTY)
        elif len(value) > max_length:
            self.add(field_path, f"must be at most {max_length} characters (it has {len(value)})")

    def ids(self, field_path: str, ids: tuple[str, ...]) -> None:
        for index, value in enumerate(ids):
            if not value.strip():
                self.add(f"{field_path}[{index}]", "must be a non-empty id")

    def seconds(self, field_path: str, seconds: int) -> None:
        if seconds < 0:
            self.add(field_path, "must not be negative")
        elif seconds > MAX_INTERVAL.total_seconds():
            self.add(field_path, f"must be at most {MAX_INTERVAL.days} days")

    def urls(self, field_path: str, urls: tuple[str, ...]) -> None:
        if len(urls) > MAX_WEBHOOK_URLS:
            self.add(field_path, f"must list at most {MAX_WEBHOOK_URLS} URLs")
        for index, url in enumerate(urls):
            if not _is_http_url(url):
                self.add(f"{field_path}[{index}]", "must be an http:// or https:// URL with a host")


def _is_http_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
        has_space = any(character.isspace() for character in url)
        return parts.scheme in ("http", "https") and bool(parts.hostname) and not has_space
    except ValueError:  # e.g. an invalid port or bracketed host
        return False


def validate_playbook(playbook: Playbook) -> list[ValidationProblem]:
    """Every rule a playbook must follow, checked at once; an empty list means valid."""
    check = _Problems()
    check.text("title", playbook.title, MAX_TITLE_LENGTH, required=True)
    check.text("description", playbook.description, MAX_DESCRIPTION_LENGTH)
    if not playbook.team_id.strip():
        check.add("team_id", "must name the playbook's team")
    check.ids("member_ids", playbook.member_ids)
    check.ids("admin_ids", playbook.admin_ids)
    if any(admin not in playbook.member_ids for admin in playbook.admin_ids):
        check.add("admin_ids", "every admin must also be a member")
    _check_checklists(check, playbook.checklists)
    _check_channel(check, playbook.channel)
    if playbook.default_owner.enabled and not playbook.default_owner.user_id.strip():
        check.add("default_owner_id", "must name a user when the default owner is enabled")
    check.ids("invited_user_ids", playbook.invites.user_ids)
    check.ids("invited_group_ids", playbook.invites.group_ids)
    check.text("message_on_join", playbook.welcome_message.message, MAX_MESSAGE_LENGTH)
    check.text("run_summary_template", playbook.run_summary.template, MAX_RUN_SUMMARY_TEMPLATE_LENGTH)
    updates = playbook.status_updates
    check.seconds("reminder_timer_default_seconds", updates.reminder_timer_default_seconds)
    check.text("reminder_message_template", updates.reminder_message_template, MAX_MESSAGE_LENGTH)
    check.ids("broadcast_channel_ids", updates.broadcast_channel_ids)
    check.urls("webhook_on_status_update_urls", updates.webhooks.urls)
    check.urls("webhook_on_creation_urls", playbook.creation_webhooks.urls)
    _check_keywords(check, playbook.keywords.keywords)
    check.text("retrospective_template", playbook.retrospective.template, MAX_MESSAGE_LENGTH)
    check.seconds("retrospective_reminder_interval_seconds", playbook.retrospective.reminder_interval_seconds)
    _check_metrics(check, playbook.metrics)
    category_bytes = len(playbook.category.name.encode())
    if category_bytes > MAX_CATEGORY_NAME_BYTES:
        check.add(
            "category_name", f"must be at most {MAX_CATEGORY_NAME_BYTES} bytes (it has {category_bytes})"
        )
    if playbook.category.enabled and not playbook.category.name.strip():
        check.add("category_name", "must be set when categorize_channel_enabled is on")
    _check_schedules(check, playbook.schedules)
    return check.found


def _check_checklists(check: _Problems, checklists: tuple[ChecklistTemplate, ...]) -> None:
    if len(checklists) > MAX_CHECKLISTS:
        check.add("checklists", f"must hold at most {MAX_CHECKLISTS} checklists (it has {len(checklists)})")
    for index, checklist in enumerate(checklists):
        path = f"checklists[{index}]"
        check.text(f"{path}.title", checklist.title, MAX_TITLE_LENGTH, required=True)
        if len(checklist.items) > MAX_ITEMS_PER_CHECKLIST:
            check.add(f"{path}.items", f"must hold at most {MAX_ITEMS_PER_CHECKLIST} tasks")
        for item_index, item in enumerate(checklist.items):
            _check_item(check, f"{path}.items[{item_index}]", item)


def _check_item(check: _Problems, path: str, item: ChecklistItemTemplate) -> None:
    check.text(f"{path}.title", item.title, MAX_ITEM_TITLE_LENGTH, required=True)
    check.text(f"{path}.description", item.description, MAX_ITEM_DESCRIPTION_LENGTH)
    check.text(f"{path}.command", item.command, MAX_COMMAND_LENGTH)
    if item.command and not item.command.startswith("/"):
        check.add(f"{path}.command", "must be a slash command starting with /")
    if item.due_after is not None:
        if item.due_after <= timedelta(0):
            check.add(f"{path}.due_date", "must be a positive time after the run starts")
        elif item.due_after > MAX_INTERVAL:
            check.add(f"{path}.due_date", f"must be at most {MAX_INTERVAL.days} days after the run starts")


def _check_channel(check: _Problems, channel: RunChannelSettings) -> None:
    template = channel.channel_name_template
    if template and not template.strip():
        check.add("channel_name_template", "must not be only whitespace")
    check.text("channel_name_template", template, MAX_CHANNEL_NAME_TEMPLATE_LENGTH)
    if channel.mode is ChannelMode.LINK_EXISTING_CHANNEL:
        if channel.new_channel_only:
            check.add("new_channel_only", "cannot be on when channel_mode links an existing channel")
        if not channel.channel_id.strip():
            check.add(
                "channel_id", "must name the channel to link when channel_mode is link_existing_channel"
            )
    prefix = channel.run_number_prefix
    if prefix and not _RUN_NUMBER_PREFIX.fullmatch(prefix):
        check.add(
            "run_number_prefix",
            "must be letters A-Z and digits, with hyphens only between them (e.g. INC or SEC-OPS)",
        )
    elif len(prefix) > MAX_RUN_NUMBER_PREFIX_LENGTH:
        check.add("run_number_prefix", f"must be at most {MAX_RUN_NUMBER_PREFIX_LENGTH} characters")


def _check_keywords(check: _Problems, keywords: tuple[str, ...]) -> None:
    seen: set[str] = set()
    for index, keyword in enumerate(keywords):
        if not keyword.strip():
            check.add(f"signal_any_keywords[{index}]", NON_EMPTY)
        elif keyword in seen:
            check.add(f"signal_any_keywords[{index}]", f"repeats the keyword {keyword!r}")
        seen.add(keyword)


def _check_metrics(check: _Problems, metrics: tuple[Metric, ...]) -> None:
    if len(metrics) > MAX_METRICS:
        check.add("metrics", f"must hold at most {MAX_METRICS} metrics (it has {len(metrics)})")
    seen: set[str] = set()
    for index, metric in enumerate(metrics):
        path = f"metrics[{index}]"
        check.text(f"{path}.title", metric.title, MAX_METRIC_TITLE_LENGTH, required=True)
        if metric.title.strip() and metric.title in seen:
            check.add(f"{path}.title", f"repeats the metric title {metric.title!r}; titles must be unique")
        seen.add(metric.title)
        check.text(f"{path}.description", metric.description, MAX_METRIC_DESCRIPTION_LENGTH)
        if metric.target is not None and not 0 <= metric.target <= MAX_METRIC_TARGET:
            check.add(f"{path}.target", "must be a non-negative whole number")


def _check_schedules(check: _Problems, schedules: tuple[FileSchedule, ...]) -> None:
    if len(schedules) > MAX_PLAYBOOK_SCHEDULES:
        check.add(
            "schedules", f"must hold at most {MAX_PLAYBOOK_SCHEDULES} schedules (it has {len(schedules)})"
        )
    seen: dict[tuple[str, str], int] = {}
    for index, schedule in enumerate(schedules):
        path = f"schedules[{index}]"
        try:
            zone = time_zone(schedule.timezone)
        except ScheduleError as error:
            check.add(f"{path}.timezone", error.message)
            continue
        try:
            recurrence = schedule.recurrence(zone, _SCHEDULES_CHECKED_FROM)
        except ScheduleError as error:
            check.add(f"{path}.{schedule.written_as}" if schedule.written_as else path, error.message)
            continue
        same = seen.setdefault((recurrence.spec, schedule.timezone), index)
        if same != index:
            check.add(path, f"repeats schedules[{same}]; each would start its own run")
