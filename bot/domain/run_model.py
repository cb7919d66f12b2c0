"""The run model: runs, checklists and items as immutable values, and what a change returns.

Its errors are in :mod:`bot.domain.run_errors`, the queries on a run in :mod:`bot.domain.run_queries`,
and building a new run's checklists in :mod:`bot.domain.run_building`. Operations that change a run
live in :mod:`bot.domain.run`, which also re-exports all of these.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.domain.playbook import AssigneeType
from bot.domain.run_errors import InvalidItemStateError
from bot.domain.timeline import TimelineEvent


class ItemState(StrEnum):
    """The state of a checklist item, with the plugin's wire values."""

    OPEN = ""
    IN_PROGRESS = "in_progress"
    CLOSED = "closed"
    SKIPPED = "skipped"

    @classmethod
    def parse(cls, value: object) -> ItemState:
        """The state named by ``value`` (its wire value, or ``"open"`` for the open state), or
        :class:`InvalidItemStateError`."""
        if value == "open":
            return cls.OPEN
        if isinstance(value, str):
            for state in cls:
                if state.value == value:
                    return state
        raise InvalidItemStateError(value)

    @property
    def is_done(self) -> bool:
        """Only a checked (closed) item is done. The plugin counts skipped items as done too, which
        shows a run with nothing checked as partly done; here a skipped item is neither done nor
        outstanding (:attr:`is_outstanding`)."""
        return self is ItemState.CLOSED

    @property
    def is_outstanding(self) -> bool:
        """Open or in progress: work still to do. Skipped items are not."""
        return self in (ItemState.OPEN, ItemState.IN_PROGRESS)


class RunStatus(StrEnum):
    """Whether a run is going on or over."""

    IN_PROGRESS = "in_progress"
    FINISHED = "finished"


# The model ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RunItem:
    """A task in a run's checklist. ``id`` is stable and unique within the run. An item whose
    ``assignee_type`` is ``OWNER`` follows the run's owner when the owner changes."""

    id: str
    title: str
    description: str = ""
    command: str = ""
    assignee_id: str | None = None
    assignee_type: AssigneeType = AssigneeType.SPECIFIC_USER
    due_at: datetime | None = None
    state: ItemState = ItemState.OPEN
    state_modified_at: datetime | None = None
    state_modified_by: str | None = None
    command_last_run_at: datetime | None = None
    revision: int = 0

    def __post_init__(self) -> None:
        # Stored or decoded values may arrive as plain strings; hold the enum so comparisons and
        # properties behave the same whichever way the item was built.
        object.__setattr__(self, "state", ItemState.parse(self.state))
        object.__setattr__(self, "assignee_type", AssigneeType(self.assignee_type))

    @property
    def is_outstanding(self) -> bool:
        """Open or in progress: work still to do."""
        return self.state.is_outstanding


@dataclass(frozen=True, slots=True)
class RunChecklist:
    """A titled section of a run's tasks."""

    id: str
    title: str
    items: tuple[RunItem, ...] = ()


@dataclass(frozen=True, slots=True)
class Run:
    """One execution of a playbook. ``number`` is the per-playbook sequence number and
    ``sequential_id`` its frozen display form (``INC-00042``). ``linked_channel``: the run is in a
    channel its playbook links to, which may hold other runs, so its posts name it."""

    id: str
    number: int
    playbook_id: str
    team_id: str
    name: str
    owner_id: str
    reporter_id: str
    channel_id: str
    created_at: datetime
    summary: str = ""
    sequential_id: str = ""
    participant_ids: tuple[str, ...] = ()
    follower_ids: tuple[str, ...] = ()
    status: RunStatus = RunStatus.IN_PROGRESS
    finished_at: datetime | None = None
    checklists: tuple[RunChecklist, ...] = ()
    revision: int = 0
    linked_channel: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", RunStatus(self.status))

    @property
    def is_finished(self) -> bool:
        return self.status is RunStatus.FINISHED


@dataclass(frozen=True, slots=True)
class RunChange:
    """The result of an operation. ``already`` is true when the run was already as asked, in which
    case ``run`` is the unchanged run and there are no events."""

    run: Run
    events: tuple[TimelineEvent, ...] = ()
    already: bool = False


@dataclass(frozen=True, slots=True)
class ItemRef:
    """An item with its place: 1-based numbers as shown to people, and its checklist."""

    checklist_no: int
    item_no: int
    checklist: RunChecklist
    item: RunItem


@dataclass(frozen=True, slots=True)
class Progress:
    """Task counts. Skipped items are neither done nor outstanding: they are left out of
    :attr:`total`, the tasks that count towards completion, and shown on their own (``0/6 done ·
    1 skipped``), so skipping a task never reads as progress. (The plugin counts them as done.)"""

    open: int
    in_progress: int
    closed: int
    skipped: int

    @property
    def total(self) -> int:
        """The tasks that count: every task but the skipped ones."""
        return self.open + self.in_progress + self.closed

    @property
    def all(self) -> int:
        """Every task, skipped ones included."""
        return self.total + self.skipped

    @property
    def done(self) -> int:
        """Checked tasks."""
        return self.closed

    @property
    def outstanding(self) -> int:
        return self.open + self.in_progress

    @property
    def percent(self) -> int:
        """Whole percent of the counted tasks done, rounded down (0 when none count)."""
        return self.done * 100 // self.total if self.total else 0
