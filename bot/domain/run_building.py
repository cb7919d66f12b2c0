"""Building a new run's checklists from its playbook's: :func:`new_run_checklists`."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from bot.domain.playbook import AssigneeType
from bot.domain.run_model import RunChecklist, RunItem


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
