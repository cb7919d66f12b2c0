"""The run model: runs, checklists and items as immutable values, their errors, and queries.

Operations that change a run live in :mod:`bot.domain.run`, which also re-exports everything here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from bot.domain.errors import DomainError
from bot.domain.playbook import AssigneeType
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


# Errors ---------------------------------------------------------------------------------------


class RunError(DomainError):
    """A run operation that cannot be done; ``message`` says why, for the person who asked."""


class InvalidItemStateError(RunError):
    def __init__(self, value: object) -> None:
        shown = value if isinstance(value, str) and len(value) <= 40 else "?"
        super().__init__(f"“{shown}” is not a task state; use open, in_progress, closed or skipped.")


class RunFinishedError(RunError):
    def __init__(self) -> None:
        super().__init__("This run is finished. Restore it before changing it.")


class RunAlreadyFinishedError(RunError):
    def __init__(self) -> None:
        super().__init__("This run is already finished.")


class RunNotFinishedError(RunError):
    def __init__(self) -> None:
        super().__init__("This run is still in progress; there is nothing to restore.")


class FinishNeedsConfirmationError(RunError):
    """Finishing would leave tasks outstanding; ask, then call again with ``confirmed=True``."""

    def __init__(self, run_name: str, outstanding: int) -> None:
        self.outstanding = outstanding
        tasks = (
            "is **1 outstanding task**" if outstanding == 1 else f"are **{outstanding} outstanding tasks**"
        )
        super().__init__(f"There {tasks}. Are you sure you want to finish *{run_name}* for all participants?")


class NoSuchChecklistError(RunError):
    pass


class NoSuchItemError(RunError):
    pass


class StaleClickError(RunError):
    def __init__(self, title: str) -> None:
        super().__init__(f"“{title}” changed since this message was posted, so nothing was done. Try again.")


class InvalidChangeError(RunError):
    """A change whose input is not acceptable (blank title, no command, removing the owner…)."""


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


# Building runs --------------------------------------------------------------------------------


class ItemSource(Protocol):
    """What a playbook item must offer to be copied into a run."""

    @property
    def title(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def command(self) -> str: ...
    @property
    def assignee_id(self) -> str | None: ...
    @property
    def assignee_type(self) -> str:
        """``""`` for a specific user, ``"owner"`` or ``"creator"`` for a role resolved at start."""
        ...

    @property
    def due_after(self) -> timedelta | None: ...


class ChecklistSource(Protocol):
    """What a playbook checklist must offer to be copied into a run."""

    @property
    def title(self) -> str: ...
    @property
    def items(self) -> Sequence[ItemSource]: ...


def new_run_checklists(
    templates: Iterable[ChecklistSource],
    started_at: datetime,
    new_id: Callable[[], str],
    *,
    owner_id: str = "",
    reporter_id: str = "",
) -> tuple[RunChecklist, ...]:
    """Copy a playbook's checklists into a new run.

    Relative due dates resolve against ``started_at``; items assigned to a role go to the run's
    ``owner_id`` or ``reporter_id``. ``new_id`` supplies checklist and item ids; an empty or
    repeated id is a programming error (``ValueError``).
    """
    seen: set[str] = set()

    def fresh_id() -> str:
        value = new_id()
        if not value or value in seen:
            raise ValueError(f"id factory returned an empty or repeated id: {value!r}")
        seen.add(value)
        return value

    def copy(item: ItemSource) -> RunItem:
        role = AssigneeType(item.assignee_type)
        assignee = {AssigneeType.OWNER: owner_id, AssigneeType.CREATOR: reporter_id}.get(
            role, item.assignee_id
        )
        return RunItem(
            id=fresh_id(),
            title=item.title,
            description=item.description,
            command=item.command,
            assignee_id=assignee or None,
            assignee_type=role,
            due_at=None if item.due_after is None else started_at + item.due_after,
        )

    return tuple(
        RunChecklist(id=fresh_id(), title=template.title, items=tuple(copy(item) for item in template.items))
        for template in templates
    )


# Queries ----------------------------------------------------------------------------------------


def iter_items(run: Run) -> Iterator[ItemRef]:
    """Every item of the run in order, with its 1-based numbers."""
    for checklist_no, checklist in enumerate(run.checklists, start=1):
        for item_no, item in enumerate(checklist.items, start=1):
            yield ItemRef(checklist_no, item_no, checklist, item)


def progress(run: Run) -> Progress:
    """How far the run's tasks are."""
    return count_items(ref.item for ref in iter_items(run))


def count_items(items: Iterable[RunItem]) -> Progress:
    """How far ``items`` (one checklist's, say) are."""
    states = [item.state for item in items]
    return Progress(
        open=states.count(ItemState.OPEN),
        in_progress=states.count(ItemState.IN_PROGRESS),
        closed=states.count(ItemState.CLOSED),
        skipped=states.count(ItemState.SKIPPED),
    )


def is_overdue(item: RunItem, at: datetime) -> bool:
    """An outstanding task whose due time has come at ``at`` (its due instant included, so the job
    that fires at the due time finds it overdue)."""
    return item.is_outstanding and item.due_at is not None and item.due_at <= at


def overdue_items(run: Run, at: datetime) -> tuple[ItemRef, ...]:
    """Outstanding items whose due time has come at ``at``; none for a finished run."""
    if run.is_finished:
        return ()
    return tuple(ref for ref in iter_items(run) if is_overdue(ref.item, at))


def open_items_for(run: Run, user_id: str) -> tuple[ItemRef, ...]:
    """Outstanding items assigned to ``user_id``; none for a finished run."""
    if run.is_finished or not user_id:
        return ()
    return tuple(
        ref for ref in iter_items(run) if ref.item.is_outstanding and ref.item.assignee_id == user_id
    )


def locate_checklist(run: Run, checklist_no: int) -> RunChecklist:
    """The checklist a person means by its 1-based number."""
    count = len(run.checklists)
    if count == 0:
        raise NoSuchChecklistError("This run has no checklists.")
    if checklist_no < 1:
        raise NoSuchChecklistError(
            f"Checklist numbers start at 1; this run has {_plural(count, 'checklist')}."
        )
    if checklist_no > count:
        raise NoSuchChecklistError(f"There is no checklist {checklist_no}; this run has {count}.")
    return run.checklists[checklist_no - 1]


def locate(run: Run, checklist_no: int, item_no: int) -> ItemRef:
    """The item a person means by 1-based checklist and item numbers."""
    checklist = locate_checklist(run, checklist_no)
    count = len(checklist.items)
    where = f"Checklist {checklist_no} (“{checklist.title}”)"
    if count == 0:
        raise NoSuchItemError(f"{where} has no tasks.")
    if item_no < 1:
        raise NoSuchItemError(f"Task numbers start at 1; {where} has {_plural(count, 'task')}.")
    if item_no > count:
        raise NoSuchItemError(f"{where} has no task {item_no}; it has {count}.")
    return ItemRef(checklist_no, item_no, checklist, checklist.items[item_no - 1])


def find_item(run: Run, checklist_id: str, item_id: str) -> ItemRef:
    """The item with these ids, wherever it now stands."""
    for checklist_no, checklist in enumerate(run.checklists, start=1):
        if checklist.id != checklist_id:
            continue
        for item_no, item in enumerate(checklist.items, start=1):
            if item.id == item_id:
                return ItemRef(checklist_no, item_no, checklist, item)
    raise NoSuchItemError("That task is no longer in this run; it may have been removed.")


def find_checklist(run: Run, checklist_id: str) -> tuple[int, RunChecklist]:
    """The 1-based number and the checklist with this id."""
    for checklist_no, checklist in enumerate(run.checklists, start=1):
        if checklist.id == checklist_id:
            return checklist_no, checklist
    raise NoSuchChecklistError("That checklist is no longer in this run; it may have been removed.")


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
