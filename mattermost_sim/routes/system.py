"""REST routes: the server's health check."""

from __future__ import annotations

from aiohttp import web

from ._json import status_ok


async def get_ping(request: web.Request) -> web.Response:
    """GET /system/ping: ``{"status": "OK"}``, to anyone (an ``APIHandler`` route: no token needed).

    Health checks call it without a token, and so may a process on this machine that looks for
    its own server on a port the simulator now holds: that request must not count as a bad one.
    """
    return status_ok()


def register(app: web.Application) -> None:
    """Add this area's routes to the application."""
    app.router.add_get("/api/v4/system/ping", get_ping)
