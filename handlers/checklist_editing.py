"""Changing a run's checklists live: ``checkadd``, ``checkedit``, ``checkmove``, ``due``, ``skip``,
``unskip`` and ``checklist add|rename|remove|move``; the *Edit…* button on a task and the task form.

Checklist and task numbers start at 1, as on the checklist posts. Due dates are read in the time
zone of the person's Mattermost profile.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from bot.callback_data import EditTask, TaskForm
from bot.domain.due_dates import EXAMPLES as DUE_EXAMPLES
from bot.domain.due_dates import parse_due
from bot.domain.run import ItemState, Run, find_item, locate, locate_checklist
from bot.render import run_replies, task_forms
from bot.render.buttons import dialog_state
from bot.services import checklist_changes, run_changes
from bot.services.context import Services
from bot.services.run_access import RunAction
from bot.services.run_changes import ItemAt
from bot.services.task_forms import TaskFormInput, form_facts, save_task_form, task_by_id

from .callbacks import ActionRequest, ActionResult, DialogRequest, DialogResult
from .forms import open_run_form
from .registry import Routers
from .replies import SILENT, Reply
from .slash import CommandCall, CommandHandler, UsageError, numbers

GROUP = "Runs"


def register(routers: Routers) -> None:
    """Add the commands, the *Edit…* button and the task form."""

    def command(
        name: str, usage: str, summary: str, *, free_text: bool = False
    ) -> Callable[[CommandHandler], CommandHandler]:
        # Seeing the run is enough here: the services check the change in the transaction.
        return routers.commands.command(
            name, usage, summary, GROUP, needs=RunAction.VIEW, free_text=free_text
        )

    command(
        "checkadd",
        "CHECKLIST [TEXT…]",
        "add a task (quotes kept as typed); without text, a form for its details and due date",
        free_text=True,
    )(checkadd)
    command(
        "checkedit", "CHECKLIST TASK", "edit a task in a form: title, description, command, assignee, due"
    )(checkedit)
    command(
        "checkmove", "CHECKLIST TASK TO-CHECKLIST [POSITION]", "move a task (to the end without position)"
    )(checkmove)
    command(
        "due", "CHECKLIST TASK 2h|tomorrow 17:00|2026-12-24 09:00|none", "set or clear a task's due date"
    )(due)
    command("skip", "CHECKLIST TASK", "skip a task that no longer needs doing")(skip)
    command("unskip", "CHECKLIST TASK", "restore a skipped task")(unskip)
    command(
        "checklist",
        "add TITLE… | rename N TITLE… | remove N | move N POSITION",
        "add, rename, remove or move a checklist",
        free_text=True,
    )(checklist)
    routers.actions.action(EditTask)(on_edit)
    routers.dialogs.dialog(TaskForm, needs=RunAction.VIEW)(on_task_form)


def _task_numbers(call: CommandCall, usage: str, example: str, *, exactly: bool = True) -> tuple[int, int]:
    if len(call.args) < 2 or (exactly and len(call.args) != 2):
        raise UsageError(call.usage(usage, example))
    checklist_no, item_no = numbers(call, call.args[:2], usage, example)
    locate(call.run, checklist_no, item_no)
    return checklist_no, item_no


# Tasks --------------------------------------------------------------------------------------------


async def checkadd(call: CommandCall) -> Reply:
    """``/playbook checkadd C TEXT…`` appends a task titled exactly as typed; ``checkadd C`` alone
    opens the task form."""
    usage, example = "CHECKLIST [TEXT…]", '1 Call "the vendor"'
    if not call.args:
        raise UsageError(call.usage(usage, example))
    (checklist_no,) = numbers(call, call.args[:1], usage, example)
    checklist = locate_checklist(call.run, checklist_no)
    title = call.text_after(1)
    if not title:
        return await _open_form(
            call.services, call.run.id, checklist.id, "", call.user_id, call.request.trigger_id
        )
    result = await run_changes.add_item(
        call.services, call.run.id, checklist_no, title, actor_id=call.user_id
    )
    added = locate_checklist(result.run, checklist_no)
    return Reply(task_forms.task_saved(locate(result.run, checklist_no, len(added.items)), added=True))


async def checkedit(call: CommandCall) -> Reply:
    """``/playbook checkedit C T``: the task form, prefilled."""
    checklist_no, item_no = _task_numbers(call, "CHECKLIST TASK", "1 2")
    ref = locate(call.run, checklist_no, item_no)
    return await _open_form(
        call.services, call.run.id, ref.checklist.id, ref.item.id, call.user_id, call.request.trigger_id
    )


async def checkmove(call: CommandCall) -> Reply:
    """``/playbook checkmove C T TO [POSITION]``."""
    usage, example = "CHECKLIST TASK TO-CHECKLIST [POSITION]", "1 3 2 1"
    if len(call.args) not in (3, 4):
        raise UsageError(call.usage(usage, example))
    given = numbers(call, call.args, usage, example)
    checklist_no, item_no, target_no = given[:3]
    position = given[3] if len(given) == 4 else None
    item_id = locate(call.run, checklist_no, item_no).item.id
    result = await checklist_changes.move_item(
        call.services, call.run.id, ItemAt(checklist_no, item_no), target_no, position, actor_id=call.user_id
    )
    return Reply(task_forms.task_moved(task_by_id(result.run, item_id), already=result.already))


async def due(call: CommandCall) -> Reply:
    """``/playbook due C T WHEN``: WHEN in the person's time zone, or ``none``."""
    usage, example = "CHECKLIST TASK 2h|tomorrow 17:00|2026-12-24 09:00|none", "1 2 tomorrow 17:00"
    checklist_no, item_no = _task_numbers(call, usage, example, exactly=False)
    services: Services = call.services
    zone = await checklist_changes.person_zone(services, call.user_id)
    written = call.text_after(2)
    if not written:
        raise UsageError(f"When is it due? Write {DUE_EXAMPLES}.")
    due_at = parse_due(written, services.clock(), zone)
    result = await checklist_changes.set_item_due(
        services, call.run.id, ItemAt(checklist_no, item_no), due_at, actor_id=call.user_id
    )
    ref = locate(result.run, checklist_no, item_no)
    return Reply(task_forms.due_changed(ref, zone, already=result.already))


async def skip(call: CommandCall) -> Reply:
    """``/playbook skip C T``."""
    return await _set_state(call, ItemState.SKIPPED)


async def unskip(call: CommandCall) -> Reply:
    """``/playbook unskip C T``: a skipped task is open again."""
    ref = locate(call.run, *_task_numbers(call, "CHECKLIST TASK", "1 2"))
    if ref.item.state is not ItemState.SKIPPED:
        return Reply(run_replies.not_skipped(ref))
    return await _set_state(call, ItemState.OPEN)


async def _set_state(call: CommandCall, target: ItemState) -> Reply:
    checklist_no, item_no = _task_numbers(call, "CHECKLIST TASK", "1 2")
    key = ItemAt(checklist_no, item_no)
    result = await run_changes.set_item_state(call.services, call.run.id, key, target, actor_id=call.user_id)
    before = locate(result.before, checklist_no, item_no)
    after = locate(result.run, checklist_no, item_no)
    return Reply(run_replies.item_state_changed(after, before.item.state, already=result.already))


# Checklists -------------------------------------------------------------------------------------


async def checklist(call: CommandCall) -> Reply:
    """``/playbook checklist add|rename|remove|move …``."""
    usage = "add TITLE… | rename N TITLE… | remove N | move N POSITION"
    verb = call.args[0].lower() if call.args else ""
    services: Services = call.services
    run, actor = call.run, call.user_id
    if verb == "add":
        title = call.text_after(1)
        if not title:
            raise UsageError(call.usage("add TITLE…", "add Follow-up"))
        result = await checklist_changes.add_checklist(services, run.id, title, actor_id=actor)
        return Reply(task_forms.checklist_changed(result.run, len(result.run.checklists), "Added"))
    if verb == "rename" and len(call.args) >= 3:
        (number,) = numbers(call, call.args[1:2], usage, "rename 2 Aftercare")
        result = await checklist_changes.rename_checklist(
            services, run.id, number, call.text_after(2), actor_id=actor
        )
        return Reply(task_forms.checklist_changed(result.run, number, "Renamed", already=result.already))
    if verb == "remove" and len(call.args) == 2:
        (number,) = numbers(call, call.args[1:2], usage, "remove 2")
        gone = locate_checklist(run, number)
        result = await checklist_changes.remove_checklist(services, run.id, number, actor_id=actor)
        return Reply(task_forms.checklist_removed(gone.title, len(gone.items)))
    if verb == "move" and len(call.args) == 3:
        number, position = numbers(call, call.args[1:3], usage, "move 3 1")
        result = await checklist_changes.move_checklist(services, run.id, number, position, actor_id=actor)
        return Reply(task_forms.checklist_changed(result.run, position, "Moved", already=result.already))
    raise UsageError(call.usage(usage, "add Follow-up"))


# The task form ----------------------------------------------------------------------------------


async def on_edit(click: ActionRequest, data: EditTask, services: Services) -> ActionResult:
    """*Edit…* on a task: the task form, prefilled."""
    reply = await _open_form(
        services, data.run_id, data.checklist_id, data.item_id, click.user_id, click.trigger_id
    )
    return ActionResult(ephemeral_text=reply.text)


async def _open_form(
    services: Services, run_id: str, checklist_id: str, item_id: str, user_id: str, trigger_id: str
) -> Reply:
    async def load() -> tuple[Run, ZoneInfo]:
        return await form_facts(services, run_id, checklist_id, user_id)

    def build(form: tuple[Run, ZoneInfo]) -> dict[str, Any]:
        run, zone = form
        item = find_item(run, checklist_id, item_id).item if item_id else None
        state = dialog_state(TaskForm(run_id, checklist_id, item_id), services.signer)
        return task_forms.task_dialog(run, checklist_id, item, zone, state)

    command = "checkadd" if not item_id else "checkedit"
    message = await open_run_form(services, trigger_id=trigger_id, command=command, load=load, build=build)
    return Reply(message) if message else SILENT


async def on_task_form(sub: DialogRequest, form: TaskForm, services: Services) -> DialogResult:
    """The task form submitted: add the task, or save the edit (and move it to the chosen checklist)."""
    written = TaskFormInput(
        title=sub.text(task_forms.TITLE_FIELD),
        description=sub.text(task_forms.DESCRIPTION_FIELD),
        command=sub.text(task_forms.COMMAND_FIELD),
        assignee_id=sub.text(task_forms.ASSIGNEE_FIELD) or None,
        due=sub.text(task_forms.DUE_FIELD),
        checklist_id=sub.text(task_forms.CHECKLIST_FIELD),
    )
    await save_task_form(services, sub.run, form, written, actor_id=sub.user_id)
    return DialogResult()
