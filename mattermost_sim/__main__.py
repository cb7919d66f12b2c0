"""Run the simulator from the shell: ``python -m mattermost_sim --seed seed.yaml``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from pathlib import Path

from .app import Simulator
from .config import LOOPBACK_ALLOWED
from .seed import load_seed_file
from .validation import default_spec_path


async def _serve(args: argparse.Namespace) -> None:
    spec = default_spec_path()
    sim = Simulator(strict=args.strict and spec is not None, spec_path=spec)
    sim.config.allowed_untrusted_internal_connections = args.allowed_untrusted_internal_connections
    if args.seed:
        load_seed_file(sim.state, Path(args.seed))
    await sim.start(args.host, args.port)
    print(f"simulated Mattermost serving on {sim.url}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await sim.stop()


def main() -> None:
    """Parse arguments and serve until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m mattermost_sim", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8065)
    parser.add_argument("--seed", help="YAML file of teams, users and channels")
    parser.add_argument("--strict", action="store_true", help="validate requests against the OpenAPI spec")
    parser.add_argument(
        "--allowed-untrusted-internal-connections",
        default=LOOPBACK_ALLOWED,
        metavar="LIST",
        help="ServiceSettings.AllowedUntrustedInternalConnections: hosts and CIDR ranges integrations "
        f"may be called on (default {LOOPBACK_ALLOWED!r}; '' refuses every reserved address)",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    asyncio.run(_serve(args))


if __name__ == "__main__":
    main()
