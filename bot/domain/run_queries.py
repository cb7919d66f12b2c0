"""Reading a run: its tasks in order, its progress, what is overdue or whose, and the checklist or
task a person or a button means."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime

from bot.domain.run_errors import NoSuchChecklistError, NoSuchItemError
from bot.domain.run_model import ItemRef, ItemState, Progress, Run, RunChecklist, RunItem


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
