"""The fault proxy the end-to-end harness puts between the bot and Mattermost (tests/fault_proxy.py).

It runs against whichever Mattermost the suite runs on: it must pass requests and the websocket
on unchanged, and break exactly what it is told to.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest

from mattermost_sim.client import Person
from mattermost_sim.client_answers import MattermostError
from tests.fault_proxy import DropMode, FaultProxy
from tests.servers import Backstage


@pytest.fixture
async def proxy(mattermost: Backstage) -> AsyncIterator[FaultProxy]:
    async with FaultProxy(mattermost.url) as started:
        yield started


@pytest.fixture
async def alice(mattermost: Backstage, proxy: FaultProxy) -> AsyncIterator[Person]:
    """alice, talking to Mattermost through the proxy."""
    async with Person(proxy.url, mattermost.token("alice")) as person:
        yield person


async def test_requests_pass_unchanged(mattermost: Backstage, proxy: FaultProxy, alice: Person) -> None:
    team = await alice.team("acme")
    town_square = await alice.channel_by_name(team["id"], "town-square")
    posted = await alice.post(town_square["id"], "through the proxy")
    async with mattermost.person("alice") as direct:
        assert (await direct.get_post(posted["id"]))["message"] == "through the proxy"
    assert await alice.my_id() == await mattermost.user_id("alice")
    logged = [(r.method, r.path, r.status, r.fault, r.forwarded) for r in proxy.requests(r"/posts$")]
    assert logged == [("POST", "/api/v4/posts", 201, None, True)]


async def test_mattermost_refusing_a_token_passes_unchanged(proxy: FaultProxy) -> None:
    headers = {"Authorization": "Bearer not-a-token"}
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{proxy.url}/api/v4/users/me", headers=headers) as response,
    ):
        assert response.status == 401
        assert (await response.json())["id"] == "api.context.session_expired.app_error"


async def test_fail_answers_the_next_matching_requests_only(proxy: FaultProxy, alice: Person) -> None:
    proxy.fail(503, count=2, method="GET", path_pattern=r"/users/me$")
    for _ in range(2):
        with pytest.raises(MattermostError) as refused:
            await alice.me()
        assert refused.value.status == 503
    assert (await alice.me())["username"] == "alice"
    assert [r.fault for r in proxy.requests(r"/users/me$")] == ["fail", "fail", None]
    assert not any(r.forwarded for r in proxy.requests(r"/users/me$")[:2])


async def test_fail_with_401_reads_as_mattermost_would(proxy: FaultProxy, alice: Person) -> None:
    proxy.fail(401, path_pattern=r"^/api/v4/users/")
    async with aiohttp.ClientSession() as session:
        headers = {"Authorization": f"Bearer {alice.token}"}
        async with session.get(f"{proxy.url}/api/v4/users/me", headers=headers) as response:
            assert response.status == 401
            assert response.headers["Content-Type"].startswith("application/json")
            body = json.loads(await response.text())
    assert body["status_code"] == 401
    assert body["id"] == "api.context.session_expired.app_error"


async def test_throttle_refuses_as_the_rate_limiter_does(proxy: FaultProxy, alice: Person) -> None:
    proxy.throttle(count=1, retry_after=2, method="GET")
    async with aiohttp.ClientSession() as session:
        headers = {"Authorization": f"Bearer {alice.token}"}
        async with session.get(f"{proxy.url}/api/v4/users/me", headers=headers) as response:
            assert response.status == 429
            assert response.headers["Retry-After"] == "2"
            assert await response.text() == "limit exceeded\n"
    assert (await alice.me())["username"] == "alice"


async def test_a_hung_request_still_reaches_mattermost_after_the_client_gave_up(
    mattermost: Backstage, proxy: FaultProxy
) -> None:
    proxy.hang(0.5, method="POST", path_pattern=r"/posts$")
    async with mattermost.person("alice") as direct:
        team = await direct.team("acme")
        channel_id = (await direct.channel_by_name(team["id"], "town-square"))["id"]
    async with Person(proxy.url, mattermost.token("alice"), request_timeout=0.1) as impatient:
        with pytest.raises(TimeoutError):
            await impatient.post(channel_id, "late but there")
    record = await proxy.served(lambda r: r.fault == "hang", "the hung post")
    assert record.status == 201
    assert record.end - record.start >= 0.5
    async with mattermost.person("alice") as direct:
        assert "late but there" in [p["message"] for p in await direct.channel_posts(channel_id)]


async def test_latency_delays_every_matching_request(proxy: FaultProxy, alice: Person) -> None:
    proxy.add_latency(0.2, path_pattern=r"/users/me$")
    started = time.monotonic()
    await alice.me()
    await alice.me()
    assert time.monotonic() - started >= 0.4
    proxy.clear()
    assert all(r.end - r.start >= 0.2 for r in proxy.requests(r"/users/me$"))


@pytest.mark.parametrize("mode", ["abort", "close", "going_away"])
async def test_the_websocket_is_relayed_both_ways_and_can_be_dropped(
    mattermost: Backstage, proxy: FaultProxy, alice: Person, mode: DropMode
) -> None:
    team = await alice.team("acme")
    town_square = await alice.channel_by_name(team["id"], "town-square")
    headers = {"Authorization": f"Bearer {alice.token}"}
    url = f"{proxy.url}/api/v4/websocket"
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(url, headers=headers) as ws,
        mattermost.person("root") as root,
    ):
        assert (await ws.receive_json(timeout=5))["event"] == "hello"
        assert proxy.websocket_connections == 1
        await ws.send_json({"action": "user_typing", "seq": 1, "data": {"channel_id": town_square["id"]}})
        await root.post(town_square["id"], "hello alice")
        seen: list[str] = []
        while "posted" not in seen or "reply" not in seen:
            frame = await ws.receive_json(timeout=5)
            seen.append("reply" if frame.get("seq_reply") == 1 else str(frame.get("event")))
        await proxy.drop_websockets(mode)
        message = await ws.receive(timeout=5)
        assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR)
    assert proxy.requests(r"/websocket") == []


@pytest.mark.parametrize("graceful", [False, True], ids=["killed", "graceful"])
async def test_a_restarted_mattermost_is_reached_again_through_the_proxy(
    mattermost: Backstage, proxy: FaultProxy, alice: Person, graceful: bool
) -> None:
    headers = {"Authorization": f"Bearer {alice.token}"}
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(f"{proxy.url}/api/v4/websocket", headers=headers) as ws,
    ):
        assert (await ws.receive_json(timeout=5))["event"] == "hello"
        await mattermost.restart(graceful=graceful)
        # Mattermost went away: so did the relayed websocket, once what was sent before had come.
        message = await ws.receive(timeout=5)
        while message.type is aiohttp.WSMsgType.TEXT:
            message = await ws.receive(timeout=5)
        assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR)
    assert (await alice.me())["username"] == "alice"
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(f"{proxy.url}/api/v4/websocket", headers=headers) as ws,
    ):
        assert (await ws.receive_json(timeout=5))["event"] == "hello"
