"""Checklists as text: one task per line, as people type them in an edit form.

The grammar, per line (parts after the title are separated by two or more spaces, in any order)::

    ## Triage                                  a checklist's title (the all-checklists form)
    - Page the DBA  /page dba  @oncall  +15m  a task: title, command, assignee, due time
        Call the primary first.               an indented line: the task's description

* the leading ``-`` (or ``*``, or ``[ ]``) is optional;
* ``/command args`` is the task's slash command;
* ``@username`` assigns the task to that person; ``@owner`` and ``@creator`` to the run's owner or
  the person who started it;
* ``+15m`` is the due time after the run starts: ``w``, ``d``, ``h`` and ``m``, combinable (``+1d12h``).

:func:`format_tasks` writes what :func:`parse_tasks` reads, so a form filled with the current
tasks and submitted unchanged changes nothing. People's names are resolved by the caller: this
module is pure, and a task line names assignees by username (:class:`TaskLine`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from bot.domain.errors import DomainError
from bot.domain.playbook import AssigneeType, ChecklistItemTemplate, ChecklistTemplate
from bot.domain.spans import read_span, write_span

HEADER = "## "
ROLE_ASSIGNEES = ("owner", "creator")
_SEPARATOR = re.compile(r"\s{2,}|\t+")
_BULLET = re.compile(r"^(?:[-*]|\[ ?\])\s+")
_USERNAME = re.compile(r"^[a-z0-9.\-_]{1,64}$")
_DESCRIPTION_INDENT = "    "


class TaskLineError(DomainError):
    """A line that does not read as a task; ``line`` is its number, from 1."""

    def __init__(self, line: int, message: str) -> None:
        self.line = line
        super().__init__(f"Line {line}: {message}")


@dataclass(frozen=True, slots=True)
class TaskLine:
    """A task as written: ``assignee`` is a username, ``owner`` or ``creator``, or empty."""

    title: str
    command: str = ""
    assignee: str = ""
    due_after: timedelta | None = None
    description: str = ""


@dataclass(frozen=True, slots=True)
class ChecklistText:
    """A checklist as written in the all-checklists form: its title and its tasks."""

    title: str
    tasks: tuple[TaskLine, ...] = field(default_factory=tuple)


def parse_span(text: str) -> timedelta:
    """``15m``, ``1h30m``, ``2d``, ``1w`` as a duration; :class:`ValueError` otherwise."""
    span = read_span(text)
    if span is None:
        raise ValueError(f"{text!r} is not a time like 15m, 2h, 1d or 1d12h")
    return span


def format_span(span: timedelta) -> str:
    """A duration as :func:`parse_span` reads it, in whole minutes (``1d12h``, ``15m``, ``0m``)."""
    return write_span(span) or "0m"


def parse_task(text: str, line: int = 1) -> TaskLine:
    """One task line (without its description); :class:`TaskLineError` names what is wrong."""
    body = _BULLET.sub("", text.strip(), count=1).strip()
    parts = [part.strip() for part in _SEPARATOR.split(body) if part.strip()]
    if not parts or parts[0][0] in "/@+":
        raise TaskLineError(line, "a task starts with its title, e.g. `- Page the DBA  /page dba  +15m`.")
    title, command, assignee, due = parts[0], "", "", None
    for part in parts[1:]:
        if part.startswith("/"):
            if command:
                raise TaskLineError(line, "a task has one command.")
            command = part
        elif part.startswith("@"):
            name = part[1:].lower()
            if assignee or not _USERNAME.match(name):
                raise TaskLineError(line, f"`{part}` is not one assignee like `@alice` or `@owner`.")
            assignee = name
        elif part.startswith("+"):
            try:
                due = parse_span(part[1:])
            except ValueError:
                raise TaskLineError(
                    line, f"`{part}` is not a due time like `+15m`, `+2h` or `+1d`."
                ) from None
            if due <= timedelta(0):
                raise TaskLineError(line, "a due time must be after the run starts, e.g. `+15m`.")
        else:
            raise TaskLineError(
                line,
                f"I don't know what `{part}` is. After the title come a `/command`, an `@assignee` "
                "and a `+due` time, separated by two spaces.",
            )
    return TaskLine(title, command, assignee, due)


def parse_tasks(text: str, *, first_line: int = 1) -> tuple[TaskLine, ...]:
    """A textarea of task lines; indented lines below a task are its description."""
    return _tasks_of(_numbered(text, first_line))


def parse_checklists(text: str) -> tuple[ChecklistText, ...]:
    """The all-checklists form: ``## Title`` lines, each followed by its tasks."""
    checklists: list[ChecklistText] = []
    pending: list[tuple[int, str]] = []
    title: str | None = None
    for number, line in _numbered(text, 1):
        if line.startswith(HEADER.strip()) and not line.startswith("###"):
            if title is not None:
                checklists.append(ChecklistText(title, _tasks_of(pending)))
            title, pending = line.lstrip("#").strip(), []
            if not title:
                raise TaskLineError(number, "a checklist needs a title after `##`.")
        elif title is None:
            if line.strip():
                raise TaskLineError(number, "start with a checklist title, e.g. `## Triage`.")
        else:
            pending.append((number, line))
    if title is not None:
        checklists.append(ChecklistText(title, _tasks_of(pending)))
    return tuple(checklists)


def format_task(task: TaskLine) -> str:
    """A task as one line (plus its indented description lines)."""
    parts = [f"- {' '.join(task.title.split())}"]
    if task.command:
        parts.append(" ".join(task.command.split()))
    if task.assignee:
        parts.append(f"@{task.assignee}")
    if task.due_after is not None:
        parts.append(f"+{format_span(task.due_after)}")
    text = "  ".join(parts)
    for line in task.description.splitlines():
        text += f"\n{_DESCRIPTION_INDENT}{line.strip()}" if line.strip() else ""
    return text


def format_tasks(tasks: Iterable[TaskLine]) -> str:
    """Tasks one per line, as :func:`parse_tasks` reads them."""
    return "\n".join(format_task(task) for task in tasks)


def format_checklists(checklists: Sequence[ChecklistText]) -> str:
    """Checklists with ``## Title`` headers, as :func:`parse_checklists` reads them."""
    blocks = []
    for checklist in checklists:
        tasks = format_tasks(checklist.tasks)
        blocks.append(f"{HEADER}{' '.join(checklist.title.split())}" + (f"\n{tasks}" if tasks else ""))
    return "\n\n".join(blocks)


def _numbered(text: str, first_line: int) -> list[tuple[int, str]]:
    return [(first_line + index, line.rstrip()) for index, line in enumerate(text.splitlines())]


def _tasks_of(lines: Iterable[tuple[int, str]]) -> tuple[TaskLine, ...]:
    tasks: list[TaskLine] = []
    description: list[str] = []

    def close() -> None:
        if tasks and description:
            last = tasks[-1]
            tasks[-1] = TaskLine(
                last.title, last.command, last.assignee, last.due_after, "\n".join(description)
            )
        description.clear()

    for number, line in lines:
        if not line.strip():
            continue
        if line[0].isspace() and not _BULLET.match(line.strip()):
            if not tasks:
                raise TaskLineError(number, "an indented line describes the task above it; there is none.")
            description.append(line.strip())
            continue
        close()
        tasks.append(parse_task(line, number))
    close()
    return tuple(tasks)


# Between playbooks and text ---------------------------------------------------------------------


def checklist_texts(
    checklists: Iterable[ChecklistTemplate], usernames: Mapping[str, str]
) -> tuple[ChecklistText, ...]:
    """Checklists as text, assignees by username (an unknown user's id is written as it is)."""
    return tuple(
        ChecklistText(checklist.title, tuple(_task_line(item, usernames) for item in checklist.items))
        for checklist in checklists
    )


def _task_line(item: ChecklistItemTemplate, usernames: Mapping[str, str]) -> TaskLine:
    if item.assignee_type is not AssigneeType.SPECIFIC_USER:
        assignee = item.assignee_type.value
    else:
        assignee = usernames.get(item.assignee_id, item.assignee_id) if item.assignee_id else ""
    return TaskLine(item.title, item.command, assignee, item.due_after, item.description)


def assignees(checklists: Iterable[ChecklistText]) -> set[str]:
    """The usernames the tasks are assigned to (roles left out)."""
    return {
        task.assignee
        for checklist in checklists
        for task in checklist.tasks
        if task.assignee and task.assignee not in ROLE_ASSIGNEES
    }


def checklist_templates(
    checklists: Iterable[ChecklistText], user_ids: Mapping[str, str]
) -> tuple[ChecklistTemplate, ...]:
    """Checklists from text; ``user_ids`` maps every assignee's username to their id."""
    return tuple(
        ChecklistTemplate(checklist.title, tuple(_item(task, user_ids) for task in checklist.tasks))
        for checklist in checklists
    )


def _item(task: TaskLine, user_ids: Mapping[str, str]) -> ChecklistItemTemplate:
    if task.assignee in ROLE_ASSIGNEES:
        kind, assignee_id = AssigneeType(task.assignee), ""
    else:
        kind, assignee_id = AssigneeType.SPECIFIC_USER, user_ids.get(task.assignee, "")
    return ChecklistItemTemplate(
        title=task.title,
        description=task.description,
        command=task.command,
        assignee_id=assignee_id,
        due_after=task.due_after,
        assignee_type=kind,
    )
