"""Mattermost's REST rate limiter (``RateLimitSettings``): a GCRA token bucket per client."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from aiohttp import web

from .app import bearer_token


class RateDecision(NamedTuple):
    """The outcome of one rate-limiter check, as ``throttled.RateLimitResult``."""

    limited: bool
    limit: int
    remaining: int
    reset_after: float
    retry_after: float  # negative when the request is allowed

    def headers(self) -> dict[str, str]:
        """Mattermost's ``setRateLimitHeaders``: seconds rounded up."""
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(math.ceil(self.reset_after)),
        }
        if self.retry_after >= 0:
            headers["Retry-After"] = str(math.ceil(self.retry_after))
        return headers


@dataclass
class RateLimiter:
    """A GCRA token bucket like Mattermost's (``throttled``): ``per_sec`` refill, ``burst`` extra.

    ``vary_by`` picks the bucket: ``"token"`` (the session token, else the address),
    ``"remote_addr"``, or ``"header:<Name>"``.
    """

    per_sec: float
    burst: int
    vary_by: str = "token"
    clock: Callable[[], float] = time.monotonic
    _tat: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.per_sec <= 0 or self.burst < 0:
            raise ValueError("per_sec must be positive and burst non-negative")
        if self.vary_by not in ("token", "remote_addr") and not self.vary_by.startswith("header:"):
            raise ValueError(f"unknown vary_by {self.vary_by!r}")

    def key(self, request: web.Request) -> str:
        """The bucket a request draws from."""
        if self.vary_by.startswith("header:"):
            return request.headers.get(self.vary_by.partition(":")[2], "")
        if self.vary_by == "token":
            token = bearer_token(request)
            if token:
                return f"token:{token}"
        return f"addr:{request.remote or ''}"

    def check(self, key: str) -> RateDecision:
        """Take one token from ``key``'s bucket, or refuse (GCRA, as ``throttled.GCRARateLimiter``)."""
        emission = 1.0 / self.per_sec
        tolerance = emission * (self.burst + 1)
        limit = self.burst + 1
        now = self.clock()
        tat = max(self._tat.get(key, now), now)
        new_tat = tat + emission
        diff = now - (new_tat - tolerance)
        if diff < 0:
            ttl, retry_after, limited = tat - now, -diff, True
        else:
            ttl, retry_after, limited = new_tat - now, -1.0, False
            self._tat[key] = new_tat
        spare = tolerance - ttl
        remaining = int(spare / emission) if spare > -emission else 0
        return RateDecision(limited, limit, max(remaining, 0), ttl, retry_after)
