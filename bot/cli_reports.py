"""``playbooks-bot stats`` and ``playbooks-bot report``: insights and run reports at the terminal.

The operator at the terminal sees every run of a team (no per-person visibility applies).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.cli_playbooks import CliError, bot_services, resolve_team, write_output
from bot.config import Settings
from bot.domain.errors import DomainError
from bot.render.insights import terminal_text
from bot.services import insights, reports
from bot.services.reports import ReportFormat


def add_report_commands(
    subcommands: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add ``stats`` and ``report`` to the CLI's sub-commands."""
    stats = subcommands.add_parser(
        "stats", parents=[common], help="runs per week, runs in progress, time to finish and key metrics"
    )
    stats.add_argument("--team", metavar="NAME", help="the team (default: the first configured team)")
    stats.add_argument("--playbook", metavar="NAME", help="only this playbook (its title or id)")
    stats.set_defaults(command=stats_command)

    report = subcommands.add_parser(
        "report", parents=[common], help="write a run's report (Markdown or HTML)"
    )
    report.add_argument("run", metavar="RUN_ID_OR_CHANNEL", help="the run's id, or its channel's id")
    report.add_argument("--format", choices=[f.value for f in ReportFormat], default="md", help="default: md")
    report.add_argument("--output", type=Path, metavar="FILE", help="where to write it (default: stdout)")
    report.set_defaults(command=report_command)


async def stats_command(args: argparse.Namespace, settings: Settings) -> int:
    """``stats [--team NAME] [--playbook NAME]``: the numbers of ``/playbook stats`` as text."""
    team_name = args.team or (settings.teams[0] if settings.teams else "")
    if not team_name:
        raise CliError(
            "Say which team with --team NAME, or list the bot's teams under `teams` in the config."
        )
    async with bot_services(settings) as services:
        team = await resolve_team(services, team_name)
        try:
            found = await insights.insights_for(services, team.id, args.playbook or "")
        except DomainError as error:
            raise CliError(error.message) from error
    sys.stdout.write(terminal_text(found))
    return 0


async def report_command(args: argparse.Namespace, settings: Settings) -> int:
    """``report RUN_ID_OR_CHANNEL [--format md|html] [--output FILE]``."""
    wanted = str(args.run).strip()
    report_format = ReportFormat(args.format)
    async with bot_services(settings) as services:
        try:
            built = await reports.build_report(services, run_id=wanted, channel_id=wanted)
        except DomainError as error:
            raise CliError(error.message) from error
    text = reports.render(built, report_format)
    return await write_output(text, args.output, f"the report of {built.run.name!r}")
