"""Several ``playbooks-bot serve`` processes on one PostgreSQL database, behind a load balancer.

The simulator runs in the test process; each replica is a real subprocess that reaches it over
loopback. Mattermost calls the bot through :class:`RoundRobinProxy`, which stands for the load
balancer of a real deployment: the slash command's URL and every button and dialog URL (the
replicas' public URL) point at it, and it hands each request to the next live replica. The
replicas share a :class:`~bot.clock.FileClock`, so a test moves time for all of them at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import signal
import socket
import sys
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
from aiohttp import web

from bot.clock import write_clock_file
from mattermost_sim import Simulator
from tests.waiting import eventually

ROOT = Path(__file__).resolve().parents[2]
READY_LINE = "Playbooks Bot is running as"
PORT_TAKEN = "Could not listen on"
START_ATTEMPTS = 3
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
PROXY_TIMEOUT_S = 30.0
HOP_BY_HOP = frozenset({"host", "content-length", "transfer-encoding", "connection", "keep-alive"})


def unused_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Replica:
    """One ``playbooks-bot serve`` process."""

    name: str
    port: int
    log_path: Path
    process: asyncio.subprocess.Process
    log_start: int = 0
    """Where this process's output begins in the log (a replica started again appends to it)."""

    @property
    def url(self) -> str:
        """Where this replica serves HTTP."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        """Whether the process is still alive."""
        return self.process.returncode is None

    def log(self) -> str:
        """Everything written to the replica's log so far (stdout and stderr)."""
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def own_log(self) -> str:
        """What this process wrote so far."""
        try:
            with self.log_path.open("rb") as log:
                log.seek(self.log_start)
                return log.read().decode("utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def kill(self) -> None:
        """SIGKILL: the process dies at once, mid-work, without cleaning up."""
        if self.running:
            self.process.send_signal(signal.SIGKILL)

    async def stop(self) -> None:
        """SIGTERM and wait for a clean exit; SIGKILL if it takes too long."""
        if self.running:
            self.process.send_signal(signal.SIGTERM)
        try:
            async with asyncio.timeout(STOP_TIMEOUT_S):
                await self.process.wait()
        except TimeoutError:
            self.kill()
            await self.process.wait()


@dataclass
class RoundRobinProxy:
    """A load balancer in front of the replicas: each request goes to the next live one.

    A replica that refuses the connection (it was killed) is skipped, as a balancer's health
    check would; :attr:`served` counts the requests each replica answered, by path.
    """

    targets: list[Replica] = field(default_factory=list)
    served: Counter[tuple[str, str]] = field(default_factory=Counter)
    port: int = 0
    _runner: web.AppRunner | None = None
    _session: aiohttp.ClientSession | None = None
    _turn: itertools.count[int] = field(default_factory=itertools.count)

    @property
    def url(self) -> str:
        """The address Mattermost calls (the replicas' public URL)."""
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        """Listen on a free port."""
        self.port = self.port or unused_port()
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=PROXY_TIMEOUT_S))
        app = web.Application(client_max_size=1024 * 1024)
        app.router.add_route("*", "/{path:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    def replicas_serving(self, path: str) -> set[str]:
        """The names of the replicas that answered requests for ``path``."""
        return {name for (name, served_path), count in self.served.items() if served_path == path and count}

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        assert self._session is not None
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        live = [replica for replica in self.targets if replica.running]
        if not live:
            return web.Response(status=502, text="no replica is running")
        first = next(self._turn)
        for offset in range(len(live)):
            replica = live[(first + offset) % len(live)]
            try:
                async with self._session.request(
                    request.method, replica.url + request.path_qs, data=body, headers=headers
                ) as answer:
                    content = await answer.read()
                    self.served[(replica.name, request.path)] += 1
                    kept = {k: v for k, v in answer.headers.items() if k.lower() not in HOP_BY_HOP}
                    return web.Response(status=answer.status, body=content, headers=kept)
            except aiohttp.ClientConnectionError:
                continue  # a dead replica: the next one gets the request
        return web.Response(status=502, text="no replica answered")


@dataclass
class ReplicaSet:
    """The replicas of one test: how to start, kill and restart them, and their shared clock."""

    sim: Simulator
    database_url: str
    workdir: Path
    proxy: RoundRobinProxy
    env: dict[str, str] = field(default_factory=dict)
    replicas: list[Replica] = field(default_factory=list)
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def clock_file(self) -> Path:
        """The file every replica reads the time from."""
        return self.workdir / "clock.txt"

    def set_time(self, moment: datetime) -> None:
        """Move every replica's clock to ``moment``."""
        self.now = moment
        write_clock_file(self.clock_file, moment)

    def advance(self, delta: timedelta) -> datetime:
        """Move every replica's clock forward by ``delta``; the new time."""
        self.set_time(self.now + delta)
        return self.now

    def replica_env(self, port: int, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """The environment of a replica listening on ``port``."""
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")])),
            "PLAYBOOKS_MATTERMOST_URL": self.sim.url,
            "PLAYBOOKS_MATTERMOST_TOKEN": "bot-token",
            "PLAYBOOKS_TEAMS": "acme",
            "PLAYBOOKS_DATABASE_URL": self.database_url,
            "PLAYBOOKS_LISTEN": f"127.0.0.1:{port}",
            "PLAYBOOKS_PUBLIC_URL": self.proxy.url,
            "PLAYBOOKS_CLOCK_FILE": str(self.clock_file),
            "PLAYBOOKS_SCHEDULER_POLL_SECONDS": "0.2",
            "PLAYBOOKS_REQUEST_TIMEOUT": "2",
            "PLAYBOOKS_LOG_LEVEL": "INFO",
            "PLAYBOOKS_ALLOW_PRIVATE_WEBHOOK_ADDRESSES": "true",
            **self.env,
            **(extra or {}),
        }
        return env

    async def launch(self, name: str, extra_env: Mapping[str, str] | None = None) -> Replica:
        """Start a replica without waiting for it to be ready."""
        if not self.clock_file.exists():
            self.set_time(self.now)
        port = unused_port()
        log_path = self.workdir / f"{name}.log"
        log_start = log_path.stat().st_size if log_path.exists() else 0
        with log_path.open("ab") as log_file:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot.cli",
                "serve",
                cwd=self.workdir,
                env=self.replica_env(port, extra_env),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log_file,
                stderr=log_file,
            )
        replica = Replica(name, port, log_path, process, log_start)
        self.replicas.append(replica)
        self.proxy.targets.append(replica)
        return replica

    async def wait_ready(self, replica: Replica, *, within: float = START_TIMEOUT_S) -> bool:
        """Wait until the replica has started completely (it logs that it is running): True; or
        until it exited because another process took its port before it could listen: False."""

        async def settled() -> bool:
            logged = replica.own_log()
            if READY_LINE in logged:
                return True
            if replica.running:
                return False
            if PORT_TAKEN in logged:
                return True
            raise AssertionError(f"replica {replica.name} exited:\n{logged[-4000:]}")

        await eventually(settled, within=within, what=f"replica {replica.name} to start")
        return READY_LINE in replica.own_log()

    async def start(self, *names: str, extra_env: Mapping[str, str] | None = None) -> list[Replica]:
        """Start replicas together and wait until every one is ready.

        A replica's port is chosen before it binds it; one that another process took meanwhile
        is started again on another port (its log goes on in the same file).
        """
        started = [await self.launch(name, extra_env) for name in names]
        for index, replica in enumerate(started):
            attempts = 1
            while not await self.wait_ready(replica):
                assert attempts < START_ATTEMPTS, f"replica {replica.name} found no free port"
                self.replicas.remove(replica)
                self.proxy.targets.remove(replica)
                replica = started[index] = await self.launch(replica.name, extra_env)
                attempts += 1
        return started

    async def wait_listening(self, bot_user_id: str, count: int, *, within: float = 10.0) -> None:
        """Wait until ``count`` replicas hold a websocket connection to Mattermost."""

        async def connected() -> bool:
            return self.sim.hub.connection_count(bot_user_id) >= count

        await eventually(connected, within=within, what=f"{count} bot websocket connections")

    async def stop_all(self) -> None:
        """Stop every replica still running (SIGTERM, then SIGKILL); always safe to call."""
        await asyncio.gather(*(replica.stop() for replica in self.replicas), return_exceptions=True)

    def logs(self) -> str:
        """The logs of every replica, each under its name (for failure messages)."""
        return "\n".join(f"--- {r.name} ---\n{r.log()[-6000:]}" for r in self.replicas)


@dataclass
class WebhookReceiver:
    """A service receiving the bot's webhooks; it records every request by delivery id.

    While :attr:`holding` is set, requests are held unanswered until it is cleared (to kill the
    replica sending one mid-delivery).
    """

    requests: list[tuple[str, bytes]] = field(default_factory=list)
    holding: bool = False
    port: int = 0
    _release: asyncio.Event = field(default_factory=asyncio.Event)
    _runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        """The address to put in a playbook's webhook settings."""
        return f"http://127.0.0.1:{self.port}/hook"

    def by_delivery(self) -> Counter[str]:
        """How many requests arrived for each delivery id."""
        return Counter(delivery for delivery, _ in self.requests)

    async def start(self) -> None:
        """Listen on a free port."""
        self.port = self.port or unused_port()
        app = web.Application()
        app.router.add_post("/hook", self._receive)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    def release(self) -> None:
        """Stop holding requests; the held ones are answered."""
        self.holding = False
        self._release.set()

    async def stop(self) -> None:
        """Stop listening."""
        self.release()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _receive(self, request: web.Request) -> web.Response:
        self.requests.append((request.headers.get("X-Playbooks-Delivery", ""), await request.read()))
        if self.holding:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(PROXY_TIMEOUT_S):
                    await self._release.wait()
        return web.Response(status=204)
