"""How the gateway's requests travel: mattermostautodriver's client with our policies on top.

What this adds to ``AsyncTypedDriver`` (see the dependency findings):

* a request timeout (the driver waits forever by default) and a concurrency cap (httpx gets
  CPU-bound with many requests in flight);
* every failure translated into :mod:`bot.mattermost.errors`, whether it comes from the driver,
  from httpx or from a body that is not Mattermost's JSON;
* retries of ``POST`` calls that are safe to repeat: the driver retries 429 for every method but
  5xx and transport errors only for ``GET``/``PUT``/``DELETE``;
* decoding of JSON whose ``Content-Type`` carries a charset, for which the driver's ``get``
  hands back the raw response.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar
from urllib.parse import urlsplit

import httpx
from mattermostautodriver import AsyncTypedDriver
from mattermostautodriver.exceptions import InvalidMattermostError, TooManyRequests
from mattermostautodriver.exceptions import MattermostError as DriverError

from .errors import MalformedResponse, RateLimited, Unavailable, error_for_status

log = logging.getLogger(__name__)

# The driver logs every 4xx answer at ERROR under this name, expected 404s of look-ups included;
# errors are translated and reported by this module instead.
logging.getLogger("mattermostautodriver.websocket").setLevel(logging.CRITICAL)

T = TypeVar("T")

Request = Callable[[], Awaitable[Any]]

POST_RETRY_BASE = 0.25  # seconds; full jitter over base * 2**attempt
POST_RETRY_CAP = 5.0


class BoundedCall(Protocol):
    """:meth:`DriverTransport.call`: one request, bounded and translated."""

    def __call__(self, operation: str, request: Request, *, replay: bool = False) -> Awaitable[Any]: ...


class DriverTransport:
    """An ``AsyncTypedDriver`` for one server and token, and the policy every call goes through."""

    def __init__(
        self,
        url: str,
        token: str,
        *,
        request_timeout: float,
        max_concurrency: int,
        max_retries: int,
        retry_max_sleep: float,
        post_retries: int,
        verify: bool | str = True,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"Mattermost URL must be http(s)://host[:port], got {url!r}")
        if parts.path.strip("/"):
            # The driver builds every endpoint as scheme://host:port/api/v4/…; a sub-path would be lost.
            raise ValueError(f"Mattermost served under a sub-path is not supported: {url!r}")
        if not token:
            raise ValueError("a Mattermost access token is required")
        if request_timeout <= 0 or max_concurrency < 1 or max_retries < 0 or post_retries < 0:
            raise ValueError(
                "request_timeout must be positive, max_concurrency at least 1, retry counts not negative"
            )
        self.driver: Any = AsyncTypedDriver(
            {
                "scheme": parts.scheme,
                "url": parts.hostname,
                "port": parts.port or (443 if parts.scheme == "https" else 80),
                "token": token,
                "request_timeout": request_timeout,
                "max_retries": max_retries,
                "retry_max_sleep": retry_max_sleep,
                "verify": verify,
            }
        )
        # What the driver's login() would do, without its network call: every request sends the token.
        self.driver.client.token = token
        self._semaphore = asyncio.Semaphore(max_concurrency)
        self._post_retries = post_retries

    async def close(self) -> None:
        """Close the HTTP connection pool."""
        await self.driver.client.close()

    async def call(self, operation: str, request: Request, *, replay: bool = False) -> Any:
        """Run one driver request under the concurrency cap, translating every failure.

        ``operation`` names the call in errors and logs. ``replay`` marks a ``POST`` as safe to
        send again after a 5xx, a timeout or a lost connection; it is then retried up to
        ``post_retries`` times with full-jitter backoff, outside the concurrency cap.
        """
        attempt = 0
        while True:
            try:
                async with self._semaphore:
                    return await _translated(operation, request)
            except Unavailable as error:
                if not replay or attempt >= self._post_retries:
                    raise
                delay = random.uniform(0, min(POST_RETRY_CAP, POST_RETRY_BASE * 2**attempt))
                log.warning("%s: %s; retrying in %.2f s", operation, error, delay)
            await asyncio.sleep(delay)
            attempt += 1


async def _translated(operation: str, request: Request) -> Any:
    try:
        return await request()
    except TooManyRequests as error:
        raise RateLimited(429, error.error_id or "", str(error), error.retry_after) from None
    except DriverError as error:
        raise error_for_status(error.status_code, error.error_id or "", str(error)) from None
    except InvalidMattermostError as error:
        # A body that is not Mattermost's JSON error: a proxy's HTML page, a plain-text refusal.
        raise error_for_status(error.status_code, "", f"{operation}: {str(error)[:200]}") from None
    except httpx.TimeoutException as error:
        raise Unavailable(0, "timeout", f"{operation}: no answer in time ({type(error).__name__})") from None
    except httpx.TransportError as error:
        raise Unavailable(0, "connection", f"{operation}: {type(error).__name__}: {error}") from None


def present(**fields: Any) -> dict[str, Any]:
    """Only the fields with a value: ``None`` means "not sent" (the driver would drop it anyway)."""
    return {key: value for key, value in fields.items() if value is not None}


def json_body(result: Any, operation: str) -> Any:
    """The decoded JSON of a driver result (the driver returns the raw response when the
    ``Content-Type`` is not exactly ``application/json``)."""
    if isinstance(result, httpx.Response):
        try:
            return result.json()
        except ValueError:
            raise MalformedResponse(
                result.status_code, "", f"{operation}: response is not JSON ({result.text[:80]!r})"
            ) from None
    return result


def parse(parser: Callable[[object], T], result: Any, operation: str) -> T:
    """A driver result parsed into a typed view; :class:`MalformedResponse` if it does not fit."""
    try:
        return parser(json_body(result, operation))
    except ValueError as error:
        raise MalformedResponse(200, "", f"{operation}: {error}") from None


def parse_list(parser: Callable[[object], T], result: Any, operation: str) -> list[T]:
    """A driver result that must be a JSON array, each item parsed into a typed view."""
    body = json_body(result, operation)
    if not isinstance(body, list):
        raise MalformedResponse(200, "", f"{operation}: expected a JSON array, got {type(body).__name__}")
    return [parse(parser, item, operation) for item in body]
