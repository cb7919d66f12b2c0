"""Listening throughput: ``posted`` events pushed by the simulator through the bot's whole path.

500 playbooks with 4 keywords each; people chat in a channel the bot is in, and about one message
in a hundred holds a keyword. The bot receives each event on its websocket, decodes it, matches
the message against the 2,000 keywords and ignores it (or prompts, for the few that match).
Messages go out in bursts the websocket's send queue can hold; the rate is events handled per
second from the first message to the last event handled.

Baseline, measured in the same run: a bare aiohttp websocket loop that only receives and decodes
the same events. Peer: mmpy_bot (installed by this script into ``bench/.venv-peer``, not a project
dependency) with the same keywords as ``listen_to`` handlers against the same stream; when it
cannot be installed or cannot connect, it is reported as unavailable.

Run: ``python -m bench.listening`` (``--quick`` for a smoke run).
"""

from __future__ import annotations

import asyncio
import json
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp

from bot.mattermost.events import Event, PostedEvent
from handlers.events import EventListener
from mattermost_sim.models import Channel, User

from .world import World, options, quiet_logs, ratio_line, running_world

PLAYBOOKS = 500
KEYWORDS_PER_PLAYBOOK = 4
MATCH_EVERY = 100
BURST = 200
WAIT_SECONDS = 60.0
GOAL_RATIO = 0.5
PEER_DIR = Path(__file__).parent / ".venv-peer"
PEER_SCRIPT = Path(__file__).parent / "peer_mmpy.py"
END_MARKER = "zz-end-of-chatter-zz"
WORDS = [
    "deploy",
    "lunch",
    "review",
    "meeting",
    "coffee",
    "merge",
    "branch",
    "ticket",
    "sprint",
    "cache",
    "latency",
    "dashboard",
    "alert",
    "retro",
    "design",
    "draft",
    "budget",
    "roadmap",
    "customer",
    "support",
    "release",
    "notes",
    "weekend",
]

Send = Callable[[int], Awaitable[None]]


def keyword(playbook_no: int, keyword_no: int) -> str:
    """The ``keyword_no``-th keyword of the ``playbook_no``-th playbook."""
    return f"signal{playbook_no:03d}{'abcd'[keyword_no]}"


def chatter(count: int) -> list[str]:
    """``count`` messages, one in :data:`MATCH_EVERY` holding a keyword."""
    pick = random.Random(11)
    messages = []
    for number in range(count):
        words = [pick.choice(WORDS) for _ in range(pick.randint(4, 14))]
        if number % MATCH_EVERY == MATCH_EVERY - 1:
            words.insert(pick.randint(0, len(words)), keyword(pick.randrange(PLAYBOOKS), pick.randrange(4)))
        messages.append(" ".join(words))
    return messages


async def seed_playbooks(world: World) -> None:
    """500 playbooks with keyword triggers on."""
    for number in range(PLAYBOOKS):
        document = {
            "version": 1,
            "title": f"Signal {number:03d}",
            "signal_any_keywords_enabled": True,
            "signal_any_keywords": [keyword(number, k) for k in range(KEYWORDS_PER_PLAYBOOK)],
            "checklists": [{"title": "Triage", "items": [{"title": "Look"}]}],
        }
        await world.add_playbook(document)


def post_all(world: World, author: User, channel: Channel, messages: list[str]) -> None:
    """Post the messages as ``author`` (the simulator pushes each as a ``posted`` event)."""
    for message in messages:
        world.sim.state.create_post(author, channel, message)


async def in_bursts(
    messages: list[str], post: Callable[[list[str]], None], handled: Callable[[], int]
) -> float:
    """Post in bursts, waiting for each to be handled; seconds from the first post to the last event."""
    began = time.monotonic()
    async with asyncio.timeout(WAIT_SECONDS):
        for start in range(0, len(messages), BURST):
            burst = messages[start : start + BURST]
            post(burst)
            # Polled: the count moves in code that signals nothing.
            while handled() < start + len(burst):  # noqa: ASYNC110
                await asyncio.sleep(0.001)
    return time.monotonic() - began


class CountingListener:
    """Counts the ``posted`` events every handler of the bot is done with."""

    def __init__(self, listener: EventListener) -> None:
        self.count = 0

        def counted(event: Event) -> None:
            if isinstance(event, PostedEvent):
                self.count += 1

        listener.after_handled(counted)


async def bare_listener(world: World, token: str, counter: list[int], ready: asyncio.Event) -> None:
    """The baseline: receive frames and decode each event and its post, nothing else."""
    url = world.sim.url.replace("http", "ws", 1) + "/api/v4/websocket"
    async with (
        aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as session,
        session.ws_connect(url) as ws,
    ):
        ready.set()
        async for message in ws:
            if message.type is not aiohttp.WSMsgType.TEXT:
                break
            event = json.loads(message.data)
            if event.get("event") == "posted":
                json.loads(event["data"]["post"])
                counter[0] += 1


async def measure_baseline(world: World, author: User, channel: Channel, messages: list[str]) -> float:
    """Events per second of the bare loop (the bot's websocket is stopped meanwhile)."""
    counter = [0]
    ready = asyncio.Event()
    listener = asyncio.create_task(bare_listener(world, "root-token", counter, ready))
    try:
        async with asyncio.timeout(10):
            await ready.wait()
        root = world.sim.state.user_by_username("root")
        assert root is not None
        async with asyncio.timeout(10):
            await world.sim.hub.wait_connected(root.id)
        seconds = await in_bursts(messages, lambda b: post_all(world, author, channel, b), lambda: counter[0])
    finally:
        listener.cancel()
        await asyncio.gather(listener, return_exceptions=True)
    return len(messages) / seconds


def peer_python() -> Path | str:
    """The peer virtualenv's python with mmpy_bot installed, or why it could not be made."""
    python = PEER_DIR / "bin" / "python"
    try:
        if not python.exists():
            subprocess.run(
                [sys.executable, "-m", "venv", str(PEER_DIR)], check=True, capture_output=True, timeout=120
            )
        probe = subprocess.run([str(python), "-c", "import mmpy_bot"], capture_output=True, timeout=60)
        if probe.returncode != 0:
            install = subprocess.run(
                [str(python), "-m", "pip", "install", "-q", "mmpy_bot"],
                capture_output=True,
                text=True,
                timeout=300,
            )
            if install.returncode != 0:
                return "pip install mmpy_bot failed: " + (install.stderr.strip().splitlines() or ["?"])[-1]
    except (OSError, subprocess.SubprocessError) as error:
        return f"could not prepare {PEER_DIR}: {error}"
    return python


def frames_waiting(world: World, user_id: str) -> int:
    """Frames the simulator has queued but not yet written to the user's websockets."""
    sockets = world.sim.hub._sockets  # the simulator's own bookkeeping; no API exposes it
    return sum(
        sock.outbound.qsize()
        for sock in sockets
        if sock.connection is not None and sock.connection.user_id == user_id
    )


async def measure_peer(world: World, author: User, channel: Channel, messages: list[str]) -> float | str:
    """Events per second of mmpy_bot, or why it is unavailable."""
    python = await asyncio.to_thread(peer_python)
    if isinstance(python, str):
        return python
    peer = world.sim.state.add_user("peerbot", "peer-token", is_bot=True)
    world.sim.state.add_team_member(world.team, peer)
    world.sim.state.add_channel_member(channel, peer, announce=False)
    with tempfile.TemporaryDirectory(prefix="playbooks-peer-") as tmp:
        keywords_file, result_file = Path(tmp) / "keywords.txt", Path(tmp) / "result.txt"
        keywords_file.write_text(
            "\n".join(keyword(p, k) for p in range(PLAYBOOKS) for k in range(KEYWORDS_PER_PLAYBOOK))
        )
        process = await asyncio.create_subprocess_exec(
            str(python),
            str(PEER_SCRIPT),
            str(world.sim.port),
            "peer-token",
            str(keywords_file),
            str(result_file),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            try:
                async with asyncio.timeout(30):
                    await world.sim.hub.wait_connected(peer.id)
            except TimeoutError:
                return "mmpy_bot did not connect to the simulator's websocket within 30 s"
            began = time.time()
            for start in range(0, len(messages), BURST):
                post_all(world, author, channel, messages[start : start + BURST])
                # The simulator cuts off a client 256 frames behind, as Mattermost does.
                while frames_waiting(world, peer.id) > BURST // 2:  # noqa: ASYNC110
                    await asyncio.sleep(0.005)
            post_all(world, author, channel, [END_MARKER])
            try:
                async with asyncio.timeout(WAIT_SECONDS):
                    await process.wait()
            except TimeoutError:
                return f"mmpy_bot did not get through {len(messages)} events within {WAIT_SECONDS:.0f} s"
            if not result_file.exists():
                error = (await process.stderr.read()).decode() if process.stderr else ""
                return "mmpy_bot stopped without finishing: " + (error.strip().splitlines() or ["?"])[-1]
            return len(messages) / (float(result_file.read_text()) - began)
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()


async def main(quick: bool, with_peer: bool = True) -> None:
    """Measure the bot, the baseline and the peer; print the figures."""
    quiet_logs()
    messages = chatter(2_000 if quick else 10_000)
    async with running_world() as world:
        began = time.monotonic()
        await seed_playbooks(world)
        seeded = time.monotonic() - began
        print(f"{PLAYBOOKS} playbooks with {KEYWORDS_PER_PLAYBOOK} keywords each ({seeded:.1f} s)")
        channel = world.sim.state.channels[world.town_square_id]
        author = world.alice
        assert world.bot.listener is not None
        counting = CountingListener(world.bot.listener)
        post_all(world, author, channel, ["warming up the keyword index"])
        async with asyncio.timeout(WAIT_SECONDS):
            while counting.count < 1:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
        counting.count = 0
        seconds = await in_bursts(
            messages, lambda b: post_all(world, author, channel, b), lambda: counting.count
        )
        ours = len(messages) / seconds
        await world.settle()
        assert world.bot.websocket is not None
        await world.bot.websocket.stop()
        baseline = await measure_baseline(world, author, channel, messages)
        peer = await measure_peer(world, author, channel, messages) if with_peer else "skipped"
    print(f"{len(messages)} posted events, 1 in {MATCH_EVERY} with a keyword, bursts of {BURST}")
    print(f"ours: {ours:.0f} events/s")
    print(f"baseline (bare aiohttp websocket, receive and decode): {baseline:.0f} events/s")
    if isinstance(peer, str):
        print(f"peer mmpy_bot: unavailable: {peer}")
    else:
        print(f"peer mmpy_bot: {peer:.0f} events/s; ours/peer {ours / peer:.2f}")
    print(ratio_line(ours / baseline, "ours/baseline events per second", f">= {GOAL_RATIO}"))


if __name__ == "__main__":
    asyncio.run(main(options(__doc__ or "").quick))
