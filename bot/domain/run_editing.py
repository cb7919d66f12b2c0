"""The building blocks of run operations: copies of a run or item with their revision moved on.

Every change to a run makes a new ``Run`` with ``revision + 1`` (storage compares it when saving);
every change to one item also moves the item's own ``revision`` on, which is what a button signed
with it is checked against. A finished run refuses changes until it is restored.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.domain.run_errors import InvalidChangeError, RunFinishedError
from bot.domain.run_model import ItemRef, Run, RunChecklist, RunItem


def require_active(run: Run) -> None:
    """Raise :class:`RunFinishedError` when ``run`` is finished."""
    if run.is_finished:
        raise RunFinishedError()


def revise(run: Run, **changes: Any) -> Run:
    """``run`` with ``changes`` applied and its revision moved on."""
    return replace(run, revision=run.revision + 1, **changes)


def revise_item(item: RunItem, **changes: Any) -> RunItem:
    """``item`` with ``changes`` applied and its revision moved on."""
    return replace(item, revision=item.revision + 1, **changes)


def put_checklist(run: Run, checklist_no: int, checklist: RunChecklist) -> Run:
    """The run (revised) with its checklist numbered ``checklist_no`` (1-based) replaced."""
    checklists = list(run.checklists)
    checklists[checklist_no - 1] = checklist
    return revise(run, checklists=tuple(checklists))


def put_item(run: Run, ref: ItemRef, item: RunItem) -> Run:
    """The run (revised) with the item ``ref`` points at replaced by ``item``."""
    items = list(ref.checklist.items)
    items[ref.item_no - 1] = item
    return put_checklist(run, ref.checklist_no, replace(ref.checklist, items=tuple(items)))


def clean_title(title: str, limit: int, noun: str) -> str:
    """``title`` on one line, trimmed; :class:`InvalidChangeError` when blank or longer than ``limit``
    (``noun`` names what it titles: ``task``, ``checklist``)."""
    clean = " ".join(title.split())
    if not clean:
        raise InvalidChangeError(f"A {noun} needs a title.")
    if len(clean) > limit:
        raise InvalidChangeError(f"A {noun} title can be at most {limit} characters.")
    return clean
