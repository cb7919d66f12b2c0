"""Typed payloads of buttons and dialogs: one frozen dataclass for each kind.

Every button the bot posts and every dialog it opens carries a small payload that comes back
when someone clicks or submits: which run, which task, which state to put it in. Each kind of
payload is one frozen dataclass here, declaring the short key each field travels under with
:func:`~bot.callback_codec.wire`. The renderers build buttons from these objects; the routers decode
a verified context into the class registered for its name and hand the handler the typed object.

How they are packed is :mod:`bot.callback_codec`'s concern. The packed form is the wire format of
buttons already posted in channels, so it never changes by accident (``tests/test_callback_data.py``
pins it): never change a key here.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from bot.callback_codec import ActionData, DialogData, wire
from bot.domain.playbook_changes import Section
from bot.domain.run import ItemState

# Runs -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskButton(ActionData):
    """A button on one task of a run's checklist, signed at the task's revision."""

    run_id: str = wire("r")
    checklist_id: str = wire("c")
    item_id: str = wire("i")
    revision: int = wire("v")


@dataclass(frozen=True)
class ItemClick(TaskButton):
    """*Check*, *Uncheck*, *Skip* or *Restore*: put the task into ``target``."""

    name = "item"
    target: ItemState = wire("t")


@dataclass(frozen=True)
class AssignToMe(TaskButton):
    """*Assign to me* on a task."""

    name = "assign_me"


@dataclass(frozen=True)
class RunTaskCommand(TaskButton):
    """*Run /command* on a task: hand its slash command over, ready to copy."""

    name = "run_cmd"


@dataclass(frozen=True)
class EditTask(TaskButton):
    """*Edit…* on a task: open the task form (title, description, command, assignee, due date,
    checklist)."""

    name = "task_edit"


@dataclass(frozen=True)
class RunRef(ActionData):
    """A button about a whole run."""

    run_id: str = wire("r")


@dataclass(frozen=True)
class FinishRun(RunRef):
    """*Finish run*; ``confirmed`` on *Finish anyway*, after the open tasks were named."""

    name = "finish"
    confirmed: bool = wire("confirm", default=False)


@dataclass(frozen=True)
class RestoreRun(RunRef):
    """*Restore run* on a finished run's overview."""

    name = "restore"


@dataclass(frozen=True)
class DismissFinish(RunRef):
    """*Cancel* on the question whether to finish with tasks open."""

    name = "dismiss"


@dataclass(frozen=True)
class OpenUpdateForm(RunRef):
    """*Post update*: open the status update form."""

    name = "status_open"


@dataclass(frozen=True)
class SnoozeReminder(RunRef):
    """*Snooze …* on an update reminder: ask again in ``seconds``."""

    name = "status_snooze"
    seconds: int = wire("s")


@dataclass(frozen=True)
class OpenRetrospective(RunRef):
    """*Fill in the retrospective*."""

    name = "retro_open"


@dataclass(frozen=True)
class RunForm(DialogData):
    """A dialog about one run."""

    run_id: str = wire("r")


@dataclass(frozen=True)
class FinishForm(RunForm):
    """*Confirm finish*: finish despite the open tasks."""

    name = "finish_run"


@dataclass(frozen=True)
class UpdateForm(RunForm):
    """The status update form."""

    name = "status_update"


@dataclass(frozen=True)
class RetrospectiveForm(RunForm):
    """The retrospective form."""

    name = "retrospective"


@dataclass(frozen=True)
class RunSettingsForm(RunForm):
    """The run's settings form: status updates, broadcasts and the retrospective on or off."""

    name = "run_settings"


@dataclass(frozen=True)
class TaskForm(RunForm):
    """The task form: edits task ``item_id`` of checklist ``checklist_id``, or, without an
    ``item_id``, adds a task to that checklist."""

    name = "task_form"
    checklist_id: str = wire("c")
    item_id: str = wire("i", default="")


@dataclass(frozen=True)
class StartRunForm(DialogData):
    """The *Run playbook* form, prefilled with ``playbook_id``, for runs in ``team_id``.

    The team is signed in because a submission's ``team_id`` is the person's current team, not
    necessarily the form's; forms opened before it was signed in carry none.
    """

    name = "start_run"
    playbook_id: str = wire("p", default="")
    team_id: str = wire("t", default="")


# Listening, channels, imports -------------------------------------------------------------------


@dataclass(frozen=True)
class PromptThread(ActionData):
    """A button of a keyword prompt: the thread it answers."""

    channel_id: str = wire("c")
    root_id: str = wire("r")


@dataclass(frozen=True)
class RunFromPrompt(PromptThread):
    """*Run …* on a keyword prompt."""

    name = "kw_run"
    playbook_id: str = wire("p")


@dataclass(frozen=True)
class IgnoreThread(PromptThread):
    """*Ignore this thread* on a keyword prompt."""

    name = "kw_ignore"


class ChannelSettingName(enum.StrEnum):
    """The switches of ``/playbook channel``."""

    PROMPTS = "prompts"
    WELCOME = "welcome"


@dataclass(frozen=True)
class ToggleChannelSetting(ActionData):
    """Turn one of a channel's switches on (``on``) or off."""

    name = "ch_set"
    channel_id: str = wire("c")
    setting: ChannelSettingName = wire("k")
    on: bool = wire("v")


@dataclass(frozen=True)
class ImportToTeam(ActionData):
    """The team chosen for a playbook file sent in a direct message."""

    name = "playbook-import-team"
    file_id: str = wire("f")
    post_id: str = wire("p")
    sender_id: str = wire("u")
    team_id: str = wire("t")


# Creating and editing playbooks -----------------------------------------------------------------


@dataclass(frozen=True)
class CreatePlaybookForm(DialogData):
    """The *Create a playbook* form, for a playbook of ``team_id`` (signed in, as for runs)."""

    name = "pb_create"
    team_id: str = wire("t")


@dataclass(frozen=True)
class EditPlaybookSection(ActionData):
    """*Edit …* on a playbook's edit overview: open the section's form."""

    name = "pb_edit"
    playbook_id: str = wire("p")
    section: Section = wire("s")


@dataclass(frozen=True)
class PlaybookSectionForm(DialogData):
    """The form of one section of a playbook."""

    name = "pb_section"
    playbook_id: str = wire("p")
    section: Section = wire("s")


@dataclass(frozen=True)
class EditChecklist(ActionData):
    """*Edit checklist N*, for checklists too long to edit all at once (``index`` from 0)."""

    name = "pb_edit_cl"
    playbook_id: str = wire("p")
    index: int = wire("i")


@dataclass(frozen=True)
class ChecklistForm(DialogData):
    """The form of one checklist of a playbook: its title and its tasks (``index`` from 0)."""

    name = "pb_checklist"
    playbook_id: str = wire("p")
    index: int = wire("i")


@dataclass(frozen=True)
class ChooseRun(ActionData):
    """One run's button on the question which run a command in a channel of several runs means:
    the ``command`` (``check 1 2``) is carried out for this run, and answered through the
    command's ``response_url``."""

    name = "pick_run"
    run_id: str = wire("r")
    command: str = wire("cmd")
    response_url: str = wire("url", default="")
