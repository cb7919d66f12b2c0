"""The ``playbooks-bot`` command: run the service, and manage playbooks from a terminal.

Every sub-command reads the same configuration: the YAML file given with ``--config`` (by
default ``config.yaml`` in the current directory, when there is one), overridden by
``PLAYBOOKS_*`` environment variables. Problems a person can fix are printed as one line and
end the command with a non-zero exit status, never with a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
import threading
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bot.app import BotApp, StartupError
from bot.cli_playbooks import CliError, add_playbook_commands
from bot.cli_reports import add_report_commands
from bot.clock import FileClock
from bot.config import Settings, load_settings
from bot.logging_setup import configure_logging
from bot.mattermost.errors import MattermostError
from bot.services.context import utc_now

PROGRAM = "playbooks-bot"
DEFAULT_CONFIG = Path("config.yaml")
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

Command = Callable[[argparse.Namespace, Settings], Coroutine[Any, Any, int]]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command."""
    # --config is accepted before the sub-command and after it; SUPPRESS keeps a later default
    # from overwriting an earlier value.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        type=Path,
        default=argparse.SUPPRESS,
        metavar="FILE",
        help=f"YAML configuration (default: {DEFAULT_CONFIG} if present)",
    )
    parser = argparse.ArgumentParser(
        prog=PROGRAM,
        description="Mattermost Playbooks as a bot: runs, checklists, status updates and retrospectives.",
        parents=[common],
    )
    subcommands = parser.add_subparsers(dest="subcommand", metavar="COMMAND", required=True)

    serve = subcommands.add_parser("serve", parents=[common], help="run the bot until stopped")
    serve.set_defaults(command=serve_command)

    add_playbook_commands(subcommands, common)
    add_report_commands(subcommands, common)

    demo = subcommands.add_parser(
        "demo", help="play a run against a simulated Mattermost (no configuration needed)"
    )
    demo.set_defaults(standalone=_demo)
    return parser


def _demo() -> int:
    # Imported here: the demo is the only part of the bot that uses the simulator.
    from bot.demo import run_demo

    return run_demo()


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``playbooks-bot`` with ``argv`` (default: the process's arguments); the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help, or a usage error argparse has already printed
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE
    standalone: Callable[[], int] | None = getattr(args, "standalone", None)
    if standalone is not None:
        return standalone()
    command: Command = args.command
    try:
        settings = read_settings(getattr(args, "config", None))
        configure_logging(
            settings.log_level if args.subcommand == "serve" else logging.WARNING,
            json=settings.log_format == "json",
        )
        return asyncio.run(command(args, settings))
    except CliError as error:
        print(f"{PROGRAM}: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


def read_settings(config: Path | None) -> Settings:
    """The settings from ``config`` (or ``config.yaml`` if present) and the environment."""
    if config is None and DEFAULT_CONFIG.is_file():
        config = DEFAULT_CONFIG
    try:
        return load_settings(config)
    except FileNotFoundError as error:
        raise CliError(f"The configuration file {config} does not exist.", EXIT_USAGE) from error
    except ValidationError as error:
        raise CliError(_describe_settings_problems(error, config), EXIT_USAGE) from error
    except (OSError, ValueError) as error:  # unreadable file, or YAML that doesn't parse
        raise CliError(f"Could not read the configuration {config}: {error}", EXIT_USAGE) from error


def _describe_settings_problems(error: ValidationError, config: Path | None) -> str:
    problems = []
    for problem in error.errors():
        name = ".".join(str(part) for part in problem["loc"]) or "configuration"
        if problem["type"] == "missing":
            problems.append(f"{name} is required (PLAYBOOKS_{name.upper()})")
        else:
            problems.append(f"{name}: {problem['msg']}")
    source = f"{config} and the environment" if config else "the environment (no config file)"
    return f"The configuration from {source} is incomplete: " + "; ".join(problems) + "."


async def serve_command(args: argparse.Namespace, settings: Settings) -> int:
    """``serve``: start the bot and run until SIGINT or SIGTERM, then stop cleanly."""
    try:
        # A clock file is for tests and benchmarks that move time for several processes at once.
        clock = FileClock(settings.clock_file) if settings.clock_file is not None else utc_now
    except ValueError as error:
        raise CliError(str(error), EXIT_USAGE) from error
    app = BotApp(settings, clock=clock)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    # Signal handlers can only be installed from the main thread; elsewhere (an embedding
    # program) the caller stops the bot by cancelling this coroutine.
    in_main_thread = threading.current_thread() is threading.main_thread()
    handled = (signal.SIGINT, signal.SIGTERM) if in_main_thread else ()
    for number in handled:
        loop.add_signal_handler(number, stop.set)
    try:
        try:
            await app.start()
        except StartupError as error:
            raise CliError(str(error), EXIT_USAGE) from error
        except MattermostError as error:
            raise CliError(
                f"Could not reach Mattermost at {settings.mattermost_url}: {error}", EXIT_USAGE
            ) from error
        except OSError as error:
            raise CliError(
                f"Could not listen on {settings.listen}: {error.strerror or error}", EXIT_USAGE
            ) from error
        await stop.wait()
        logging.getLogger(__name__).info("stopping")
        return 0
    finally:
        for number in handled:
            loop.remove_signal_handler(number)
        await app.stop()


if __name__ == "__main__":
    sys.exit(main())
