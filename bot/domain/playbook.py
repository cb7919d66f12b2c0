"""The playbook: a team's source copy of a process.

Playbooks are immutable values; edit one with :meth:`Playbook.edited` (or ``dataclasses.replace``
followed by :func:`~bot.domain.playbook_rules.validate_playbook`, where every rule lives). Its run
settings are in :mod:`bot.domain.playbook_settings`, who may use it in :mod:`bot.domain.playbook_access`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from bot.domain.errors import DomainError, ValidationProblem
from bot.domain.playbook_rules import validate_playbook
from bot.domain.playbook_settings import (
    CategorySettings,
    DefaultOwnerSettings,
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
