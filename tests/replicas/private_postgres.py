"""A PostgreSQL server of a test's own, so the test can restart it without disturbing others.

It is created with ``initdb`` in a temporary directory and listens on a free loopback port,
with trust authentication and durability off (it only lives for one test). PostgreSQL refuses
to run as root, so as root it runs as the ``postgres`` account through ``runuser``.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from .harness import unused_port

COMMAND_TIMEOUT_S = 30
SERVER_ACCOUNT = "postgres"


class PrivatePostgresUnavailable(Exception):  # noqa: N818 - a reason to skip, not a failure
    """No private server can be made here; the message says why."""


def _bin_dir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb is None:
        raise PrivatePostgresUnavailable("initdb is not installed")
    return Path(initdb).parent


@dataclass
class PrivatePostgres:
    """A running private server; :meth:`restart` stops it and starts it again."""

    bin_dir: Path
    data_dir: Path
    port: int

    @property
    def url(self) -> str:
        """The SQLAlchemy URL of its ``postgres`` database."""
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", SERVER_ACCOUNT, "--", *command]
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S, check=False
        )
        if result.returncode != 0:
            raise PrivatePostgresUnavailable(f"{args[0]} failed: {result.stderr.strip()[-500:]}")

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.data_dir} -c fsync=off"
        log = str(self.data_dir / "server.log")
        self._run("pg_ctl", "-D", str(self.data_dir), "-o", options, "-l", log, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``fast`` ends sessions; ``immediate`` is a crash)."""
        self._run("pg_ctl", "-D", str(self.data_dir), "-m", mode, "-w", "stop")

    def restart(self) -> None:
        """Stop the server, dropping every connection, and start it again on the same port."""
        self.stop()
        self.start()


@contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    """A private server for the body; raises :class:`PrivatePostgresUnavailable` if impossible."""
    bin_dir = _bin_dir()
    root = Path(tempfile.mkdtemp(prefix="playbooks-pg-"))
    data_dir = root / "data"
    try:
        if os.geteuid() == 0:
            try:
                shutil.chown(root, SERVER_ACCOUNT, SERVER_ACCOUNT)
            except (LookupError, PermissionError) as error:
                raise PrivatePostgresUnavailable(f"no {SERVER_ACCOUNT} account to run PostgreSQL") from error
        server = PrivatePostgres(bin_dir, data_dir, unused_port())
        server._run("initdb", "-D", str(data_dir), "-A", "trust", "-U", "postgres", "--no-sync")
        server.start()
        try:
            yield server
        finally:
            with suppress(PrivatePostgresUnavailable):
                server.stop("immediate")
    finally:
        shutil.rmtree(root, ignore_errors=True)
