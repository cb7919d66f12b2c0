"""Fault controls for tests and benchmarks: latency, errors, 429s, hangs, Mattermost's rate limiter.

Faults apply to REST requests under ``/api/v4`` (the websocket is left alone). Tests drive
:class:`Faults` in-process through ``sim.faults``; other processes use the ``/_sim`` routes.
Every served REST request is recorded in :attr:`Faults.log`, so a benchmark can count the
round trips a piece of work needed and how many of them had to run one after another, and
:attr:`Faults.in_flight` counts those being served, so a test can wait until every request made
so far (by a process it killed, say) has been answered.
"""

from __future__ import annotations

import asyncio
import inspect
import math
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from aiohttp import web

from .app import request_id, sim_of
from .errors import AppError
from .rate_limit import RateLimiter
from .routes._json import json_response

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

LOG_SIZE = 10_000
DROP_MODES = ("close", "going_away", "abort")


class RequestRecord(NamedTuple):
    """One served REST request; times are ``time.monotonic()`` seconds."""

    method: str
    path: str
    start: float
    end: float


@dataclass
class FaultRule:
    """One injected fault and the requests it applies to."""

    kind: str  # "latency", "fail", "throttle" or "hang"
    method: str | None = None
    path_pattern: re.Pattern[str] | None = None
    remaining: int | None = None  # None: every matching request (latency)
    seconds: float = 0.0
    status: int = 503
    error_id: str = "api.context.server_error"
    retry_after: int = 1
    limit: int = 100

    def matches(self, method: str, path: str) -> bool:
        """Whether this rule applies to a request (method compared case-insensitively)."""
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return self.path_pattern is None or self.path_pattern.search(path) is not None


def compile_pattern(path_pattern: str | None) -> re.Pattern[str] | None:
    """A fault rule's path pattern, compiled (``None``: every path)."""
    return re.compile(path_pattern) if path_pattern is not None else None


def positive_count(count: int) -> int:
    """A fault rule's count, checked: how many requests it hits."""
    if not isinstance(count, int) or count < 1:
        raise ValueError("count must be a positive integer")
    return count


def non_negative_seconds(seconds: float) -> float:
    """A fault rule's delay, checked."""
    if not isinstance(seconds, int | float) or seconds < 0:
        raise ValueError("seconds must be a non-negative number")
    return float(seconds)


@dataclass
class Faults:
    """The faults injected into REST requests, the optional rate limiter, and the request log."""

    rules: list[FaultRule] = field(default_factory=list)
    rate_limiter: RateLimiter | None = None
    log: deque[RequestRecord] = field(default_factory=lambda: deque(maxlen=LOG_SIZE))
    in_flight: int = 0
    """REST requests being served now: received, not yet answered (and so not yet logged)."""

    # -- configuration ----------------------------------------------------------

    def add_latency(self, seconds: float, method: str | None = None, path_pattern: str | None = None) -> None:
        """Delay every matching request by ``seconds`` (``path_pattern``: a regex searched in the path)."""
        self.rules.append(
            FaultRule(
                "latency", method, compile_pattern(path_pattern), None, seconds=non_negative_seconds(seconds)
            )
        )

    def fail(
        self,
        status: int,
        count: int = 1,
        method: str | None = None,
        path_pattern: str | None = None,
        error_id: str = "api.context.server_error",
    ) -> None:
        """Answer the next ``count`` matching requests with ``status`` and an AppError body."""
        if not isinstance(status, int) or not 400 <= status <= 599:
            raise ValueError("status must be an HTTP error status (400-599)")
        rule = FaultRule(
            "fail",
            method,
            compile_pattern(path_pattern),
            positive_count(count),
            status=status,
            error_id=error_id,
        )
        self.rules.append(rule)

    def throttle(
        self,
        count: int = 1,
        retry_after: int = 1,
        method: str | None = None,
        path_pattern: str | None = None,
        limit: int = 100,
    ) -> None:
        """Refuse the next ``count`` matching requests as Mattermost's rate limiter does (429)."""
        if not isinstance(retry_after, int) or retry_after < 0:
            raise ValueError("retry_after must be a non-negative integer")
        rule = FaultRule(
            "throttle",
            method,
            compile_pattern(path_pattern),
            positive_count(count),
            retry_after=retry_after,
            limit=limit,
        )
        self.rules.append(rule)

    def hang(
        self, seconds: float, count: int = 1, method: str | None = None, path_pattern: str | None = None
    ) -> None:
        """Hold the next ``count`` matching requests ``seconds`` before answering (client timeouts)."""
        rule = FaultRule(
            "hang",
            method,
            compile_pattern(path_pattern),
            positive_count(count),
            seconds=non_negative_seconds(seconds),
        )
        self.rules.append(rule)

    def enable_rate_limiter(self, per_sec: float = 10, burst: int = 100, vary_by: str = "token") -> None:
        """Turn on a rate limiter like ``RateLimitSettings`` (defaults: 10/s, burst 100, by token)."""
        self.rate_limiter = RateLimiter(per_sec, burst, vary_by)

    def disable_rate_limiter(self) -> None:
        """Turn the rate limiter off."""
        self.rate_limiter = None

    def clear(self) -> None:
        """Remove every fault and the rate limiter (the request log is kept)."""
        self.rules.clear()
        self.rate_limiter = None

    # -- the request log --------------------------------------------------------

    def requests(self, path_pattern: str | None = None) -> list[RequestRecord]:
        """Logged requests, oldest first, optionally only those whose path matches a regex."""
        pattern = compile_pattern(path_pattern)
        return [r for r in self.log if pattern is None or pattern.search(r.path)]

    @staticmethod
    def sequential_round_trips(records: Iterable[RequestRecord]) -> int:
        """The longest chain of requests each starting after the previous one ended.

        Requests that overlapped ran concurrently and count once; this is the number of
        round trips a piece of work could not avoid waiting for one after another.
        """
        chain, last_end = 0, -math.inf
        for record in sorted(records, key=lambda r: r.end):
            if record.start >= last_end:
                chain, last_end = chain + 1, record.end
        return chain

    # -- applying faults --------------------------------------------------------

    def _take(self, method: str, path: str) -> FaultRule | None:
        """The first counted rule matching a request, used up by one."""
        for rule in self.rules:
            if rule.remaining is not None and rule.matches(method, path):
                rule.remaining -= 1
                if rule.remaining <= 0:
                    self.rules.remove(rule)
                return rule
        return None

    async def apply(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Run the request through the rate limiter and the matching faults, then the handler."""
        headers: dict[str, str] = {}
        if self.rate_limiter is not None:
            decision = self.rate_limiter.check(self.rate_limiter.key(request))
            headers = decision.headers()
            if decision.limited:
                return limit_exceeded(headers)
        delay = sum(
            r.seconds for r in self.rules if r.kind == "latency" and r.matches(request.method, request.path)
        )
        if delay:
            await asyncio.sleep(delay)
        rule = self._take(request.method, request.path)
        if rule is not None and rule.kind == "throttle":
            return limit_exceeded(
                {
                    "X-RateLimit-Limit": str(rule.limit),
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset": str(rule.retry_after),
                    "Retry-After": str(rule.retry_after),
                }
            )
        if rule is not None and rule.kind == "hang":
            await asyncio.sleep(rule.seconds)
        try:
            if rule is not None and rule.kind == "fail":
                raise AppError(
                    rule.status, rule.error_id, "An injected server error occurred.", "simulated fault"
                )
            response = await handler(request)
        except AppError as error:
            response = error.response(request_id(request), developer=sim_of(request).config.enable_developer)
        if not response.prepared:
            response.headers.update(headers)
        return response


def limit_exceeded(headers: dict[str, str]) -> web.Response:
    """Mattermost's refusal as Go's ``http.Error`` writes it: 429, plain ``limit exceeded``, no AppError."""
    return web.Response(
        status=429,
        body=b"limit exceeded\n",
        headers={
            **headers,
            "Content-Type": "text/plain; charset=utf-8",
            "X-Content-Type-Options": "nosniff",
        },
    )


@web.middleware
async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Apply configured faults to REST requests and log each one."""
    path = request.path
    if not path.startswith("/api/v4/") or path.startswith("/api/v4/websocket"):
        return await handler(request)
    faults = sim_of(request).faults
    start = time.monotonic()
    faults.in_flight += 1
    try:
        return await faults.apply(request, handler)
    finally:
        faults.in_flight -= 1
        faults.log.append(RequestRecord(request.method, path, start, time.monotonic()))


# -- out-of-process controls ---------------------------------------------------------

_FAULT_KINDS: dict[str, tuple[str, frozenset[str]]] = {
    "latency": ("add_latency", frozenset({"seconds", "method", "path_pattern"})),
    "fail": ("fail", frozenset({"status", "count", "method", "path_pattern", "error_id"})),
    "throttle": ("throttle", frozenset({"count", "retry_after", "method", "path_pattern", "limit"})),
    "hang": ("hang", frozenset({"seconds", "count", "method", "path_pattern"})),
    "rate_limiter": ("enable_rate_limiter", frozenset({"per_sec", "burst", "vary_by"})),
}


def _bad_control(detail: str) -> AppError:
    return AppError(400, "api.context.invalid_body_param.app_error", "Invalid fault description.", detail)


async def _json_body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise _bad_control("body is not JSON") from None
    if not isinstance(body, dict):
        raise _bad_control("body must be a JSON object")
    return body


async def post_fault(request: web.Request) -> web.Response:
    """POST /_sim/faults: ``{"kind": "latency"|"fail"|"throttle"|"hang"|"rate_limiter", ...}``."""
    body = await _json_body(request)
    kind = body.pop("kind", None)
    if kind == "rate_limiter" and body.get("enabled") is False:
        sim_of(request).faults.disable_rate_limiter()
        return _ok()
    body.pop("enabled", None)
    if not isinstance(kind, str) or kind not in _FAULT_KINDS:
        raise _bad_control(f"kind must be one of {sorted(_FAULT_KINDS)}")
    method_name, allowed = _FAULT_KINDS[kind]
    unknown = set(body) - allowed
    if unknown:
        raise _bad_control(f"unknown fields for {kind}: {sorted(unknown)}")
    try:
        getattr(sim_of(request).faults, method_name)(**body)
    except (TypeError, ValueError, re.error) as error:
        raise _bad_control(str(error)) from None
    return _ok(status=201)


async def delete_faults(request: web.Request) -> web.Response:
    """DELETE /_sim/faults: remove every fault and the rate limiter."""
    sim_of(request).faults.clear()
    return _ok()


async def drop_websockets(request: web.Request) -> web.Response:
    """POST /_sim/websocket/drop ``{"mode": "close"|"going_away"|"abort"}``: drop every connection."""
    mode = (await _json_body(request)).get("mode")
    if mode not in DROP_MODES:
        raise _bad_control(f"mode must be one of {list(DROP_MODES)}")
    drop_all = getattr(sim_of(request).hub, "drop_all", None)
    if drop_all is None:
        raise AppError(501, "api.sim.websocket_drop.not_implemented", "Dropping websockets is not available.")
    result = drop_all(mode)
    if inspect.isawaitable(result):
        await result
    return _ok()


async def get_requests(request: web.Request) -> web.Response:
    """GET /_sim/requests: the request log, oldest first."""
    records = sim_of(request).faults.log
    return json_response([r._asdict() for r in records])


async def clear_requests(request: web.Request) -> web.Response:
    """DELETE /_sim/requests: forget the request log."""
    sim_of(request).faults.log.clear()
    return _ok()


def _ok(status: int = 200) -> web.Response:
    return json_response({"status": "OK"}, status=status)


def register(app: web.Application) -> None:
    """Add the ``/_sim`` control routes (no auth; not part of the Mattermost API)."""
    app.router.add_post("/_sim/faults", post_fault)
    app.router.add_delete("/_sim/faults", delete_faults)
    app.router.add_post("/_sim/websocket/drop", drop_websockets)
    app.router.add_get("/_sim/requests", get_requests)
    app.router.add_delete("/_sim/requests", clear_requests)
