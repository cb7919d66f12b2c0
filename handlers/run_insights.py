"""``/playbook stats [PLAYBOOK]`` (numbers and a chart) and ``/playbook report`` (a run's report file).

Both answer at once and do the slow work after the acknowledgement (``call.later``). The bot can
only post where it is a member: the chart goes to the person's direct messages with the bot, the
report to the run channel.
"""

from __future__ import annotations

import logging

from bot.domain.errors import DomainError
from bot.mattermost.errors import MattermostError
from bot.render.insights import (
    REPORT_WORKING,
    STATS_WORKING,
    chart_sent,
    report_posted,
    summary_text,
    upload_failed,
)
from bot.services import insights, reports
from bot.services.context import Services
from bot.services.posting import send_direct
from bot.services.run_access import RunAction

from .registry import Routers
from .replies import Reply
from .slash import CommandCall

log = logging.getLogger(__name__)

CHART_FILENAME = "playbook-insights.png"


def register(routers: Routers) -> None:
    """Add ``stats`` and ``report``."""
    command = routers.commands.command
    command(
        "stats",
        "[PLAYBOOK]",
        "runs per week, time to finish and key metrics, with a chart (for the team or one playbook)",
        "Playbooks",
    )(stats)
    command(
        "report",
        "",
        "attach a Markdown report of the run: tasks, updates, timeline, retrospective",
        "Runs",
        needs=RunAction.VIEW,
    )(report)


async def stats(call: CommandCall) -> Reply:
    """``/playbook stats [PLAYBOOK]``: the summary as a reply, the chart in the person's DM."""
    services: Services = call.services
    name, user_id, team_id = call.rest, call.user_id, call.team_id

    async def work() -> Reply:
        try:
            found = await insights.insights_for(services, team_id, name, user_id=user_id)
        except DomainError as error:
            return Reply(error.message)
        summary = summary_text(found)
        png = await insights.chart_png(found)
        try:
            await send_direct(services, user_id, summary, file=(CHART_FILENAME, png))
        except MattermostError:
            log.exception("could not upload the insights chart")
            return Reply(f"{summary}\n\n{upload_failed('chart')}")
        return Reply(chart_sent(summary, services.bot.username))

    call.later(work)
    return Reply(STATS_WORKING)


async def report(call: CommandCall) -> Reply:
    """``/playbook report`` in a run channel: the report uploaded there, and a link to it."""
    services: Services = call.services
    run, user_id, team_id = call.run, call.user_id, call.team_id

    async def work() -> Reply:
        try:
            link = await reports.post_report(services, run, user_id=user_id, team_id=team_id)
        except reports.ReportUploadError as error:
            log.warning("could not upload the report of run %s: %s", run.id, error.__cause__)
            return Reply(error.message)
        except DomainError as error:
            return Reply(error.message)
        return Reply(report_posted(link))

    call.later(work)
    return Reply(REPORT_WORKING)
