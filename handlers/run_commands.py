"""Slash commands that change the run of the channel they are sent in.

``check``, ``checkremove``, ``assign``, ``owner``, ``add``, ``finish`` and ``restore`` (which,
given a playbook's NAME, restores that archived playbook). Checklist and task numbers start at 1,
as shown on the checklist posts. ``check`` toggles, as the plugin's does, while the buttons on the
posts set a state, so that a double click never undoes itself. Every change edits the run's posts
in place and is recorded on its timeline.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.domain.run import FinishNeedsConfirmationError, locate
from bot.mattermost.types import MMUser
from bot.render import run_replies
from bot.services import run_changes
from bot.services.context import Services
from bot.services.people import assignee_named, team_member_named
from bot.services.run_access import RunAction
from bot.services.run_changes import ItemAt
from bot.services.run_posts import names_for

from .playbooks import restore_playbook
from .registry import Routers
from .replies import Reply
from .slash import CommandCall, CommandHandler, UsageError, numbers

GROUP = "Runs"
RUN_COMMAND_NOTE = (
    "check a task, or uncheck it if it is checked (the checklist's buttons set a state instead; "
    "a task's *Run /command* button shows the command ready to copy, as I can't run commands for you)"
)


def register(routers: Routers) -> None:
    """Add the run-changing sub-commands."""

    # Each needs the channel's run and only seeing it: the service checks the change itself,
    # in the transaction that makes it.
    def command(name: str, usage: str, summary: str) -> Callable[[CommandHandler], CommandHandler]:
        return routers.commands.command(name, usage, summary, GROUP, needs=RunAction.VIEW)

    command("check", "CHECKLIST TASK", RUN_COMMAND_NOTE)(check)
    command("checkremove", "CHECKLIST TASK", "remove a task")(checkremove)
    command("assign", "CHECKLIST TASK @user|me|none", "assign a task, or unassign it with none")(assign)
    command("owner", "[@user]", "show the run's owner, or hand the run to someone")(owner)
    command("add", "@user…", "add participants to the run (and to its channel)")(add)
    command("finish", "", "finish the run (asks first when tasks are still open)")(finish)
    routers.commands.command(
        "restore",
        "[NAME]",
        "bring a finished run back in progress; with NAME, an archived playbook",
        GROUP,
        needs=RunAction.VIEW,
        run_unless_args=True,
    )(restore)


def _numbers(call: CommandCall, count: int, usage: str, example: str) -> list[int]:
    """The first ``count`` arguments as numbers, or a :class:`UsageError` saying what is wrong."""
    if len(call.args) < count:
        raise UsageError(call.usage(usage, example))
    return numbers(call, call.args[:count], usage, example)


async def check(call: CommandCall) -> Reply:
    """``/playbook check C T``: check an open task, reopen any other."""
    run = call.run
    checklist_no, item_no = _numbers(call, 2, "CHECKLIST TASK", "1 2")
    locate(run, checklist_no, item_no)
    result = await run_changes.toggle_item(
        call.services, run.id, ItemAt(checklist_no, item_no), actor_id=call.user_id
    )
    before = locate(result.before, checklist_no, item_no)
    after = locate(result.run, checklist_no, item_no)
    return Reply(run_replies.item_state_changed(after, before.item.state, already=result.already))


async def checkremove(call: CommandCall) -> Reply:
    """``/playbook checkremove C T``: remove a task."""
    run = call.run
    checklist_no, item_no = _numbers(call, 2, "CHECKLIST TASK", "1 2")
    locate(run, checklist_no, item_no)
    result = await run_changes.remove_item(
        call.services, run.id, ItemAt(checklist_no, item_no), actor_id=call.user_id
    )
    return Reply(run_replies.item_removed(locate(result.before, checklist_no, item_no)))


async def assign(call: CommandCall) -> Reply:
    """``/playbook assign C T @user|me|none``."""
    run = call.run
    usage, example = "CHECKLIST TASK @user|me|none", "1 2 @alice"
    checklist_no, item_no = _numbers(call, 2, usage, example)
    if len(call.args) != 3:
        raise UsageError(call.usage(usage, example))
    locate(run, checklist_no, item_no)
    services: Services = call.services
    assignee = await assignee_named(services.people, run.team_id, call.args[2], me=call.user_id)
    result = await run_changes.assign_item(
        services, run.id, ItemAt(checklist_no, item_no), assignee, actor_id=call.user_id
    )
    ref = locate(result.run, checklist_no, item_no)
    joined = bool(assignee) and assignee not in result.before.participant_ids
    names = await names_for(services, [assignee] if assignee else [])
    return Reply(run_replies.item_assigned(ref, names, already=result.already, joined=joined))


async def owner(call: CommandCall) -> Reply:
    """``/playbook owner`` shows the owner; ``/playbook owner @user`` hands the run over."""
    run = call.run
    services: Services = call.services
    if len(call.args) > 1:
        raise UsageError(call.usage("[@user]", "@alice"))
    if not call.args:
        return Reply(run_replies.owner_is(run, await names_for(services, [run.owner_id])))
    new_owner = await team_member_named(services.people, run.team_id, call.args[0])
    result = await run_changes.change_owner(services, run.id, new_owner.id, actor_id=call.user_id)
    names = await names_for(services, [result.run.owner_id])
    return Reply(run_replies.owner_changed(result.run, names, already=result.already))


async def add(call: CommandCall) -> Reply:
    """``/playbook add @user…``: add participants, also to the run's channel."""
    run = call.run
    services: Services = call.services
    if not call.args:
        raise UsageError(call.usage("@user…", "@bob @carol"))
    people: Sequence[MMUser] = [await team_member_named(services.people, run.team_id, w) for w in call.args]
    result = await run_changes.add_participants(
        services, run.id, [p.id for p in people], actor_id=call.user_id
    )
    added = [u for u in result.run.participant_ids if u not in result.before.participant_ids]
    return Reply(run_replies.participants_added(added, {p.id: p.username for p in people}))


async def finish(call: CommandCall) -> Reply:
    """``/playbook finish``: finish, or ask first when tasks are open."""
    run = call.run
    services: Services = call.services
    try:
        result = await run_changes.finish_run(services, run.id, actor_id=call.user_id)
    except FinishNeedsConfirmationError as question:
        text, attachments = run_replies.finish_prompt(run, question, services.signer, services.action_url)
        return Reply(text, attachments=attachments)
    return Reply(run_replies.finished(result.run))


async def restore(call: CommandCall) -> Reply:
    """``/playbook restore``: bring a finished run back in progress; ``/playbook restore NAME``
    restores an archived playbook instead, from any channel."""
    if call.args:
        return await restore_playbook(call)
    run = call.run
    result = await run_changes.restore_run(call.services, run.id, actor_id=call.user_id)
    return Reply(run_replies.restored(result.run))
