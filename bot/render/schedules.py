"""What the schedule commands answer: a schedule set, the list, a schedule removed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.domain.schedules import RunSchedule
from bot.render.runs import format_time, mention, truncate

TITLE_LIMIT = 100
ERROR_LIMIT = 160


def local_time(at: datetime, zone_name: str) -> str:
    """``Mon Nov 30, 09:00 Europe/Berlin``; plain UTC for UTC or an unknown zone."""
    try:
        zone = ZoneInfo(zone_name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return format_time(at)
    if zone_name in ("", "UTC"):
        return f"{at.astimezone(zone):%a} {format_time(at)}"
    local = at.astimezone(zone)
    return f"{local:%a %b} {local.day}, {local:%H:%M} {zone_name}"


def _title(title: str) -> str:
    return f"**{truncate(title, TITLE_LIMIT)}**" if title else "*(a deleted playbook)*"


def schedule_set(schedule: RunSchedule, title: str, trigger: str) -> str:
    """The confirmation after ``/playbook schedule``."""
    return (
        f"Scheduled {_title(title)} `{schedule.spec}` ({schedule.timezone}). "
        f"The first run starts {local_time(schedule.next_run_at, schedule.timezone)}, owned by you. "
        f"Schedule id `{schedule.id}`: `/{trigger} unschedule {schedule.id}` stops it."
    )


def schedule_line(schedule: RunSchedule, title: str, names: Mapping[str, str]) -> str:
    """One schedule in the list."""
    state = f"next {_next_time(schedule)}" if schedule.enabled else "stopped"
    line = (
        f"- `{schedule.id}` {_title(title)} — `{schedule.spec}` ({schedule.timezone}), {state}, "
        f"{_origin(schedule, names)}"
    )
    if schedule.last_error:
        line += f"\n  last time no run started: {truncate(schedule.last_error, ERROR_LIMIT)}"
    return line


def _next_time(schedule: RunSchedule) -> str:
    return local_time(schedule.next_run_at, schedule.timezone)


def _origin(schedule: RunSchedule, names: Mapping[str, str]) -> str:
    owner = mention(schedule.owner_id, names)
    return f"from the playbook file, imported by {owner}" if schedule.from_file else f"set by {owner}"


def schedules_list(entries: Sequence[tuple[RunSchedule, str]], names: Mapping[str, str], trigger: str) -> str:
    """``/playbook schedules``: the team's schedules, soonest first."""
    if not entries:
        return (
            "No playbook runs are scheduled in this team. Set one with "
            f'`/{trigger} schedule "Playbook name" every 1w` or `cron "0 9 * * MON"`.'
        )
    lines = ["**Scheduled runs**"]
    lines.extend(schedule_line(schedule, title, names) for schedule, title in entries)
    return "\n".join(lines)


def schedule_removed(schedule: RunSchedule, title: str) -> str:
    """The confirmation after ``/playbook unschedule``."""
    removed = f"Removed the schedule `{schedule.id}` of {_title(title)}; no more runs will start from it."
    if schedule.from_file:
        removed += (
            " It came from the playbook file, so importing the file again brings it back: "
            "take it out of the file's `schedules` to stop it for good."
        )
    return removed


def playbook_schedules(schedules: Sequence[RunSchedule], names: Mapping[str, str], trigger: str) -> str:
    """The schedules part of ``/playbook show``: each of the playbook's schedules, or how to set one."""
    if not schedules:
        return (
            "**Schedules:** none. List them under `schedules` in the playbook file, "
            f"or use `/{trigger} schedule NAME every 1w`."
        )
    lines = ["**Schedules**"]
    for schedule in schedules:
        state = f"next {_next_time(schedule)}" if schedule.enabled else "stopped"
        lines.append(
            f"- `{schedule.spec}` ({schedule.timezone}), {state}, {_origin(schedule, names)} "
            f"— id `{schedule.id}`"
        )
    return "\n".join(lines)


def imported_schedules(schedules: Sequence[RunSchedule]) -> str:
    """What an import says about the file's schedules (``""`` when it has none)."""
    if not schedules:
        return ""
    listed = "; ".join(
        f"`{schedule.spec}` ({schedule.timezone}), next {_next_time(schedule)}" for schedule in schedules
    )
    runs = "Runs are" if len(schedules) > 1 else "A run is"
    return f"{runs} scheduled from the file, owned by you: {listed}."


def which_schedule(trigger: str) -> str:
    """The answer to ``unschedule`` without exactly one schedule id."""
    return f"Which schedule? Use `/{trigger} unschedule ID` (see `schedules`)."
