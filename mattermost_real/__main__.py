"""``python -m mattermost_real build | up | down``: a real Mattermost for tests and trials."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

from .build import BuildError, build, install_dir
from .server import RealMattermost, ServerError, down, load_seed_file
from .version import PIN


def _build(args: argparse.Namespace) -> int:
    started = time.monotonic()
    try:
        build(PIN)
    except BuildError as error:
        print(f"build failed: {error}", file=sys.stderr)
        return 1
    print(f"{install_dir(PIN)} ({time.monotonic() - started:.0f} s)")
    return 0


def _up(args: argparse.Namespace) -> int:
    state_dir = Path(args.state_dir)
    server = RealMattermost(state_dir, port=args.port, site_url=args.site_url)
    try:
        info = asyncio.run(server.up(load_seed_file(Path(args.seed))))
    except (BuildError, ServerError) as error:
        print(f"Mattermost could not be started: {error}", file=sys.stderr)
        return 1
    print(f"Mattermost {PIN.release} serving on {info.url} (pid {info.pid}); {state_dir / 'server.json'}")
    return 0


def _down(args: argparse.Namespace) -> int:
    state_dir = Path(args.state_dir)
    if not (state_dir / "server.json").exists():
        print(f"nothing to stop: {state_dir / 'server.json'} does not exist", file=sys.stderr)
        return 1
    down(state_dir)
    print("Mattermost stopped and its database removed")
    return 0


def main() -> None:
    """Parse the command line and do it."""
    parser = argparse.ArgumentParser(prog="python -m mattermost_real", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("build", help="build Mattermost Team Edition into the cache").set_defaults(run=_build)
    up = commands.add_parser("up", help="start it with a seeded world and leave it running")
    up.add_argument("--seed", required=True, help="YAML seed file (the simulator's shape)")
    up.add_argument("--state-dir", required=True, help="folder for its config, files, logs, server.json")
    up.add_argument("--port", type=int, default=None, help="port on 127.0.0.1 (default: a free one)")
    up.add_argument("--site-url", default=None, help="SiteURL, if not its own address")
    up.set_defaults(run=_up)
    stop = commands.add_parser("down", help="stop it and drop its database")
    stop.add_argument("--state-dir", required=True)
    stop.set_defaults(run=_down)
    args = parser.parse_args()
    sys.exit(args.run(args))


if __name__ == "__main__":
    main()
