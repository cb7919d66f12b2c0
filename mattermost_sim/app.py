"""The simulator's aiohttp application and the :class:`Simulator` that runs it."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from .errors import AppError, unauthorized
from .ids import new_id
from .models import User
from .state import SimState

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

REQUEST_ID_KEY = web.RequestKey("mm_request_id", str)
SERVER_VERSION = "11.4.0"  # the version mattermost_real pins
MAX_PAYLOAD_BYTES = 300_000  # ServiceSettings.MaximumPayloadSizeBytes


def sim_of(request: web.Request) -> Simulator:
    """The simulator serving this request."""
    return request.app[SIM_KEY]


def bearer_token(request: web.Request) -> str:
    """The session token of a request: ``Bearer``/``Token`` header, cookie or ``access_token``."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() in ("bearer", "token") and value.strip():
        return value.strip()
    cookie = request.cookies.get("MMAUTHTOKEN", "")
    if cookie:
        return cookie
    return request.query.get("access_token", "")


def current_user(request: web.Request) -> User:
    """The user the request authenticates as, or 401 AppError."""
    token = bearer_token(request)
    user = sim_of(request).state.user_by_token(token) if token else None
    if user is None:
        raise unauthorized()
    return user


def request_id(request: web.Request) -> str:
    """The ``X-Request-Id`` assigned to this request."""
    value: str = request.get(REQUEST_ID_KEY, "")
    return value


@web.middleware
async def mattermost_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Assign a request id, turn :class:`AppError` into Mattermost's error body, add headers."""
    rid = new_id()
    request[REQUEST_ID_KEY] = rid
    try:
        response = await handler(request)
    except AppError as error:
        response = error.response(rid, developer=sim_of(request).config.enable_developer)
    except web.HTTPException as error:
        if error.status == 404 and request.path.startswith("/api/v4"):
            # Handle404: no request id, and a detail that is never wiped.
            response = AppError(
                404,
                "api.context.404.app_error",
                "Sorry, we could not find the page.",
                f"There doesn't appear to be an api call for the url='{request.path}'.  "
                "Typo? are you missing a team_id or user_id as part of the url?",
                keep_detail=True,
            ).response("")
        elif error.status == 405 and request.path.startswith("/api/v4"):
            response = AppError(405, "api.context.405.app_error", "Method not allowed.").response(rid)
        else:
            raise
    if not response.prepared:
        response.headers.setdefault("X-Request-Id", rid)
        response.headers.setdefault("X-Version-Id", f"{SERVER_VERSION}.0.sim.false")
    return response


@dataclass
class Simulator:
    """A simulated Mattermost server: state, REST, websocket, integrations and test controls.

    Start it in-process with :meth:`start` (an ephemeral port by default) or from the
    shell with ``python -m mattermost_sim``.
    """

    state: SimState = field(default_factory=SimState)
    spec_path: Path | None = None
    strict: bool = False
    site_url: str = ""
    runner: web.AppRunner | None = None
    host: str = "127.0.0.1"
    port: int = 0
    extras: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Imported here so that each area module may import this one for its helpers.
        from .config import SimConfig
        from .faults import Faults
        from .integrations import Integrations
        from .validation import RequestValidator
        from .websocket import WebsocketHub

        self.config = SimConfig()
        self.faults = Faults()
        self.hub = WebsocketHub(self.state)
        self.integrations = Integrations(self)
        self.validator = RequestValidator(self.spec_path) if self.strict else None
        self.app = self._build_app()

    def _build_app(self) -> web.Application:
        from . import config, faults, integrations, validation, websocket
        from .routes import channels, commands, files, posts, system, teams, users

        middlewares: list[Callable[..., Awaitable[web.StreamResponse]]] = [mattermost_middleware]
        if self.validator is not None:
            middlewares.append(validation.middleware)
        middlewares.append(faults.middleware)
        app = web.Application(middlewares=middlewares, client_max_size=50 * 1024 * 1024)
        app[SIM_KEY] = self
        modules = (
            system,
            users,
            teams,
            channels,
            posts,
            commands,
            files,
            integrations,
            websocket,
            faults,
            config,
        )
        for module in modules:
            module.register(app)
        return app

    @property
    def url(self) -> str:
        """The server's base URL, e.g. ``http://127.0.0.1:8065``."""
        return self.site_url or f"http://{self.host}:{self.port}"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Serve on ``host:port`` (``port=0``: an ephemeral port, read back into :attr:`port`)."""
        self.host = host
        self.runner = web.AppRunner(self.app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, host, port)
        await site.start()
        server = getattr(site, "_server", None)
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else port
        log.info("simulated Mattermost listening on %s", self.url)

    async def stop(self) -> None:
        """Close every websocket and the outgoing HTTP session, and stop serving."""
        await self.hub.close_all()
        await self.integrations.close()
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None

    async def restart(self) -> None:
        """Stop and serve again on the same port, forgetting what a server keeps only in memory:
        every websocket connection id and the recent ``pending_post_id`` values."""
        port = self.port
        await self.stop()
        self.hub.forget_connections()
        self.state.pending_posts.clear()
        self.app = self._build_app()
        await self.start(self.host, port)


SIM_KEY = web.AppKey("simulator", Simulator)
