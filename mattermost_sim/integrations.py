"""The HTTP calls Mattermost makes to integrations, and what the simulator remembers of them.

Slash commands (:mod:`.slash_commands`), message buttons and menus (:mod:`.post_actions`)
and interactive dialogs (:mod:`.dialogs`) all reach the integration through
:meth:`Integrations.send`, which plays the server's outgoing "untrusted" HTTP client: one shared
session, ``User-Agent: Mattermost-Bot/1.1``, ``OutgoingIntegrationRequestsTimeout``, the 1 MiB
response cap, and no connection to loopback, private or otherwise reserved addresses unless
``ServiceSettings.AllowedUntrustedInternalConnections`` (:class:`~.config.SimConfig`) allows them.
Every call is recorded in :attr:`Integrations.calls`, every failed one in
:attr:`Integrations.failures`, for tests and benchmarks to read.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import time
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web
from yarl import URL

from .errors import AppError, invalid_param

if TYPE_CHECKING:
    from .app import Simulator
    from .models import Post

USER_AGENT = "Mattermost-Bot/1.1"
DEFAULT_TIMEOUT_SECONDS = 30.0  # ServiceSettings.OutgoingIntegrationRequestsTimeout
DEFAULT_TRIGGER_TIMEOUT_SECONDS = 30.0  # trigger ids expire after the same timeout on current servers
RESPONSE_URL_LIFETIME_SECONDS = 30 * 60.0  # model.CommandWebhookLifetime
RESPONSE_URL_MAX_USES = 5  # CommandWebhook().TryUse(hook.Id, 5)
MAX_INTEGRATION_RESPONSE_BYTES = 1024 * 1024  # app.MaxIntegrationResponseSize
RECORDS_KEPT = 1000
FORBIDDEN_ADDRESS = (
    "address forbidden, you may need to set AllowedUntrustedInternalConnections to allow an "
    "integration access to your internal network"
)
EPHEMERAL_POSTS_KEPT = 1000


@dataclass(frozen=True)
class OutgoingCall:
    """One HTTP request the simulated server made to an integration."""

    kind: str  # "command", "action" or "dialog_submission"
    method: str
    url: str
    payload: Any  # the form pairs, or the JSON body as sent
    headers: dict[str, str]
    status: int  # 0 when no HTTP response arrived
    elapsed: float  # seconds
    error: str = ""  # transport error or timeout, when there was no response


@dataclass(frozen=True)
class IntegrationFailure:
    """A call whose outcome Mattermost treats as a failure, with the error the client saw."""

    kind: str
    url: str
    error_id: str
    detail: str


@dataclass(frozen=True)
class OpenedDialog:
    """An ``open_dialog`` the simulated server accepted and sent to a user."""

    user_id: str
    url: str
    dialog: dict[str, Any]
    trigger_id: str
    at: int


@dataclass(frozen=True)
class IntegrationReply:
    """The integration's HTTP answer, or the reason there was none (``error``)."""

    status: int = 0
    reason: str = ""
    content_type: str = ""
    body: bytes = b""
    error: str = ""

    @property
    def ok(self) -> bool:
        """Whether the integration answered ``200``."""
        return not self.error and self.status == 200

    @property
    def status_line(self) -> str:
        """``"500 Internal Server Error"``, as Go's ``resp.Status`` reads."""
        return f"{self.status} {self.reason}".strip()


@dataclass
class Integrations:
    """The simulated server's side of every integration round trip.

    Settings mirror Mattermost's configuration and may be changed by tests:
    ``timeout`` (``OutgoingIntegrationRequestsTimeout``), ``trigger_timeout`` (how long a
    ``trigger_id`` may open a dialog), the ``response_url`` lifetime and use limit, and
    the post username/icon override switches (off by default, as in Mattermost).
    """

    sim: Simulator = field(repr=False)
    timeout: float = DEFAULT_TIMEOUT_SECONDS
    trigger_timeout: float = DEFAULT_TRIGGER_TIMEOUT_SECONDS
    response_url_lifetime: float = RESPONSE_URL_LIFETIME_SECONDS
    response_url_max_uses: int = RESPONSE_URL_MAX_USES
    enable_post_username_override: bool = False
    enable_post_icon_override: bool = False
    calls: deque[OutgoingCall] = field(default_factory=lambda: deque(maxlen=RECORDS_KEPT))
    failures: deque[IntegrationFailure] = field(default_factory=lambda: deque(maxlen=RECORDS_KEPT))
    dialogs: deque[OpenedDialog] = field(default_factory=lambda: deque(maxlen=RECORDS_KEPT))
    _session: aiohttp.ClientSession | None = field(default=None, repr=False)

    # -- records --------------------------------------------------------------

    def dialogs_opened(self, user_id: str) -> list[OpenedDialog]:
        """The dialogs opened for a user, oldest first."""
        return [dialog for dialog in self.dialogs if dialog.user_id == user_id]

    def record_failure(self, kind: str, url: str, error: AppError) -> AppError:
        """Remember a failed integration call; return ``error`` for raising."""
        self.failures.append(IntegrationFailure(kind, url, error.error_id, error.detailed_error))
        return error

    def ephemeral_post(self, post_id: str) -> Post | None:
        """A recently delivered ephemeral post (with its integrations), if still remembered."""
        return self.sim.state.ephemeral_posts.get(post_id)

    # -- outgoing HTTP --------------------------------------------------------

    async def send(
        self,
        kind: str,
        method: str,
        url: str,
        *,
        payload: Any,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> IntegrationReply:
        """Make one outgoing request as Mattermost's HTTP client does, and record it.

        ``url`` is used as given (already encoded); ``payload`` is what the record shows.
        Transport errors, invalid URLs and timeouts come back as a reply with ``error``.
        """
        sent_headers = {"User-Agent": USER_AGENT, "Accept": "application/json", **(headers or {})}
        started = time.perf_counter()
        reply = await self._exchange(method, url, body, sent_headers)
        elapsed = time.perf_counter() - started
        self.calls.append(
            OutgoingCall(kind, method, url, payload, sent_headers, reply.status, elapsed, reply.error)
        )
        return reply

    async def _exchange(
        self, method: str, url: str, body: bytes | None, headers: dict[str, str]
    ) -> IntegrationReply:
        try:
            target = URL(url, encoded=True)
            if target.scheme not in ("http", "https") or not target.host:
                return IntegrationReply(error=f"unsupported URL {url!r}")
            refusal = await self._refusal(target.host)
            if refusal:
                return IntegrationReply(error=refusal)
            session = self._client()
            timeout = aiohttp.ClientTimeout(total=self.timeout)
            async with session.request(
                method, target, data=body, headers=headers, timeout=timeout
            ) as response:
                content = await _read_capped(response.content)
                return IntegrationReply(
                    status=response.status,
                    reason=response.reason or "",
                    content_type=response.headers.get("Content-Type", ""),
                    body=content,
                )
        except TimeoutError:
            return IntegrationReply(error=f"timed out after {self.timeout:g}s")
        except (aiohttp.ClientError, ValueError) as error:
            return IntegrationReply(error=f"{type(error).__name__}: {error}")

    async def _refusal(self, host: str) -> str:
        """Why Mattermost's untrusted HTTP client would not connect to ``host`` (``""``: it would).

        A host listed in ``AllowedUntrustedInternalConnections`` is always reached; otherwise each
        address it resolves to must be public or inside a CIDR range of that list.
        """
        config = self.sim.config
        if config.host_allowed(host):
            return ""
        try:
            addresses = [str(ipaddress.ip_address(host))]
        except ValueError:
            try:
                infos = await asyncio.get_running_loop().getaddrinfo(host, None)
            except OSError:
                return ""  # the request itself fails to resolve, as Go's dial would
            addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        reasons = [config.address_refusal(address) for address in addresses]
        if all(reasons):
            return f"{FORBIDDEN_ADDRESS}: {'; '.join(reasons)}"
        return ""

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            # Mattermost's client neither keeps cookies nor follows the integration's own
            # proxy settings; a dummy jar keeps integrations from sharing state through cookies.
            self._session = aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar(), trust_env=False)
        return self._session

    async def close(self) -> None:
        """Close the outgoing HTTP session (a new one is made on the next call)."""
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None


async def _read_capped(stream: aiohttp.StreamReader) -> bytes:
    """Read at most :data:`MAX_INTEGRATION_RESPONSE_BYTES`, as Mattermost's ``LimitReader``."""
    chunks: list[bytes] = []
    total = 0
    async for chunk in stream.iter_chunked(64 * 1024):
        chunks.append(chunk)
        total += len(chunk)
        if total >= MAX_INTEGRATION_RESPONSE_BYTES:
            break
    return b"".join(chunks)[:MAX_INTEGRATION_RESPONSE_BYTES]


# -- helpers shared by the integration routes ---------------------------------


def json_response(body: Any, status: int = 200) -> web.Response:
    """A JSON response with ``Content-Type: application/json`` exactly, as Mattermost sends."""
    return web.Response(status=status, body=json.dumps(body).encode(), content_type="application/json")


async def read_json_object(request: web.Request, param: str) -> dict[str, Any]:
    """The request body as a JSON object, or 400 ``invalid_param(param)``."""
    try:
        body = json.loads(await request.read() or b"null")
    except (ValueError, UnicodeDecodeError) as error:
        raise _with_detail(invalid_param(param), str(error)) from None
    if not isinstance(body, dict):
        raise _with_detail(invalid_param(param), "the body must be a JSON object")
    return body


def _with_detail(error: AppError, detail: str) -> AppError:
    error.detailed_error = detail
    return error


def register(app: web.Application) -> None:
    """Add the routes through which clients and integrations drive the outgoing calls."""
    from . import dialogs, post_actions, slash_commands

    slash_commands.register(app)
    post_actions.register(app)
    dialogs.register(app)
