"""``/playbook schedule``, ``schedules`` and ``unschedule``.

The job that starts scheduled runs and its run-start hook are wired in :mod:`bot.services.wiring`.
"""

from __future__ import annotations

from bot.domain.errors import DomainError
from bot.render.schedules import schedule_removed, schedule_set, schedules_list, which_schedule
from bot.services import schedules
from bot.services.context import Services

from .registry import Routers
from .replies import Reply
from .slash import CommandCall

GROUP = "Playbooks"


def register(routers: Routers) -> None:
    """Add the three commands."""
    commands = routers.commands
    commands.command(
        "schedule",
        'NAME every 1w|cron "0 9 * * MON"',
        "start runs of a playbook on a schedule (in your time zone), owned by you",
        group=GROUP,
    )(schedule_command)
    commands.command("schedules", "", "the scheduled runs of this team", group=GROUP)(list_command)
    commands.command("unschedule", "ID", "stop a schedule", group=GROUP)(unschedule_command)


async def schedule_command(call: CommandCall) -> Reply:
    """``/playbook schedule NAME every …|cron "…"``."""
    services: Services = call.services
    try:
        created = await schedules.create_schedule(
            services, user_id=call.user_id, team_id=call.team_id, words=call.args
        )
    except DomainError as error:
        return Reply(error.message)
    return Reply(schedule_set(created.schedule, created.title, services.command_trigger))


async def list_command(call: CommandCall) -> Reply:
    """``/playbook schedules``."""
    services: Services = call.services
    found = await schedules.list_schedules(services, call.user_id, call.team_id)
    names = await services.people.usernames({entry.schedule.owner_id for entry in found})
    entries = [(entry.schedule, entry.title) for entry in found]
    return Reply(schedules_list(entries, names, services.command_trigger))


async def unschedule_command(call: CommandCall) -> Reply:
    """``/playbook unschedule ID``."""
    services: Services = call.services
    if len(call.args) != 1:
        return Reply(which_schedule(services.command_trigger))
    try:
        removed = await schedules.remove_schedule(services, call.user_id, call.team_id, call.args[0])
    except DomainError as error:
        return Reply(error.message)
    return Reply(schedule_removed(removed.schedule, removed.title))
