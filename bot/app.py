"""Wiring and lifecycle of the running service: database, Mattermost, HTTP server, websocket."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.command_setup import NOT_CONNECTED, connect_command
from bot.config import Settings, url_password
from bot.logging_setup import register_secret
from bot.mattermost.errors import MattermostError, Unauthorized
from bot.mattermost.gateway import MattermostGateway
from bot.mattermost.websocket import WebsocketSupervisor
from bot.observability import Metrics, Observability, database_check
from bot.scheduler import Scheduler
from bot.security import ContextSigner, derive_key
from bot.services import task_due
from bot.services.catch_up import PostCatchUp
from bot.services.context import Services, utc_now
from bot.services.people import People
from bot.services.run_posts import complete_unfinished_runs
from bot.services.wiring import wire
from handlers.events import EventListener
from handlers.http import COMMAND_PATH, MAX_BODY_BYTES, CallbackServer, CommandTokens, limit_body_size
from handlers.registry import Routers, build_routers
from handlers.replies import Reply
from storage.database import create_engine, session_factory
from storage.locks import replica_lock
from storage.migrate import migrate
from storage.repositories.settings import SettingsRepository

log = logging.getLogger(__name__)


class StartupError(Exception):
    """The service cannot start; the message says why and what to do."""


@dataclass
class BotApp:
    """One running Playbooks Bot: call :meth:`start`, later :meth:`stop`."""

    settings: Settings
    clock: Callable[[], datetime] = utc_now
    services: Services | None = None
    routers: Routers | None = None
    callbacks: CallbackServer | None = None
    engine: AsyncEngine | None = None
    runner: web.AppRunner | None = None
    websocket: WebsocketSupervisor | None = None
    listener: EventListener | None = None
    tokens: CommandTokens = field(default_factory=CommandTokens)
    metrics: Metrics = field(default_factory=Metrics)
    port: int = 0
    scheduler: Scheduler | None = None
    scheduler_timer: bool = True
    """Whether the scheduler wakes itself; tests driving a fake clock call ``scheduler.tick()``."""

    async def start(self) -> None:
        """Migrate, check the token, serve callbacks, register ``/playbook``, start listening."""
        settings = self.settings
        register_secret(settings.mattermost_token.get_secret_value())
        register_secret(url_password(settings.database_url))
        self.engine = create_engine(settings.database_url)
        await migrate(settings.database_url)
        sessions = session_factory(self.engine)
        gateway = MattermostGateway(
            settings.mattermost_url,
            settings.mattermost_token.get_secret_value(),
            request_timeout=settings.request_timeout,
        )
        try:
            bot = await gateway.me()
        except Unauthorized as error:
            await gateway.close()
            raise StartupError(
                "Mattermost refused the bot's token: check mattermost_token (PLAYBOOKS_MATTERMOST_TOKEN)."
            ) from error
        async with sessions() as session, session.begin():
            secret = (
                settings.secret.get_secret_value()
                if settings.secret is not None
                else await SettingsRepository(session).get_or_create_secret()
            )
        register_secret(secret)
        signer = ContextSigner(derive_key(secret, "buttons"))
        self.services = Services(
            gateway=gateway,
            sessions=sessions,
            signer=signer,
            people=People(gateway),
            bot=bot,
            public_url=settings.public_url,
            command_trigger=settings.command_trigger,
            clock=self.clock,
            metrics=self.metrics,
            webhook_key=derive_key(secret, "webhooks"),
            allow_private_webhook_addresses=settings.allow_private_webhook_addresses,
            site_url=settings.mattermost_url,
        )
        # Job kinds, run hooks and gauge sources come from the one wiring the CLI uses too.
        jobs = wire(self.services)
        self.routers = build_routers(settings.command_trigger)
        self.callbacks = CallbackServer(
            tokens=self.tokens,
            signer=signer,
            commands=self.routers.commands,
            actions=self.routers.actions,
            dialogs=self.routers.dialogs,
            services=self.services,
            respond_later=self._respond_later,
            metrics=self.metrics,
        )
        self.services.background = self.callbacks.background
        await self._serve_http()
        await self._register_commands()
        await self._listen()
        self.callbacks.background.spawn(self._complete_unfinished_runs(), name="complete-unfinished-runs")
        self.scheduler = Scheduler(self.services, jobs, poll_seconds=settings.scheduler_poll_seconds)
        if self.scheduler_timer:
            await self.scheduler.start()
        log.info("Playbooks Bot is running as @%s", bot.username)

    async def _serve_http(self) -> None:
        assert self.callbacks is not None
        assert self.services is not None
        assert self.engine is not None
        app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=[limit_body_size])
        self.callbacks.register(app)
        gateway, bot_id = self.services.gateway, self.services.bot.id
        checks = {
            "database": database_check(self.engine),
            # gateway.me() is cached; asking for the bot by id reaches Mattermost with its token.
            "mattermost": lambda: gateway.user(bot_id),
        }
        Observability(self.metrics, checks).register(app)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, self.settings.listen_host, self.settings.listen_port)
        await site.start()
        server = getattr(site, "_server", None)
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else self.settings.listen_port

    async def _register_commands(self) -> None:
        """Connect ``/playbook`` in each configured team (:mod:`bot.command_setup`); keep each
        command's token to verify calls. A team whose command is not connected is logged with the
        steps an administrator must take, and its commands are answered with a note saying so."""
        assert self.services is not None
        assert self.engine is not None
        url = f"{self.settings.public_url}{COMMAND_PATH}"
        trigger = self.settings.command_trigger
        team_ids: list[str] = []
        # One replica at a time: replicas starting together would each find no command and each
        # create one, and Mattermost refuses the second trigger.
        async with replica_lock(self.engine, "register-commands"):
            for team_name in self.settings.teams:
                team_ids.append(await self._register_command(team_name, url))
        self.services.team_ids = tuple(team_ids)
        self.tokens.not_connected_text = NOT_CONNECTED.format(trigger=trigger)

    async def _register_command(self, team_name: str, url: str) -> str:
        """Connect ``/playbook`` in one team and remember its token; the team's id."""
        assert self.services is not None
        gateway = self.services.gateway
        trigger = self.settings.command_trigger
        configured = self.settings.command_tokens.get(team_name)
        try:
            team = await gateway.team_by_name(team_name)
            connection = await connect_command(
                gateway,
                team,
                trigger=trigger,
                command_url=url,
                configured_token=configured.get_secret_value() if configured is not None else None,
            )
        except MattermostError as error:
            raise StartupError(
                f"Could not set up /{trigger} in team {team_name!r}: {error}. Is the bot a member of "
                "that team?"
            ) from error
        if connection.token is None:
            log.warning("%s", connection.instructions)
            self.tokens.not_connected.add(team.id)
            return team.id
        register_secret(connection.token)
        self.tokens.by_team[team.id] = connection.token
        return team.id

    async def _complete_unfinished_runs(self) -> None:
        """Complete runs whose start a stopped process left half-done (one replica at a time)."""
        assert self.services is not None
        assert self.engine is not None
        async with replica_lock(self.engine, "complete-unfinished-runs"):
            completed = await complete_unfinished_runs(self.services)
            dated = await task_due.schedule_missing(self.services)
        if dated:
            log.info("scheduled the due times of %d task(s) that had none", dated)
        if completed:
            log.info("completed %d run(s) whose start was interrupted", len(completed))

    async def _listen(self) -> None:
        assert self.services is not None
        assert self.routers is not None
        # Each handler in its own lane under a time limit (handlers.events). Lost events (a new
        # connection id, a skipped seq) are read back through REST and fed to the same handlers;
        # the mark of the newest handled post says where to start.
        self.listener = EventListener(self.routers.events, self.services)
        catch_up = PostCatchUp(self.services, self.listener.dispatch)
        self.listener.after_handled(catch_up.note)
        self.websocket = WebsocketSupervisor(
            self.settings.mattermost_url,
            self.settings.mattermost_token.get_secret_value(),
            self.listener.dispatch_message,
            on_gap=catch_up.run_for_gap,
        )
        await self.websocket.start()
        await catch_up.start()

    async def _respond_later(self, response_url: str, reply: Reply, user_id: str) -> None:
        """A deferred command reply through its ``response_url``; when Mattermost refuses the hook
        (expired after 30 minutes, used 5 times) or the URL is not one, the person gets it by
        direct message instead, so an answer is never dropped."""
        assert self.services is not None
        gateway = self.services.gateway
        try:
            await gateway.respond_to_command(response_url, reply.to_command_response())
            return
        except (ValueError, MattermostError) as error:
            log.warning("could not answer through the command's response_url (%s); sending a DM", error)
        direct = await gateway.direct_channel(user_id)
        props = {"attachments": [dict(a) for a in reply.attachments]} if reply.attachments else None
        await gateway.create_post(direct.id, reply.text, props=props)

    async def stop(self) -> None:
        """Stop listening, finish in-flight work, close connections."""
        if self.scheduler is not None:
            await self.scheduler.stop()
        if self.websocket is not None:
            await self.websocket.stop()
        if self.listener is not None:
            await self.listener.stop()
        if self.callbacks is not None:
            await self.callbacks.background.drain()
        if self.runner is not None:
            await self.runner.cleanup()
        if self.services is not None:
            await self.services.gateway.close()
        if self.engine is not None:
            await self.engine.dispose()
