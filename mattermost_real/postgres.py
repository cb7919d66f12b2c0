"""A PostgreSQL server of our own: for a real Mattermost, or for a test that restarts its database.

It is created with ``initdb`` in a temporary directory and listens on a free loopback port, with
trust authentication and durability off (it only holds scratch data). PostgreSQL refuses to run as
root, so as root it runs as the ``postgres`` account through ``runuser``; the directory lives under
the system's temporary directory so that account can reach it whatever the caller's home allows.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

COMMAND_TIMEOUT_S = 60
SERVER_ACCOUNT = "postgres"


class PrivatePostgresUnavailable(Exception):  # noqa: N818 - a reason to skip, not a failure
    """No private server can be made here; the message says why."""


def unused_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def postgres_bin_dir() -> Path:
    """The folder of the installed PostgreSQL programs (the newest version when several are)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb is None:
        raise PrivatePostgresUnavailable("initdb is not installed (Debian: apt-get install postgresql)")
    return Path(initdb).parent


@dataclass
class PrivatePostgres:
    """A private server: its programs, data directory and port."""

    bin_dir: Path
    data_dir: Path
    port: int

    @property
    def url(self) -> str:
        """The SQLAlchemy URL of its ``postgres`` database."""
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def dsn(self, database: str) -> str:
        """A ``postgres://`` URL of one of its databases, as Go's lib/pq (Mattermost) takes it."""
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}?sslmode=disable&connect_timeout=10"

    def _run(self, *args: str) -> str:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", SERVER_ACCOUNT, "--", *command]
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S, check=False
        )
        if result.returncode != 0:
            raise PrivatePostgresUnavailable(f"{args[0]} failed: {result.stderr.strip()[-500:]}")
        return result.stdout

    def initdb(self) -> None:
        """Create the cluster in :attr:`data_dir`."""
        self._run("initdb", "-D", str(self.data_dir), "-A", "trust", "-U", "postgres", "--no-sync")

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.data_dir} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        log = str(self.data_dir / "server.log")
        self._run("pg_ctl", "-D", str(self.data_dir), "-o", options, "-l", log, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``fast`` ends sessions; ``immediate`` is a crash)."""
        self._run("pg_ctl", "-D", str(self.data_dir), "-m", mode, "-w", "stop")

    def restart(self) -> None:
        """Stop the server, dropping every connection, and start it again on the same port."""
        self.stop()
        self.start()

    def sql(self, statement: str) -> str:
        """Run one SQL statement in the ``postgres`` database with ``psql``; what it printed."""
        return self._run(
            "psql",
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-v",
            "ON_ERROR_STOP=1",
            "-Atc",
            statement,
        )


def create_private_postgres(prefix: str = "playbooks-pg-") -> PrivatePostgres:
    """Make and start a private server in a new temporary directory; remove it with :func:`destroy`."""
    bin_dir = postgres_bin_dir()
    root = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        if os.geteuid() == 0:
            try:
                shutil.chown(root, SERVER_ACCOUNT, SERVER_ACCOUNT)
            except (LookupError, PermissionError) as error:
                raise PrivatePostgresUnavailable(f"no {SERVER_ACCOUNT} account to run PostgreSQL") from error
        server = PrivatePostgres(bin_dir, root / "data", unused_port())
        server.initdb()
        server.start()
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
    return server


def destroy(server: PrivatePostgres) -> None:
    """Stop a server made by :func:`create_private_postgres` and remove its directory."""
    with suppress(PrivatePostgresUnavailable, subprocess.TimeoutExpired):
        server.stop("immediate")
    shutil.rmtree(server.data_dir.parent, ignore_errors=True)


@contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    """A private server for the body; raises :class:`PrivatePostgresUnavailable` if impossible."""
    server = create_private_postgres()
    try:
        yield server
    finally:
        destroy(server)
