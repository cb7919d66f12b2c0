"""What the bot answers when someone changes a run: confirmations, the finish prompt, the summary.

Pure functions of domain values; people are named from a ``names`` mapping (user id → username).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from bot.callback_data import ChooseRun, DismissFinish, FinishForm, FinishRun
from bot.domain.playbook import Playbook
from bot.domain.run import FinishNeedsConfirmationError, ItemRef, ItemState, Run, progress
from bot.render.buttons import button
from bot.render.runs import format_duration, mention, run_tag, truncate
from bot.security import ContextSigner

Names = Mapping[str, str]

FINISH_DIALOG_TITLE = "Confirm finish"
ITEM_CHANGED = "This task changed since; here's the current checklist."
NOT_IN_RUN_CHANNEL = "This command only works in a run's channel."
FINISH_CANCELLED = "OK, the run stays in progress."
POSTS_COMPLETED = "I posted this run's missing overview and checklists."

_TITLE_LIMIT = 200
MAX_CHOICES = 20
MAX_LISTED_PLAYBOOKS = 10


def task(ref: ItemRef) -> str:
    """``1.2 “Page the on-call engineer”``: a task as replies name it."""
    title = truncate(" ".join(ref.item.title.split()), _TITLE_LIMIT)
    return f"{ref.checklist_no}.{ref.item_no} “{title}”"


_DONE = {
    ItemState.CLOSED: "Checked {task}.",
    ItemState.SKIPPED: "Skipped {task}.",
    ItemState.IN_PROGRESS: "Started {task}.",
}
_ALREADY = {
    ItemState.CLOSED: "{task} is already checked.",
    ItemState.SKIPPED: "{task} is already skipped.",
    ItemState.IN_PROGRESS: "{task} is already in progress.",
    ItemState.OPEN: "{task} is already open.",
}


def item_state_changed(ref: ItemRef, previous: ItemState, *, already: bool) -> str:
    """The confirmation of a task put into ``ref.item.state`` (from ``previous``)."""
    state = ref.item.state
    if already:
        return _ALREADY[state].format(task=task(ref))
    if state is ItemState.OPEN:
        verb = "Restored" if previous is ItemState.SKIPPED else "Unchecked"
        return f"{verb} {task(ref)}."
    return _DONE[state].format(task=task(ref))


def item_assigned(ref: ItemRef, names: Names, *, already: bool, joined: bool = False) -> str:
    """The confirmation of an assignment (or unassignment)."""
    who = ref.item.assignee_id
    if already:
        return (
            f"{task(ref)} is already assigned to {mention(who, names)}."
            if who
            else f"{task(ref)} has no assignee."
        )
    if not who:
        return f"{task(ref)} is no longer assigned to anyone."
    note = f" {mention(who, names)} joined the run to work on it." if joined else ""
    return f"Assigned {task(ref)} to {mention(who, names)}.{note}"


def command_to_copy(ref: ItemRef, command: str) -> str:
    """A task's slash command, ready to copy: the bot cannot run commands on someone's behalf."""
    shown = command.strip().replace("```", "` ` `")
    return (
        f"Here is the command of {task(ref)}. I can't run slash commands for you, so copy it into the "
        f"message box and send it:\n```\n{shown}\n```\nThe run's timeline notes that you copied it."
    )


def item_added(ref: ItemRef) -> str:
    """The confirmation of ``/playbook checkadd``."""
    checklist = truncate(ref.checklist.title, _TITLE_LIMIT)
    return f"Added {task(ref)} to “{checklist}”."


def item_removed(ref: ItemRef) -> str:
    """The confirmation of ``/playbook checkremove`` (``ref`` as it stood before)."""
    checklist = truncate(ref.checklist.title, _TITLE_LIMIT)
    return f"Removed {task(ref)} from “{checklist}”."


def owner_is(run: Run, names: Names) -> str:
    """``/playbook owner`` without a name."""
    return f"**{mention(run.owner_id, names)}** is the owner of this run."


def owner_changed(run: Run, names: Names, *, already: bool) -> str:
    """The confirmation of ``/playbook owner @user``."""
    if already:
        return f"{mention(run.owner_id, names)} is already the owner of this run."
    return f"{mention(run.owner_id, names)} is now the owner of this run."


def participants_added(added: Sequence[str], names: Names) -> str:
    """The confirmation of ``/playbook add``."""
    if not added:
        return "Everyone you named is already a participant."
    people = ", ".join(mention(user_id, names) for user_id in added)
    return f"Added {people} to the run and its channel."


def finished(run: Run) -> str:
    """The confirmation of finishing (the channel gets the summary)."""
    return f"Finished *{truncate(run.name, _TITLE_LIMIT)}*. The summary is in the channel."


def restored(run: Run) -> str:
    """The confirmation of restoring."""
    return f"Restored *{truncate(run.name, _TITLE_LIMIT)}*; it is in progress again."


def finish_prompt(
    run: Run, error: FinishNeedsConfirmationError, signer: ContextSigner, action_url: str
) -> tuple[str, list[dict[str, Any]]]:
    """The question asked before finishing with tasks open: text and an attachment with
    *Finish anyway* and *Cancel* buttons (for a command's ephemeral reply)."""
    buttons = [
        button(
            "finishanyway",
            "Finish anyway",
            FinishRun(run.id, confirmed=True),
            signer=signer,
            url=action_url,
            style="danger",
        ),
        button("cancel", "Cancel", DismissFinish(run.id), signer=signer, url=action_url),
    ]
    attachment = {"fallback": error.message, "text": error.message, "actions": buttons}
    return "", [attachment]


def run_chooser(
    runs: Sequence[Run], command: str, response_url: str, signer: ContextSigner, action_url: str
) -> list[dict[str, Any]]:
    """The question which of a channel's runs ``command`` (``check 1 2``) is for: one button per
    run (at most 20, newest first), each carrying the command out for its run."""
    buttons = [
        button(
            f"run{index}",
            run_tag(run),
            ChooseRun(run.id, command, response_url),
            signer=signer,
            url=action_url,
        )
        for index, run in enumerate(runs[:MAX_CHOICES])
    ]
    example = f"#{runs[0].number}"
    text = (
        "This channel has several runs. Which one do you mean? "
        f"(Next time you can name it: `{example}` right after the command's name.)"
    )
    return [{"fallback": text, "text": text, "actions": buttons}]


def for_run(run: Run, text: str) -> str:
    """A reply about one run of a channel holding several, naming the run first."""
    return f"**{run_tag(run)}:** {text}" if text else text


def finish_dialog(run: Run, error: FinishNeedsConfirmationError, state: str) -> dict[str, Any]:
    """The *Confirm finish* dialog a click on *Finish run* opens when tasks are open."""
    return {
        "callback_id": FinishForm.name,
        "title": FINISH_DIALOG_TITLE,
        "introduction_text": error.message,
        "submit_label": "Finish",
        "notify_on_cancel": False,
        "state": state,
        "elements": [],
    }


def finish_summary(run: Run, actor_id: str, names: Names, *, at: datetime) -> str:
    """The summary posted in the run channel (and broadcast) when the run finishes."""
    counted = progress(run)
    ended = run.finished_at or at
    open_tasks = counted.outstanding
    participants = ", ".join(mention(user_id, names) for user_id in run.participant_ids[:20]) or "nobody"
    if len(run.participant_ids) > 20:
        participants += f" and {len(run.participant_ids) - 20} more"
    name = truncate(" ".join(run.name.split()), 1000)
    ident = f"{run.sequential_id} · " if run.sequential_id else ""
    return "\n".join(
        [
            f"#### Run finished: {ident}{name}",
            f"{mention(actor_id, names)} finished the run after {format_duration(ended - run.created_at)}.",
            f"- **Tasks:** {counted.closed} done, {counted.skipped} skipped, {open_tasks} still open",
            f"- **Owner:** {mention(run.owner_id, names)}",
            f"- **Participants:** {participants}",
        ]
    )


def restore_note(run: Run, actor_id: str, names: Names) -> str:
    """Posted in the run channel (and broadcast) when a finished run is restored."""
    name = truncate(" ".join(run.name.split()), 1000)
    return f"{mention(actor_id, names)} restored **{name}**: it is in progress again."


def not_skipped(ref: ItemRef) -> str:
    """The answer to ``unskip`` for a task that is not skipped."""
    return f"{task(ref)} is not skipped."


def finish_by_command(question: FinishNeedsConfirmationError, trigger: str) -> str:
    """The finish question as text, when no dialog could ask it: finishing anyway is a command."""
    return f"{question.message} To finish anyway, send `/{trigger} finish` here."


def starting_run(playbook_title: str) -> str:
    """The answer to ``/playbook run NAME`` while the run starts."""
    return f"Starting a run of **{truncate(playbook_title, 200)}**…"


def no_playbooks(trigger: str) -> str:
    """The answer to ``/playbook run`` in a team without a playbook the person can run."""
    return (
        "There is no playbook you can run in this team yet. A playbook admin can import one, for instance "
        f"a starter playbook or an export from Mattermost Playbooks; see `/{trigger} help`."
    )


def unknown_playbook(written: str, playbooks: Sequence[Playbook], trigger: str) -> str:
    """The answer to ``/playbook run NAME`` naming no playbook the person can run: those they can."""
    titles = ", ".join(f"“{truncate(p.title, 80)}”" for p in playbooks[:MAX_LISTED_PLAYBOOKS])
    more = " …" if len(playbooks) > MAX_LISTED_PLAYBOOKS else ""
    return (
        f"I don't know a playbook called “{truncate(written, 100)}” that you can run. "
        f"You can run: {titles}{more}. Quote a title with spaces when a run name follows, "
        f'e.g. `/{trigger} run "{truncate(playbooks[0].title, 60)}" Database down`.'
    )


def run_name_example(message: str, playbook_word: str, trigger: str) -> str:
    """A refused run name (``message``), with a command that names one."""
    return f"{message} For example: `/{trigger} run {playbook_word} Database down`"


def start_form_failed(playbook_title: str, trigger: str) -> str:
    """What to say when the start form could not open: the command that starts a run directly."""
    return (
        "I couldn't open the form to start a run. Try again, or start one directly: "
        f'`/{trigger} run "{truncate(playbook_title, 60)}" Run name`.'
    )
