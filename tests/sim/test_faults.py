"""Fault injection and Mattermost's rate limiter, seen from a client."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import pytest
from mattermostautodriver import AsyncTypedDriver
from mattermostautodriver.exceptions import UnknownMattermostError

from mattermost_sim import Simulator
from mattermost_sim.faults import Faults, RequestRecord
from mattermost_sim.rate_limit import RateLimiter

TIMEOUT = aiohttp.ClientTimeout(total=10)
BOT = {"Authorization": "Bearer bot-token"}
ALICE = {"Authorization": "Bearer alice-token"}


@pytest.fixture
async def http(sim: Simulator) -> AsyncIterator[aiohttp.ClientSession]:
    """A plain HTTP client pointed at the simulator."""
    async with aiohttp.ClientSession(sim.url, timeout=TIMEOUT) as session:
        yield session


async def get_me(http: aiohttp.ClientSession, headers: dict[str, str] = BOT) -> aiohttp.ClientResponse:
    """GET /users/me, body read."""
    async with http.get("/api/v4/users/me", headers=headers) as response:
        await response.read()
        return response


@asynccontextmanager
async def logged_in_driver(sim: Simulator) -> AsyncIterator[AsyncTypedDriver]:
    """The bot's mattermostautodriver client, retrying up to twice."""
    options = {"url": "127.0.0.1", "port": sim.port, "scheme": "http", "token": "bot-token", "max_retries": 2}
    async with AsyncTypedDriver(options) as driver:
        await driver.login()
        yield driver


async def test_latency_applies_to_matching_requests_only(sim: Simulator, http: aiohttp.ClientSession) -> None:
    sim.faults.add_latency(0.2, method="GET", path_pattern=r"/users/me$")
    started = time.monotonic()
    assert (await get_me(http)).status == 200
    assert time.monotonic() - started >= 0.2
    started = time.monotonic()
    async with http.get("/api/v4/teams/name/acme", headers=BOT) as response:
        assert response.status == 200
    assert time.monotonic() - started < 0.2
    sim.faults.clear()
    started = time.monotonic()
    await get_me(http)
    assert time.monotonic() - started < 0.2


async def test_fail_answers_apperror_then_recovers(sim: Simulator, http: aiohttp.ClientSession) -> None:
    sim.faults.fail(503, count=2, path_pattern="/users/me")
    for _ in range(2):
        async with http.get("/api/v4/users/me", headers=BOT) as response:
            body = await response.json()
            assert response.status == 503
            assert response.headers["Content-Type"] == "application/json"
            assert body["id"] == "api.context.server_error"
            assert body["status_code"] == 503
            assert body["request_id"] == response.headers["X-Request-Id"]
    assert (await get_me(http)).status == 200


async def test_driver_retries_a_get_after_a_503(sim: Simulator) -> None:
    async with logged_in_driver(sim) as driver:
        sim.faults.log.clear()
        sim.faults.fail(503, count=1, method="GET", path_pattern="/users/me")
        me = await driver.users.get_user("me")
    assert me["username"] == "playbooks"
    assert [r.path for r in sim.faults.requests("/users/me")] == ["/api/v4/users/me"] * 2


async def test_driver_does_not_retry_a_post_after_a_503(sim: Simulator) -> None:
    async with logged_in_driver(sim) as driver:
        sim.faults.fail(503, count=1, method="POST")
        with pytest.raises(UnknownMattermostError):
            await driver.users.get_users_by_usernames(["alice"])
    assert len(sim.faults.requests("/users/usernames")) == 1


async def test_throttle_looks_like_mattermosts_limiter(sim: Simulator, http: aiohttp.ClientSession) -> None:
    sim.faults.throttle(count=1, retry_after=3)
    async with http.get("/api/v4/users/me", headers=BOT) as response:
        assert response.status == 429
        assert response.content_type == "text/plain"  # Go's http.Error: "text/plain; charset=utf-8"
        assert await response.text() == "limit exceeded\n"
        assert response.headers["Retry-After"] == "3"
        assert response.headers["X-RateLimit-Remaining"] == "0"
        assert response.headers["X-RateLimit-Reset"] == "3"
        assert "X-RateLimit-Limit" in response.headers
    assert (await get_me(http)).status == 200


async def test_hang_outlasts_a_client_timeout(sim: Simulator, http: aiohttp.ClientSession) -> None:
    sim.faults.hang(1.0, count=1, path_pattern="/users/me")
    with pytest.raises(asyncio.TimeoutError):
        async with http.get("/api/v4/users/me", headers=BOT, timeout=aiohttp.ClientTimeout(total=0.2)):
            pass
    assert (await get_me(http)).status == 200


async def test_rate_limiter_refuses_beyond_the_burst(sim: Simulator, http: aiohttp.ClientSession) -> None:
    sim.faults.enable_rate_limiter(per_sec=1, burst=2, vary_by="token")
    allowed = [await get_me(http) for _ in range(3)]
    assert [r.status for r in allowed] == [200, 200, 200]
    assert [r.headers["X-RateLimit-Remaining"] for r in allowed] == ["2", "1", "0"]
    assert all(r.headers["X-RateLimit-Limit"] == "3" and "Retry-After" not in r.headers for r in allowed)
    async with http.get("/api/v4/users/me", headers=BOT) as refused:
        assert refused.status == 429
        assert await refused.text() == "limit exceeded\n"
        assert refused.headers["Retry-After"] == "1"
        assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert (await get_me(http, ALICE)).status == 200  # another token, another bucket
    sim.faults.disable_rate_limiter()
    assert "X-RateLimit-Limit" not in (await get_me(http)).headers


def test_rate_limiter_refills_at_its_rate() -> None:
    now = [100.0]
    limiter = RateLimiter(per_sec=10, burst=0, clock=lambda: now[0])
    assert not limiter.check("k").limited
    refused = limiter.check("k")
    assert refused.limited
    assert refused.retry_after == pytest.approx(0.1)
    now[0] += 0.1
    assert not limiter.check("k").limited


def test_fault_arguments_are_checked() -> None:
    faults = Faults()
    with pytest.raises(ValueError, match="status"):
        faults.fail(200)
    with pytest.raises(ValueError, match="seconds"):
        faults.hang(-1)
    with pytest.raises(ValueError, match="count"):
        faults.throttle(count=0)
    with pytest.raises(ValueError, match="vary_by"):
        faults.enable_rate_limiter(vary_by="moon")


async def test_request_log_counts_sequential_round_trips(sim: Simulator, http: aiohttp.ClientSession) -> None:
    sim.faults.add_latency(0.05)
    for _ in range(3):
        await get_me(http)
    sequential = list(sim.faults.log)
    sim.faults.log.clear()
    await asyncio.gather(*(get_me(http) for _ in range(3)))
    concurrent = list(sim.faults.log)
    assert Faults.sequential_round_trips(sequential) == 3
    assert Faults.sequential_round_trips(concurrent) == 1
    assert all(isinstance(r, RequestRecord) and r.end >= r.start for r in sequential)


async def test_control_routes(sim: Simulator, http: aiohttp.ClientSession) -> None:
    async with http.post(
        "/_sim/faults", json={"kind": "fail", "status": 500, "path_pattern": "/users/me"}
    ) as r:
        assert r.status == 201
    assert (await get_me(http)).status == 500
    async with http.post("/_sim/faults", json={"kind": "throttle", "count": 5}) as r:
        assert r.status == 201
    async with http.delete("/_sim/faults") as r:
        assert r.status == 200
    assert (await get_me(http)).status == 200
    async with http.post("/_sim/faults", json={"kind": "rate_limiter", "per_sec": 1, "burst": 0}) as r:
        assert r.status == 201
    assert [(await get_me(http)).status for _ in range(2)] == [200, 429]
    async with http.post("/_sim/faults", json={"kind": "rate_limiter", "enabled": False}) as r:
        assert r.status == 200
    async with http.post("/_sim/faults", json={"kind": "latency", "seconds": "soon"}) as r:
        assert r.status == 400
        assert (await r.json())["id"] == "api.context.invalid_body_param.app_error"
    async with http.post("/_sim/faults", json={"kind": "meteor"}) as r:
        assert r.status == 400
    async with http.get("/_sim/requests") as r:
        logged = await r.json()
    assert logged[-1]["path"] == "/api/v4/users/me"
    assert {"method", "start", "end"} <= set(logged[-1])


async def test_websocket_drop_control(sim: Simulator, http: aiohttp.ClientSession) -> None:
    async with http.post("/_sim/websocket/drop", json={"mode": "explode"}) as r:
        assert r.status == 400
    async with http.post("/_sim/websocket/drop", json={"mode": "going_away"}) as r:
        assert r.status == (200 if hasattr(sim.hub, "drop_all") else 501)
