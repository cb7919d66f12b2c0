"""Waiting in tests: for something to happen, never for time to pass.

A test that needs the world to reach a state waits for that state with :func:`eventually`, which
asks again until the answer is yes and fails, naming what it waited for, when it never comes.
The pause between two questions only paces the asking; nothing is concluded from it. To show
that something did *not* happen, wait for the event after which it would have shown (the bot has
handled the event, the job is done, the request was served), then look.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable

WITHIN_S = 10.0
"""How long :func:`eventually` waits by default before it fails."""
POLL_S = 0.02
"""How often :func:`eventually` asks."""


async def eventually(
    check: Callable[[], bool | Awaitable[bool]],
    what: str = "the condition",
    *,
    within: float = WITHIN_S,
    poll: float = POLL_S,
) -> None:
    """Wait until ``check()`` (a plain or an async function) is true; fail the test naming
    ``what`` when it is still false after ``within`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        answer = check()
        if inspect.isawaitable(answer):
            answer = await answer
        if answer:
            return
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {within:g} s waiting for {what}")
        await asyncio.sleep(poll)
