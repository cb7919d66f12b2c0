"""A closed-loop load generator: many simulated people sending requests as fast as they are answered.

It runs in its own process (``multiprocessing``, spawn), so the people do not share an event loop
with the server they measure; the server side keeps the other core.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import random
import time
from dataclasses import dataclass, field

import aiohttp


@dataclass(frozen=True)
class Request:
    """One request a person can send: URL, body and content type."""

    url: str
    body: bytes
    content_type: str


@dataclass
class LoadResult:
    """What the people saw: seconds to each answer, failures, and the measured wall time."""

    latencies: list[float] = field(default_factory=list)
    failures: int = 0
    seconds: float = 0.0

    @property
    def throughput(self) -> float:
        """Answered requests per second."""
        return len(self.latencies) / self.seconds if self.seconds else 0.0


async def _person(
    session: aiohttp.ClientSession, plan: list[Request], until: float, think: float, result: LoadResult
) -> None:
    turn = 0
    pause = random.Random(id(plan))
    while time.monotonic() < until:
        if think:
            # Uniform over [0, 2 * think]: the people do not all click at the same instant.
            await asyncio.sleep(pause.uniform(0, 2 * think))
        request = plan[turn % len(plan)]
        turn += 1
        began = time.monotonic()
        try:
            async with session.post(
                request.url, data=request.body, headers={"Content-Type": request.content_type}
            ) as response:
                await response.read()
                ok = response.status == 200
        except (aiohttp.ClientError, TimeoutError):
            ok = False
        if ok:
            result.latencies.append(time.monotonic() - began)
        else:
            result.failures += 1


async def drive(plans: list[list[Request]], seconds: float, think: float = 0.0) -> LoadResult:
    """Each plan is one person, sending its requests in turn for ``seconds``, pausing ``think``
    seconds on average before each (0: as fast as they are answered)."""
    result = LoadResult()
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        began = time.monotonic()
        until = began + seconds
        await asyncio.gather(*(_person(session, plan, until, think, result) for plan in plans))
        result.seconds = time.monotonic() - began
    return result


def _drive_in_child(
    plans: list[list[Request]], seconds: float, think: float, results: multiprocessing.Queue[LoadResult]
) -> None:
    results.put(asyncio.run(drive(plans, seconds, think)))


async def drive_elsewhere(plans: list[list[Request]], seconds: float, think: float = 0.0) -> LoadResult:
    """:func:`drive` in a child process; the caller's event loop keeps serving meanwhile."""
    context = multiprocessing.get_context("spawn")
    results: multiprocessing.Queue[LoadResult] = context.Queue()
    child = context.Process(target=_drive_in_child, args=(plans, seconds, think, results), daemon=True)
    child.start()
    try:
        deadline = time.monotonic() + seconds + 60
        while results.empty():
            if time.monotonic() > deadline or (not child.is_alive() and results.empty()):
                raise RuntimeError("the load generator did not report")
            await asyncio.sleep(0.05)
        return results.get()
    finally:
        child.join(timeout=5)
        if child.is_alive():
            child.kill()
