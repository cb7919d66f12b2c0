"""The playbook: a team's source copy of a process, and the rules it must follow.

Playbooks are immutable values; edit one with :meth:`Playbook.edited` (or ``dataclasses.replace``
followed by :func:`validate_playbook`). Every invariant lives in :func:`validate_playbook`, which
names each problem by the field's key in Mattermost's playbook export (``checklists[0].items[2].title``,
``reminder_timer_default_seconds``), so one vocabulary serves edit forms and imported files alike.
Server-side fields that the export leaves out keep the plugin's JSON names (``invited_user_ids``,
``broadcast_channel_ids``, ``webhook_on_creation_urls``) or our attribute names (``member_ids``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from bot.domain.errors import DomainError, ValidationProblem
from bot.domain.schedules import MAX_PLAYBOOK_SCHEDULES, FileSchedule, ScheduleError, time_zone

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


class ChannelMode(StrEnum):
    """Whether each run gets a new channel or uses an existing one."""

    CREATE_NEW_CHANNEL = "create_new_channel"
    LINK_EXISTING_CHANNEL = "link_existing_channel"


class MetricType(StrEnum):
    """How a key metric's values are entered and shown (durations are in milliseconds)."""

    DURATION = "metric_duration"
    CURRENCY = "metric_currency"
    INTEGER = "metric_integer"


class AssigneeType(StrEnum):
    """Who a template task goes to when a run starts: a specific user, or a role resolved then."""

    SPECIFIC_USER = ""
    OWNER = "owner"
    CREATOR = "creator"


@dataclass(frozen=True, slots=True)
class ChecklistItemTemplate:
    """A task as written in the playbook. ``due_after`` is relative to the run's start."""

    title: str
    description: str = ""
    command: str = ""
    assignee_id: str = ""
    due_after: timedelta | None = None
    assignee_type: AssigneeType = AssigneeType.SPECIFIC_USER


@dataclass(frozen=True, slots=True)
class ChecklistTemplate:
    """A titled section of tasks, copied into every run."""

    title: str
    items: tuple[ChecklistItemTemplate, ...] = ()


@dataclass(frozen=True, slots=True)
class Metric:
    """A key metric entered in each run's retrospective; ``target`` is optional."""

    title: str
    description: str
    type: MetricType
    target: int | None = None


@dataclass(frozen=True, slots=True)
class RunChannelSettings:
    """Where runs talk: a new channel per run (named from the template), or a linked channel."""

    mode: ChannelMode = ChannelMode.CREATE_NEW_CHANNEL
    channel_id: str = ""
    create_public_channel: bool = False
    channel_name_template: str = ""
    new_channel_only: bool = False
    run_number_prefix: str = ""


@dataclass(frozen=True, slots=True)
class DefaultOwnerSettings:
    """The owner given to every new run instead of the person who starts it."""

    user_id: str = ""
    enabled: bool = False


@dataclass(frozen=True, slots=True)
class InviteSettings:
    """Users and groups made participants when a run starts."""

    user_ids: tuple[str, ...] = ()
    group_ids: tuple[str, ...] = ()
    enabled: bool = False


@dataclass(frozen=True, slots=True)
class WelcomeMessageSettings:
    """Posted when a run starts and shown to each person who joins its channel later."""

    message: str = ""
    enabled: bool = False


@dataclass(frozen=True, slots=True)
class RunSummarySettings:
    """The initial summary of each run."""

    template: str = ""
    enabled: bool = False


@dataclass(frozen=True, slots=True)
class WebhookSettings:
    """Outgoing webhooks: the run as JSON, POSTed to each URL."""

    urls: tuple[str, ...] = ()
    enabled: bool = False


@dataclass(frozen=True, slots=True)
class StatusUpdateSettings:
    """Status updates: the reminder, the prefilled text, and where updates also go."""

    enabled: bool = False
    reminder_timer_default_seconds: int = 0
    reminder_message_template: str = ""
    broadcast_channel_ids: tuple[str, ...] = ()
    broadcast_enabled: bool = False
    webhooks: WebhookSettings = field(default_factory=WebhookSettings)


@dataclass(frozen=True, slots=True)
class KeywordSettings:
    """Keywords that, posted in a monitored channel, suggest running this playbook."""

    keywords: tuple[str, ...] = ()
    enabled: bool = False


@dataclass(frozen=True, slots=True)
class RetrospectiveSettings:
    """The retrospective after a run; a reminder interval of 0 reminds once."""

    enabled: bool = False
    template: str = ""
    reminder_interval_seconds: int = 0


@dataclass(frozen=True, slots=True)
class CategorySettings:
    """The sidebar category the run channel is put into."""

    enabled: bool = False
    name: str = ""


@dataclass(frozen=True, slots=True)
class Playbook:
    """A playbook. An empty ``id`` means one not stored yet; private unless ``public``."""

    id: str
    team_id: str
    title: str
    description: str = ""
    public: bool = False
    member_ids: tuple[str, ...] = ()
    admin_ids: tuple[str, ...] = ()
    checklists: tuple[ChecklistTemplate, ...] = ()
    channel: RunChannelSettings = field(default_factory=RunChannelSettings)
    default_owner: DefaultOwnerSettings = field(default_factory=DefaultOwnerSettings)
    invites: InviteSettings = field(default_factory=InviteSettings)
    welcome_message: WelcomeMessageSettings = field(default_factory=WelcomeMessageSettings)
    run_summary: RunSummarySettings = field(default_factory=RunSummarySettings)
    status_updates: StatusUpdateSettings = field(default_factory=StatusUpdateSettings)
    creation_webhooks: WebhookSettings = field(default_factory=WebhookSettings)
    keywords: KeywordSettings = field(default_factory=KeywordSettings)
    retrospective: RetrospectiveSettings = field(default_factory=RetrospectiveSettings)
    metrics: tuple[Metric, ...] = ()
    category: CategorySettings = field(default_factory=CategorySettings)
    create_channel_member_on_new_participant: bool = False
    remove_channel_member_on_removed_participant: bool = False
    auto_archive_channel: bool = False
    owner_group_only_actions: bool = False
    schedules: tuple[FileSchedule, ...] = ()
    """Recurring runs written in the playbook's file; importing it makes them run schedules."""
    archived_at: datetime | None = None
    """When the playbook was archived: it starts no runs and is left out of lists; None while live."""

    @classmethod
    def checked(cls, id: str, team_id: str, title: str, **fields: Any) -> Playbook:
        """Build a playbook, raising :class:`InvalidPlaybookError` if it breaks any rule."""
        return cls(id, team_id, title, **fields).validated()

    def validated(self) -> Playbook:
        """This playbook, or :class:`InvalidPlaybookError` naming every rule it breaks."""
        problems = validate_playbook(self)
        if problems:
            raise InvalidPlaybookError(problems)
        return self

    def edited(self, **changes: Any) -> Playbook:
        """A copy with ``changes`` applied, raising :class:`InvalidPlaybookError` if it breaks any rule."""
        return replace(self, **changes).validated()

    @property
    def archived(self) -> bool:
        """Whether the playbook is archived (kept for its runs, but starts no new ones)."""
        return self.archived_at is not None

    @property
    def item_count(self) -> int:
        """The number of tasks across all checklists."""
        return sum(len(checklist.items) for checklist in self.checklists)


class InvalidPlaybookError(DomainError):
    """A playbook that breaks one or more rules; ``problems`` names each."""

    def __init__(self, problems: Iterable[ValidationProblem]) -> None:
        self.problems = tuple(problems)
        listed = "\n".join(f"- {problem}" for problem in self.problems)
        super().__init__(f"The playbook is not valid:\n{listed}")


def normalize_run_number_prefix(prefix: str) -> str:
    """The prefix as the plugin stores it: surrounding spaces and outer hyphens removed."""
    return prefix.strip().strip("-").strip()


# Validation -----------------------------------------------------------------------------------


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


# Permissions ----------------------------------------------------------------------------------


def can_view(playbook: Playbook, user_id: str, *, is_team_member: bool, is_system_admin: bool) -> bool:
    """Whether the user may see (and export) the playbook.

    System admins see everything. Everyone else must be on the playbook's team; there, public
    playbooks are visible to all and private ones to their members.
    """
    if is_system_admin:
        return True
    if not is_team_member:
        return False
    return playbook.public or user_id in playbook.member_ids or user_id in playbook.admin_ids


def can_run(playbook: Playbook, user_id: str, *, is_team_member: bool, is_system_admin: bool) -> bool:
    """Whether the user may start a run: everyone who may view it (team members of a public
    playbook, members of a private one, system admins)."""
    return can_view(playbook, user_id, is_team_member=is_team_member, is_system_admin=is_system_admin)


def can_edit(playbook: Playbook, user_id: str, *, is_team_member: bool, is_system_admin: bool) -> bool:
    """Whether the user may change, archive or delete the playbook: its admins who are still on
    its team, and system admins."""
    if is_system_admin:
        return True
    return is_team_member and user_id in playbook.admin_ids
