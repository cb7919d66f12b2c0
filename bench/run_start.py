"""Run start: with 20 ms added to every Mattermost call, how long ``/playbook run`` takes to the last
checklist post, and how many round trips on its critical path had to run one after another.

The playbook has 4 checklists of 5 items and a welcome message (6 posts). The simulator's request
log gives the bot's REST calls between the command and the last post of the run; the longest chain
of calls each starting after the previous one ended is the number of sequential round trips.
Baseline, measured in the same run: 5 plain sequential REST calls with the same added latency
(the command itself plus the round trips the goal allows), i.e. the network floor of the goal.

The goal is 7 round trips: the channel, its members, then the posts one after another. A real
Mattermost orders a channel by ``create_at``, set on receipt to the millisecond, and gives posts
that tie no guaranteed order; so each post waits for the answer to the one before it.

Run: ``python -m bench.run_start`` (``--quick`` for a smoke run).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass

import aiohttp

from mattermost_sim.client import Person
from mattermost_sim.faults import Faults, RequestRecord

from .world import World, options, percentile, playbook_document, quiet_logs, ratio_line, running_world

LATENCY = 0.020
GOAL_ROUND_TRIPS = 7
COMMAND_PATH = "/api/v4/commands/execute"


@dataclass(frozen=True)
class StartTiming:
    """One run start: seconds from the command to the last post, and the calls in between."""

    seconds: float
    round_trips: int
    calls: int
    chain: tuple[str, ...]


def critical_path(records: Sequence[RequestRecord]) -> tuple[str, ...]:
    """The requests of the longest chain, each starting after the previous one ended."""
    chain: list[str] = []
    last_end = float("-inf")
    for record in sorted(records, key=lambda r: r.end):
        if record.start >= last_end:
            chain.append(f"{record.method} {record.path}")
            last_end = record.end
    return tuple(chain)


async def start_one(world: World, alice: Person, playbook_title: str, number: int) -> StartTiming:
    """Start one run as alice and measure it from the simulator's request log."""
    faults = world.sim.faults
    faults.log.clear()
    began = time.monotonic()
    await alice.execute(world.town_square_id, f'/playbook run "{playbook_title}" bench {number}')
    await world.settle()
    records = [r for r in faults.log if r.start >= began]
    post_writes = [r for r in records if r.method in ("POST", "PUT") and _is_post(r.path)]
    if not post_writes:
        raise RuntimeError("the run's posts were never created")
    last_post_end = max(r.end for r in post_writes)
    bot_calls = [r for r in records if r.path != COMMAND_PATH and r.end <= last_post_end]
    command = [r for r in records if r.path == COMMAND_PATH]
    first = min((r.start for r in command), default=began)
    return StartTiming(
        seconds=last_post_end - first,
        round_trips=Faults.sequential_round_trips(bot_calls),
        calls=len(bot_calls),
        chain=critical_path(bot_calls),
    )


def _is_post(path: str) -> bool:
    return path == "/api/v4/posts" or (path.startswith("/api/v4/posts/") and path.count("/") == 4)


async def network_floor(world: World, calls: int, repeats: int) -> float:
    """Median seconds of ``calls`` sequential plain REST calls (``GET /users/me``) with the latency."""
    timings = []
    async with aiohttp.ClientSession(headers={"Authorization": "Bearer alice-token"}) as session:
        for _ in range(repeats):
            began = time.monotonic()
            for _ in range(calls):
                async with session.get(f"{world.sim.url}/api/v4/users/me") as response:
                    await response.read()
            timings.append(time.monotonic() - began)
    return statistics.median(timings)


async def main(quick: bool) -> None:
    """Start runs one after another and print the figures."""
    quiet_logs()
    starts = 4 if quick else 20
    async with running_world() as world:
        playbook = await world.add_playbook(playbook_document("Bench", checklists=4, items_per_checklist=5))
        world.sim.faults.add_latency(LATENCY)
        async with Person(world.sim.url, "alice-token") as alice:
            timings = [await start_one(world, alice, playbook.title, n) for n in range(1, starts + 1)]
        floor = await network_floor(world, GOAL_ROUND_TRIPS + 1, repeats=5)
    cold, warm = timings[0], timings[1:]
    seconds = [t.seconds for t in warm]
    print(f"playbook: 4 checklists, 20 items, welcome message (6 posts); {LATENCY * 1000:.0f} ms per call")
    print(f"runs started: {len(timings)} (the first with the bot's caches cold)")
    print(
        f"first run: {cold.seconds * 1000:.0f} ms, "
        f"{cold.round_trips} sequential round trips, {cold.calls} calls"
    )
    print(
        f"later runs: median {statistics.median(seconds) * 1000:.0f} ms, "
        f"p90 {percentile(seconds, 0.9) * 1000:.0f} ms, "
        f"sequential round trips {min(t.round_trips for t in warm)}-{max(t.round_trips for t in warm)}, "
        f"calls {statistics.median(t.calls for t in warm):.0f}"
    )
    print("critical path of the first run (the command itself not counted):")
    for step in cold.chain:
        print(f"  {step}")
    print(f"baseline: {GOAL_ROUND_TRIPS + 1} sequential plain calls take {floor * 1000:.0f} ms")
    worst = max(t.round_trips for t in timings)
    verdict = "met" if worst <= GOAL_ROUND_TRIPS else "missed"
    print(f"goal <= {GOAL_ROUND_TRIPS} sequential round trips: {verdict} (worst {worst})")
    print(
        ratio_line(
            statistics.median(seconds) / floor,
            f"ours/baseline seconds, median run start over {GOAL_ROUND_TRIPS + 1} plain round trips",
            f"<= 1 plus our processing; round trips {worst} vs <= {GOAL_ROUND_TRIPS}",
        )
    )


if __name__ == "__main__":
    asyncio.run(main(options(__doc__ or "").quick))
