"""Fault controls for tests and benchmarks: latency, errors, 429s, Mattermost's rate limiter."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web


@dataclass
class Faults:
    """Faults to inject into REST requests (placeholder until filled in)."""


@web.middleware
async def middleware(request: web.Request, handler):  # type: ignore[no-untyped-def]
    """Apply configured faults before the route runs."""
    return await handler(request)


def register(app: web.Application) -> None:
    """Add the ``/_sim`` control routes."""
