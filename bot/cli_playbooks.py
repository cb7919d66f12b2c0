"""``playbooks-bot playbook import|export|list``: managing playbooks from the command line.

Each command connects to Mattermost as the bot (to resolve teams and users, and to check
permissions exactly as chat does), migrates the database, and acts through
:mod:`bot.services.playbooks`. Failures a person can fix raise :class:`CliError` with one line
saying what to do.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from bot.config import Settings
from bot.domain.errors import DomainError
from bot.domain.playbook import Playbook
from bot.mattermost.errors import Forbidden, MattermostError, NotFound, Unauthorized
from bot.mattermost.gateway import MattermostGateway
from bot.mattermost.types import MMTeam
from bot.playbook_format import MAX_DOCUMENT_BYTES, DocumentFormat
from bot.render.playbooks import counts
from bot.render.schedules import local_time
from bot.security import ContextSigner, derive_key
from bot.services.context import Services
from bot.services.people import People
from bot.services.playbooks import (
    PlaybookNotFoundError,
    decode_document,
    export,
    find_playbook,
    import_document,
    visible_playbooks,
)
from bot.services.wiring import wire
from storage.database import create_engine, session_factory
from storage.migrate import migrate
from storage.repositories.settings import SettingsRepository


class CliError(Exception):
    """A failure the person at the terminal can fix; printed as one message, no traceback."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


async def write_output(text: str, output: Path | None, what: str) -> int:
    """Print ``text``, or write it to ``output`` and say so on standard error; the exit status."""
    if output is None:
        sys.stdout.write(text)
        return 0
    try:
        await asyncio.to_thread(output.write_text, text, encoding="utf-8")
    except OSError as error:
        raise CliError(f"Could not write {output}: {error.strerror or error}.") from error
    print(f"Wrote {what} to {output}.", file=sys.stderr)
    return 0


def add_playbook_commands(
    subcommands: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add ``playbook import|export|list`` to the CLI's sub-commands."""
    playbook = subcommands.add_parser("playbook", help="import, export and list playbooks")
    actions = playbook.add_subparsers(dest="action", metavar="ACTION", required=True)

    importing = actions.add_parser(
        "import", parents=[common], help="import a playbook file (.json or .yaml) into a team"
    )
    importing.add_argument("file", type=Path, metavar="FILE", help="the playbook export to import")
    importing.add_argument("--team", required=True, metavar="NAME", help="the team's name (as in its URL)")
    importing.add_argument(
        "--as",
        dest="as_user",
        metavar="USERNAME",
        help="who imports it and becomes its admin (default: the bot)",
    )
    importing.set_defaults(command=import_command)

    exporting = actions.add_parser("export", parents=[common], help="write a playbook as an export file")
    exporting.add_argument("name", metavar="NAME", help="the playbook's title or id")
    exporting.add_argument(
        "--team", metavar="NAME", help="the team to look in (default: the configured teams)"
    )
    exporting.add_argument("--format", choices=["json", "yaml"], default="json", help="default: json")
    exporting.add_argument("--output", type=Path, metavar="FILE", help="where to write it (default: stdout)")
    exporting.set_defaults(command=export_command)

    listing = actions.add_parser("list", parents=[common], help="list the playbooks of the configured teams")
    listing.add_argument("--team", metavar="NAME", help="only this team")
    listing.set_defaults(command=list_command)


@asynccontextmanager
async def bot_services(settings: Settings) -> AsyncIterator[Services]:
    """The bot's services for one command: the database migrated and Mattermost reached as the bot."""
    await migrate(settings.database_url)
    engine = create_engine(settings.database_url)
    gateway = MattermostGateway(
        settings.mattermost_url,
        settings.mattermost_token.get_secret_value(),
        request_timeout=settings.request_timeout,
        max_retries=1,
    )
    try:
        try:
            bot = await gateway.me()
        except Unauthorized as error:
            raise CliError(
                "Mattermost refused the bot's token: check mattermost_token (PLAYBOOKS_MATTERMOST_TOKEN).", 2
            ) from error
        except MattermostError as error:
            raise CliError(f"Could not reach Mattermost at {settings.mattermost_url}: {error}", 2) from error
        sessions = session_factory(engine)
        async with sessions() as session, session.begin():
            secret = (
                settings.secret.get_secret_value()
                if settings.secret is not None
                else await SettingsRepository(session).get_or_create_secret()
            )
        services = Services(
            gateway=gateway,
            sessions=sessions,
            signer=ContextSigner(derive_key(secret, "buttons")),
            people=People(gateway),
            bot=bot,
            public_url=settings.public_url,
            command_trigger=settings.command_trigger,
            webhook_key=derive_key(secret, "webhooks"),
            allow_private_webhook_addresses=settings.allow_private_webhook_addresses,
            site_url=settings.mattermost_url,
        )
        # The same hooks as the service, so a run started here gets its reminders and webhooks.
        # The CLI runs no scheduler: the jobs those hooks schedule are run by the service's.
        wire(services)
        yield services
    finally:
        await gateway.close()
        await engine.dispose()


async def resolve_team(services: Services, name: str) -> MMTeam:
    """The team named ``name`` on Mattermost, or a :class:`CliError` saying it isn't there."""
    try:
        return await services.gateway.team_by_name(name.strip())
    except (NotFound, Forbidden) as error:
        raise CliError(
            f"There is no team named {name!r} that the bot can see. Check the name (as in the team's URL) "
            "and that the bot is a member."
        ) from error


async def _teams(services: Services, settings: Settings, name: str | None) -> list[MMTeam]:
    names = [name] if name else list(settings.teams)
    if not names:
        raise CliError(
            "Say which team with --team NAME, or list the bot's teams under `teams` in the config."
        )
    return [await resolve_team(services, team) for team in names]


def read_document_file(path: Path) -> str:
    """A playbook file's text, refusing a missing, oversized or non-UTF-8 file before any network use."""
    try:
        if path.stat().st_size > MAX_DOCUMENT_BYTES:
            limit = MAX_DOCUMENT_BYTES // (1024 * 1024)
            raise CliError(f"{path}: larger than {limit} MiB, too large for a playbook.")
        return decode_document(path.name, path.read_bytes())
    except FileNotFoundError as error:
        raise CliError(f"{path}: no such file.") from error
    except OSError as error:
        raise CliError(f"{path}: {error.strerror or error}.") from error
    except DomainError as error:
        raise CliError(error.message) from error


async def import_command(args: argparse.Namespace, settings: Settings) -> int:
    """``playbook import FILE --team NAME [--as USERNAME]``."""
    path: Path = args.file
    text = await asyncio.to_thread(read_document_file, path)
    async with bot_services(settings) as services:
        team = await resolve_team(services, args.team)
        importer = services.bot
        if args.as_user:
            found = await services.people.by_username(args.as_user)
            if found is None:
                raise CliError(f"There is no user named {args.as_user!r}.")
            importer = found
        try:
            outcome = await import_document(
                services, team_id=team.id, user_id=importer.id, filename=path.name, text=text
            )
        except DomainError as error:
            raise CliError(f"{path}: {error.message}") from error
    verb = "Updated" if outcome.replaced else "Imported"
    playbook = outcome.playbook
    print(f"{verb} “{playbook.title}” in team {team.name} ({playbook.id}): {counts(playbook)}.")
    for schedule in outcome.schedules:
        next_run = local_time(schedule.next_run_at, schedule.timezone)
        print(f"  scheduled: {schedule.spec} ({schedule.timezone}), next {next_run}, as @{importer.username}")
    for warning in outcome.warnings:
        print(f"  ignored: {warning}")
    return 0


async def export_command(args: argparse.Namespace, settings: Settings) -> int:
    """``playbook export NAME [--team NAME] [--format json|yaml] [--output FILE]``."""
    document_format = DocumentFormat(args.format)
    async with bot_services(settings) as services:
        playbook = await _find(services, await _teams(services, settings, args.team), args.name)
        try:
            _, text = await export(services, services.bot.id, playbook, format=document_format)
        except DomainError as error:
            raise CliError(error.message) from error
    return await write_output(text, args.output, f"“{playbook.title}”")


async def _find(services: Services, teams: Sequence[MMTeam], name: str) -> Playbook:
    for team in teams:
        try:
            return await find_playbook(services, services.bot.id, team.id, name)
        except PlaybookNotFoundError:
            continue
        except DomainError as error:
            raise CliError(error.message) from error
    where = ", ".join(team.name for team in teams)
    raise CliError(f"No playbook called {name!r} in {where}. `playbooks-bot playbook list` shows them.")


async def list_command(args: argparse.Namespace, settings: Settings) -> int:
    """``playbook list [--team NAME]``: one line per playbook the bot can see."""
    async with bot_services(settings) as services:
        teams = await _teams(services, settings, args.team)
        playbooks = await visible_playbooks(services, services.bot.id, [team.id for team in teams])
    names = {team.id: team.name for team in teams}
    if not playbooks:
        print(f"No playbooks in {', '.join(names.values())}.")
        return 0
    rows = [("TEAM", "ID", "VISIBILITY", "CHECKLISTS", "TASKS", "TITLE")]
    rows += [
        (
            names.get(playbook.team_id, playbook.team_id),
            playbook.id,
            "public" if playbook.public else "private",
            str(len(playbook.checklists)),
            str(playbook.item_count),
            playbook.title,
        )
        for playbook in playbooks
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]) - 1)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[-1])
    return 0
