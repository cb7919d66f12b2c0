"""Start, reset and stop a real Mattermost: its own PostgreSQL, configuration by ``MM_*`` variables.

``up`` creates the seed's world once and keeps a copy of the database as a template; ``reset``
puts the server back to that seeded world (same ids, same tokens) by restarting it on a fresh copy,
which is how the end-to-end suite gives each test the world it expects in a few seconds.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import aiohttp
import yaml

from mattermost_sim.seed import Seed

from .build import build, install_dir
from .postgres import PrivatePostgres, create_private_postgres, destroy, postgres_bin_dir, unused_port
from .seeding import seed_world
from .version import PIN

DATABASE = "mattermost"
TEMPLATE = "mattermost_seeded"
INFO_FILE = "server.json"
SEEDED_CONFIG = "config.seeded.json"
START_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 30.0


class ServerError(Exception):
    """Mattermost did not start, or stopped; the message carries the end of its log."""


@dataclass
class ServerInfo:
    """``DIR/server.json``: how to reach the server and the seeded people, and what to stop."""

    url: str
    tokens: dict[str, str]
    pid: int
    port: int
    site_url: str
    postgres_port: int
    postgres_dir: str
    user_ids: dict[str, str] = field(default_factory=dict)
    team_ids: dict[str, str] = field(default_factory=dict)

    def write(self, state_dir: Path) -> None:
        """Save as ``state_dir/server.json``."""
        (state_dir / INFO_FILE).write_text(json.dumps(asdict(self), indent=2) + "\n")

    @classmethod
    def read(cls, state_dir: Path) -> ServerInfo:
        """Load ``state_dir/server.json``."""
        return cls(**json.loads((state_dir / INFO_FILE).read_text()))


def server_environment(
    *, port: int, site_url: str, datasource: str, state_dir: Path, settings: dict[str, str] | None = None
) -> dict[str, str]:
    """The ``MM_*`` variables of a test server: its address, database, files, integrations allowed."""
    environment = {
        "MM_CONFIG": str(state_dir / "config.json"),
        "MM_SQLSETTINGS_DRIVERNAME": "postgres",
        "MM_SQLSETTINGS_DATASOURCE": datasource,
        "MM_SERVICESETTINGS_LISTENADDRESS": f"127.0.0.1:{port}",
        "MM_SERVICESETTINGS_SITEURL": site_url,
        "MM_FILESETTINGS_DIRECTORY": str(state_dir / "files") + "/",
        "MM_LOGSETTINGS_ENABLEFILE": "true",
        "MM_LOGSETTINGS_FILELOCATION": str(state_dir / "logs"),
        "MM_LOGSETTINGS_CONSOLELEVEL": "ERROR",
        "MM_LOGSETTINGS_ENABLEDIAGNOSTICS": "false",
        "MM_SERVICESETTINGS_ENABLESECURITYFIXALERT": "false",
        "MM_ANNOUNCEMENTSETTINGS_ADMINNOTICESENABLED": "false",
        "MM_ANNOUNCEMENTSETTINGS_USERNOTICESENABLED": "false",
        "MM_EMAILSETTINGS_SENDEMAILNOTIFICATIONS": "false",
        "MM_EMAILSETTINGS_REQUIREEMAILVERIFICATION": "false",
        "MM_PLUGINSETTINGS_ENABLE": "false",
        "MM_TEAMSETTINGS_ENABLEOPENSERVER": "true",
        # Integrations the bot needs: its account, its token, and being called on this machine.
        "MM_SERVICESETTINGS_ENABLEBOTACCOUNTCREATION": "true",
        "MM_SERVICESETTINGS_ENABLEUSERACCESSTOKENS": "true",
        "MM_SERVICESETTINGS_ENABLECOMMANDS": "true",
        "MM_SERVICESETTINGS_ENABLEPOSTUSERNAMEOVERRIDE": "false",
        "MM_SERVICESETTINGS_ALLOWEDUNTRUSTEDINTERNALCONNECTIONS": "127.0.0.0/8 localhost ::1",
        "MM_RATELIMITSETTINGS_ENABLE": "false",
    }
    environment.update(settings or {})
    return environment


class RealMattermost:
    """One Mattermost server process with its private PostgreSQL, driven from Python."""

    def __init__(self, state_dir: Path, *, port: int | None = None, site_url: str | None = None) -> None:
        self.state_dir = state_dir.resolve()
        self.port = port or unused_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.site_url = site_url or self.url
        self.postgres: PrivatePostgres | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self.info: ServerInfo | None = None
        self._log_start = 0

    # -- the process ----------------------------------------------------------

    def _environment(self) -> dict[str, str]:
        assert self.postgres is not None
        return {
            **os.environ,
            **server_environment(
                port=self.port,
                site_url=self.site_url,
                datasource=self.postgres.dsn(DATABASE),
                state_dir=self.state_dir,
            ),
        }

    async def start(self) -> None:
        """Start the server (detached, so it outlives ``up``) and wait until it answers ``ping``."""
        self.spawn()
        await self.wait_ready()

    def spawn(self) -> None:
        """Start the server process, its output appended to ``server.log``."""
        home = install_dir(PIN)
        # Only what this process logs can say that it listens: earlier starts wrote there too.
        self._log_start = self._json_log.stat().st_size if self._json_log.exists() else 0
        log = (self.state_dir / "server.log").open("ab")
        self.process = subprocess.Popen(
            [str(home / "bin" / "mattermost"), "server"],
            cwd=home,
            env=self._environment(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()

    @property
    def _json_log(self) -> Path:
        return self.state_dir / "logs" / "mattermost.log"

    def _listening(self) -> bool:
        """Whether this server process has logged that it listens on its port."""
        try:
            with self._json_log.open("rb") as log:
                log.seek(self._log_start)
                logged = log.read()
        except FileNotFoundError:
            return False
        return f"Server is listening on 127.0.0.1:{self.port}".encode() in logged

    async def wait_ready(self, within: float = START_TIMEOUT_S) -> None:
        """Wait until the server logs that it listens, then until ``GET /api/v4/system/ping``
        answers 200.

        The port was chosen before the server bound it, so until the server says it listens,
        whatever answers there may be another program: it is not asked.
        """
        deadline = time.monotonic() + within
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
            while time.monotonic() < deadline:
                if self.process is not None and self.process.poll() is not None:
                    code = self.process.returncode
                    raise ServerError(f"Mattermost exited with {code}:\n{self.log_tail()}")
                try:
                    if self._listening():
                        async with session.get(f"{self.url}/api/v4/system/ping") as response:
                            if response.status == 200:
                                return
                except (aiohttp.ClientError, TimeoutError):
                    pass
                await asyncio.sleep(0.1)
        raise ServerError(f"Mattermost did not answer within {within:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        """The end of the server's log."""
        path = self.state_dir / "server.log"
        if not path.exists():
            return "(no log)"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def stop_process(self, *, graceful: bool = True) -> None:
        """Stop the server process: SIGTERM then SIGKILL, or at once when its data is thrown away."""
        process, self.process = self.process, None
        if process is not None:
            _terminate(process.pid, lambda: process.poll() is not None, graceful=graceful)

    # -- the world ------------------------------------------------------------

    async def up(self, seed: Seed) -> ServerInfo:
        """Database, server, seeded world, template copy; returns (and writes) ``server.json``."""
        build(PIN)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        (self.state_dir / "config.json").write_text("{}\n")
        self.postgres = create_private_postgres(prefix="playbooks-mattermost-pg-")
        try:
            self.postgres.sql(f'CREATE DATABASE "{DATABASE}"')
            await self.start()
            world = await seed_world(self.url, seed)
            self.stop_process()
            self.postgres.sql(f'CREATE DATABASE "{TEMPLATE}" TEMPLATE "{DATABASE}"')
            # Tests may patch the configuration (PUT /config/patch writes this file): keep the seeded one.
            shutil.copyfile(self.state_dir / "config.json", self.state_dir / SEEDED_CONFIG)
            await self.start()
        except BaseException:
            self.stop_process()
            destroy(self.postgres)
            raise
        assert self.process is not None
        self.info = ServerInfo(
            url=self.url,
            tokens=world.tokens,
            pid=self.process.pid,
            port=self.port,
            site_url=self.site_url,
            postgres_port=self.postgres.port,
            postgres_dir=str(self.postgres.data_dir),
            user_ids=world.user_ids,
            team_ids=world.team_ids,
        )
        self.info.write(self.state_dir)
        return self.info

    async def reset(self) -> None:
        """Back to the seeded world: stop, fresh copies of the template database and configuration, start."""
        assert self.postgres is not None
        assert self.info is not None
        self.stop_process(graceful=False)
        self.postgres.sql(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        self.postgres.sql(f'CREATE DATABASE "{DATABASE}" TEMPLATE "{TEMPLATE}"')
        shutil.rmtree(self.state_dir / "files", ignore_errors=True)
        shutil.copyfile(self.state_dir / SEEDED_CONFIG, self.state_dir / "config.json")
        await self.start()
        assert self.process is not None
        self.info.pid = self.process.pid
        self.info.write(self.state_dir)

    def down(self) -> None:
        """Stop the server and remove its database."""
        self.stop_process()
        if self.postgres is not None:
            destroy(self.postgres)
            self.postgres = None


def _terminate(pid: int, gone: Callable[[], bool], *, graceful: bool = True) -> None:
    try:
        os.killpg(pid, signal.SIGTERM if graceful else signal.SIGKILL)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while time.monotonic() < deadline:
        if gone():
            return
        time.sleep(0.05)
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        return


def _pid_gone(pid: int) -> bool:
    try:
        finished, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        return False
    return finished == pid


def down(state_dir: Path) -> None:
    """Stop the server that ``up`` left running in ``state_dir`` and drop its database."""
    info = ServerInfo.read(state_dir)
    _terminate(info.pid, lambda: _pid_gone(info.pid))
    destroy(PrivatePostgres(postgres_bin_dir(), Path(info.postgres_dir), info.postgres_port))
    (state_dir / INFO_FILE).unlink(missing_ok=True)


def load_seed_file(path: Path) -> Seed:
    """A seed file, in the simulator's shape."""
    return Seed.model_validate(yaml.safe_load(path.read_text()) or {})
