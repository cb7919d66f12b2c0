"""The task form of a run: the facts it opens with, and its submission saved as an added task or
an edit (with a move to another checklist).

The rules of a submission live here rather than in the handler: fields are checked together (one
message under each wrong field), the due time is read in the person's time zone with the shown
time kept when untouched, and the task is edited where it stands now.
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.callback_data import TaskForm
from bot.domain.due_dates import DueDateError, due_from_form
from bot.domain.errors import FormFieldsError
from bot.domain.run import InvalidChangeError, ItemRef, Run, find_checklist
from bot.domain.run_checklists import TaskEdit, task_anywhere, task_text_problems
from bot.render import task_forms as fields
from bot.services import checklist_changes, run_changes
from bot.services.context import Services
from bot.services.run_access import RunAction, load_run
from bot.services.run_changes import ItemWithId


@dataclass(frozen=True)
class TaskFormInput:
    """The task form as submitted, each field stripped; ``checklist_id`` is the chosen checklist
    (empty when the form offered no choice)."""

    title: str
    description: str
    command: str
    assignee_id: str | None
    due: str
    checklist_id: str


async def form_facts(
    services: Services, run_id: str, checklist_id: str, user_id: str
) -> tuple[Run, ZoneInfo]:
    """The run (the person must be allowed to change it, and the checklist still there) and the
    person's time zone, to open the task form with."""
    run = await load_run(services, run_id, user_id, RunAction.CHANGE)
    find_checklist(run, checklist_id)
    return run, await checklist_changes.person_zone(services, user_id)


def task_by_id(run: Run, item_id: str) -> ItemRef:
    """The task with this id wherever it stands now, or a refusal when it is gone."""
    found = task_anywhere(run, item_id)
    if found is None:
        raise InvalidChangeError("That task is no longer in this run.")
    return found


async def save_task_form(
    services: Services, run: Run, form: TaskForm, written: TaskFormInput, *, actor_id: str
) -> None:
    """Add the task (no ``form.item_id``) or save the edit, moving the task only when the person
    chose another checklist than the form showed. Wrong fields raise :class:`FormFieldsError`."""
    errors = task_text_problems(written.title, written.description, written.command)
    zone = await checklist_changes.person_zone(services, actor_id)
    shown = task_by_id(run, form.item_id).item.due_at if form.item_id else None
    due_at = None
    try:
        due_at = due_from_form(written.due, shown, services.clock(), zone)
    except DueDateError as error:
        errors[fields.DUE_FIELD] = error.message
    if errors:
        raise FormFieldsError(errors=errors)
    target = written.checklist_id or form.checklist_id
    if not form.item_id:
        checklist_no, _ = find_checklist(run, target)
        await run_changes.add_item(
            services,
            run.id,
            checklist_no,
            written.title,
            actor_id=actor_id,
            description=written.description,
            command=written.command,
            assignee_id=written.assignee_id,
            due_at=due_at,
        )
        return
    edit = TaskEdit(written.title, written.description, written.command, written.assignee_id, due_at)
    # The task may have moved since the form opened: it is edited where it is now.
    key = ItemWithId(task_by_id(run, form.item_id).checklist.id, form.item_id)
    move_to = target if target != form.checklist_id else ""
    await checklist_changes.edit_item(services, run.id, key, edit, actor_id=actor_id, to_checklist_id=move_to)
