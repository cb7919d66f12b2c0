"""REST routes: users."""

from __future__ import annotations

from aiohttp import web


def register(app: web.Application) -> None:
    """Add this area's routes to the application."""
