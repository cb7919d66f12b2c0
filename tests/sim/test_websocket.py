"""The simulated websocket, driven the way real clients drive Mattermost's."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from mattermost_sim import Simulator
from mattermost_sim.ids import is_valid_id
from mattermost_sim.models import Channel, User

ENVELOPE_KEYS = ["event", "data", "broadcast", "seq"]
BROADCAST_KEYS = {"omit_users", "user_id", "channel_id", "team_id", "connection_id", "omit_connection_id"}
ENDED = (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR)


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """A client session for websocket connections."""
    async with aiohttp.ClientSession() as session:
        yield session


def user(sim: Simulator, name: str) -> User:
    """A seeded user."""
    found = sim.state.user_by_username(name)
    assert found is not None
    return found


def town_square(sim: Simulator) -> Channel:
    """The seeded public channel."""
    team = sim.state.team_by_name("acme")
    assert team is not None
    channel = sim.state.channel_by_name(team.id, "town-square")
    assert channel is not None
    return channel


async def connect(
    http: aiohttp.ClientSession,
    sim: Simulator,
    token: str | None = None,
    *,
    params: dict[str, str] | None = None,
    path: str = "/api/v4/websocket",
    autoping: bool = True,
) -> aiohttp.ClientWebSocketResponse:
    """Open a websocket, with the token as a Bearer header when given."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await http.ws_connect(
        sim.url + path,
        headers=headers,
        params=params,
        autoping=autoping,
        timeout=aiohttp.ClientWSTimeout(ws_close=1),
    )


async def frame(ws: aiohttp.ClientWebSocketResponse, within: float = 2.0) -> dict[str, Any]:
    """The next JSON text frame, arriving ``within`` seconds."""
    message = await ws.receive(timeout=within)
    assert message.type is aiohttp.WSMsgType.TEXT, f"expected a text frame, got {message}"
    body = json.loads(message.data)
    assert isinstance(body, dict)
    return body


async def hello(ws: aiohttp.ClientWebSocketResponse) -> str:
    """Read the ``hello`` event; return the connection id."""
    event = await frame(ws)
    assert event["event"] == "hello"
    assert event["seq"] == 0
    return str(event["data"]["connection_id"])


async def read_until_reply(ws: aiohttp.ClientWebSocketResponse) -> list[dict[str, Any]]:
    """Every frame up to and including the first request reply."""
    received = [await frame(ws, within=3)]
    while "seq_reply" not in received[-1]:
        received.append(await frame(ws, within=3))
    return received


async def assert_nothing_sent_before_reply(ws: aiohttp.ClientWebSocketResponse, seq: int = 99) -> None:
    """Nothing was on its way to ``ws``: a request sent now is answered by the very next frame.

    The server queues a connection's frames in the order they arise (an event when it is
    published, a reply when its request is read), so a frame already due would come first.
    """
    await ws.send_json({"seq": seq, "action": "ping"})
    reply = await frame(ws)
    assert reply.get("seq_reply") == seq, f"unexpected frame {reply}"


async def assert_silent_for(ws: aiohttp.ClientWebSocketResponse, seconds: float) -> None:
    """Nothing arrives within ``seconds``: only for a socket the server neither reads nor writes
    (half-open), where no request can be answered and time is the only witness."""
    try:
        message = await ws.receive(timeout=seconds)
    except TimeoutError:
        return
    pytest.fail(f"unexpected frame {message}")


async def assert_closed(ws: aiohttp.ClientWebSocketResponse) -> aiohttp.WSMessage:
    """The server ends the socket within two seconds; return the final message."""
    message = await ws.receive(timeout=2.0)
    assert message.type in ENDED, f"expected the socket to end, got {message}"
    return message


# -- authentication and hello ---------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v4/websocket", "/api/v4/websocket/"])
async def test_header_auth_gets_hello_envelope(
    sim: Simulator, http: aiohttp.ClientSession, path: str
) -> None:
    async with await connect(http, sim, "alice-token", path=path) as ws:
        event = await frame(ws)
    assert list(event) == ENVELOPE_KEYS
    assert event["event"] == "hello"
    assert event["seq"] == 0
    assert set(event["data"]) == {"server_version", "connection_id", "server_hostname"}
    assert is_valid_id(event["data"]["connection_id"])
    assert event["data"]["server_version"].startswith("11.4.")
    assert event["broadcast"] == {
        "omit_users": None,
        "user_id": user(sim, "alice").id,
        "channel_id": "",
        "team_id": "",
        "connection_id": "",
        "omit_connection_id": "",
    }


@pytest.mark.parametrize("how", ["token-scheme", "cookie", "query"])
async def test_other_credentials_on_the_upgrade(
    sim: Simulator, http: aiohttp.ClientSession, how: str
) -> None:
    headers: dict[str, str] = {}
    params: dict[str, str] = {}
    if how == "token-scheme":
        headers["Authorization"] = "Token root-token"
    elif how == "cookie":
        headers["Cookie"] = "MMAUTHTOKEN=root-token"
    else:
        params["access_token"] = "root-token"
    async with http.ws_connect(sim.url + "/api/v4/websocket", headers=headers, params=params) as ws:
        event = await frame(ws)
    assert event["event"] == "hello"
    assert event["broadcast"]["user_id"] == user(sim, "root").id


async def test_authentication_challenge(sim: Simulator, http: aiohttp.ClientSession) -> None:
    async with await connect(http, sim) as ws:
        await assert_nothing_sent_before_reply(ws)  # no hello before authenticating
        await ws.send_json({"seq": 1, "action": "authentication_challenge", "data": {"token": "alice-token"}})
        first, second = await frame(ws), await frame(ws)
    assert first["event"] == "hello"
    assert first["broadcast"]["user_id"] == user(sim, "alice").id
    assert second == {"status": "OK", "seq_reply": 1}


async def test_challenge_reply_order_can_be_randomised(sim: Simulator, http: aiohttp.ClientSession) -> None:
    sim.hub.settings.auth_reply_order = "random"
    orders = set()
    for _ in range(30):
        async with await connect(http, sim) as ws:
            await ws.send_json(
                {"seq": 1, "action": "authentication_challenge", "data": {"token": "alice-token"}}
            )
            frames = [await frame(ws), await frame(ws)]
        orders.add(tuple("reply" if "seq_reply" in f else f["event"] for f in frames))
    assert orders == {("hello", "reply"), ("reply", "hello")}


@pytest.mark.parametrize("data", [{"token": "wrong"}, {}, {"token": 7}])
async def test_challenge_with_bad_token_closes(
    sim: Simulator, http: aiohttp.ClientSession, data: dict[str, Any]
) -> None:
    async with await connect(http, sim) as ws:
        await ws.send_json({"seq": 1, "action": "authentication_challenge", "data": data})
        await assert_closed(ws)
    assert sim.hub.connection_count() == 0


async def test_bad_header_token_leaves_socket_unauthenticated_until_deadline(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    sim.hub.settings.auth_timeout = 0.3
    async with await connect(http, sim, "revoked-token") as ws:
        await ws.send_json({"seq": 1, "action": "get_statuses"})
        reply = await frame(ws)
        assert reply["status"] == "FAIL"
        assert reply["error"]["id"] == "api.web_socket_router.not_authenticated.app_error"
        await assert_closed(ws)


async def test_no_authentication_within_deadline_closes(sim: Simulator, http: aiohttp.ClientSession) -> None:
    sim.hub.settings.auth_timeout = 0.2
    started = time.monotonic()
    async with await connect(http, sim) as ws:
        message = await assert_closed(ws)
    assert time.monotonic() - started >= 0.2
    # The server hangs up without a close frame.
    assert message.type is not aiohttp.WSMsgType.CLOSE


async def test_plain_get_is_refused_with_app_error(sim: Simulator, http: aiohttp.ClientSession) -> None:
    async with http.get(sim.url + "/api/v4/websocket") as response:
        body = await response.json()
    assert response.status == 400
    assert body["id"] == "api.web_socket.connect.upgrade.app_error"


# -- requests --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_frame", "error_id"),
    [
        ({"seq": 1, "data": {}}, "api.web_socket_router.no_action.app_error"),
        ({"action": "get_statuses", "seq": 0}, "api.web_socket_router.bad_seq.app_error"),
        ({"action": "get_statuses"}, "api.web_socket_router.bad_seq.app_error"),
        ({"action": "fly", "seq": 3}, "api.web_socket_router.bad_action.app_error"),
        ({"action": "user_typing", "seq": 4, "data": {}}, "api.websocket_handler.invalid_param.app_error"),
    ],
)
async def test_bad_requests_get_fail_replies(
    sim: Simulator, http: aiohttp.ClientSession, request_frame: dict[str, Any], error_id: str
) -> None:
    async with await connect(http, sim, "alice-token") as ws:
        await hello(ws)
        await ws.send_str("not json")
        await ws.send_json(request_frame)
        reply = await frame(ws)
    assert reply["status"] == "FAIL"
    assert reply["error"]["id"] == error_id
    assert reply.get("seq_reply", 0) == max(request_frame.get("seq", 0), 0)
    assert "event" not in reply


async def test_statuses_reflect_open_sockets(sim: Simulator, http: aiohttp.ClientSession) -> None:
    alice, root = user(sim, "alice"), user(sim, "root")
    async with await connect(http, sim, "alice-token") as ws:
        await hello(ws)
        await ws.send_json(
            {"seq": 1, "action": "get_statuses_by_ids", "data": {"user_ids": [alice.id, root.id]}}
        )
        reply = await frame(ws)
    assert reply == {"status": "OK", "seq_reply": 1, "data": {alice.id: "online", root.id: "offline"}}


async def test_typing_omits_the_typist(sim: Simulator, http: aiohttp.ClientSession) -> None:
    alice, channel = user(sim, "alice"), town_square(sim)
    async with (
        await connect(http, sim, "alice-token") as typist,
        await connect(http, sim, "root-token") as reader,
    ):
        await hello(typist)
        await hello(reader)
        await typist.send_json({"seq": 1, "action": "user_typing", "data": {"channel_id": channel.id}})
        assert await frame(typist) == {"status": "OK", "seq_reply": 1}
        event = await frame(reader)
        await assert_nothing_sent_before_reply(typist, seq=2)
    assert event["event"] == "typing"
    assert event["data"] == {"parent_id": "", "user_id": alice.id}
    assert event["broadcast"]["omit_users"] == {alice.id: True}
    assert event["broadcast"]["channel_id"] == channel.id
    assert event["seq"] == 1


# -- events and routing ----------------------------------------------------------


async def test_posted_envelope_reaches_members_including_the_author(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    bot, channel = user(sim, "playbooks"), town_square(sim)
    async with (
        await connect(http, sim, "alice-token") as alice_ws,
        await connect(http, sim, "bot-token") as bot_ws,
    ):
        await hello(alice_ws)
        await hello(bot_ws)
        post = sim.state.create_post(bot, channel, "status update")
        seen = [await frame(alice_ws), await frame(bot_ws)]
    for event in seen:
        assert list(event) == ENVELOPE_KEYS
        assert event["event"] == "posted"
        assert event["seq"] == 1
        assert set(event["broadcast"]) == BROADCAST_KEYS
        assert event["broadcast"]["channel_id"] == channel.id
        assert event["broadcast"]["omit_users"] is None
        assert isinstance(event["data"]["post"], str)
        body = json.loads(event["data"]["post"])
        assert (body["id"], body["message"], body["user_id"]) == (post.id, "status update", bot.id)
        assert event["data"]["channel_type"] == "O"
        assert event["data"]["sender_name"] == "@playbooks"
        assert "mentions" not in event["data"]


async def test_mentions_only_for_the_mentioned_receiver(sim: Simulator, http: aiohttp.ClientSession) -> None:
    alice, root, channel = user(sim, "alice"), user(sim, "root"), town_square(sim)
    async with (
        await connect(http, sim, "alice-token") as alice_ws,
        await connect(http, sim, "bot-token") as bot_ws,
    ):
        await hello(alice_ws)
        await hello(bot_ws)
        sim.state.create_post(root, channel, "ping @alice, not mail@playbooks")
        to_alice, to_bot = await frame(alice_ws), await frame(bot_ws)
    assert json.loads(to_alice["data"]["mentions"]) == [alice.id]
    assert "mentions" not in to_bot["data"]


async def test_private_channel_events_reach_members_only(sim: Simulator, http: aiohttp.ClientSession) -> None:
    root, channel = user(sim, "root"), town_square(sim)
    async with (
        await connect(http, sim, "alice-token") as alice_ws,
        await connect(http, sim, "root-token") as root_ws,
    ):
        await hello(alice_ws)
        await hello(root_ws)
        private = sim.state.create_channel(root, channel.team_id, "war-room", "War Room", "P")
        sim.state.create_post(root, private, "secret")
        created, posted = await frame(root_ws), await frame(root_ws)
        sim.state.create_post(root, channel, "public")
        public = await frame(alice_ws)
    assert (created["event"], created["broadcast"]["user_id"]) == ("channel_created", root.id)
    assert (posted["event"], posted["seq"]) == ("posted", 2)
    # alice saw neither the creation nor the private post: her next event is the public one, seq 1.
    assert (public["event"], public["seq"]) == ("posted", 1)
    assert json.loads(public["data"]["post"])["message"] == "public"


async def test_removed_member_hears_of_it_but_not_of_later_posts(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    alice, root, channel = user(sim, "alice"), user(sim, "root"), town_square(sim)
    async with await connect(http, sim, "alice-token") as ws:
        await hello(ws)
        sim.state.remove_channel_member(channel, alice)
        removed = await frame(ws)
        sim.state.create_post(root, channel, "after she left")
        await assert_nothing_sent_before_reply(ws)
    assert removed["event"] == "user_removed"
    assert removed["broadcast"]["user_id"] == alice.id


async def test_seq_counts_per_connection_and_can_skip(sim: Simulator, http: aiohttp.ClientSession) -> None:
    root, channel = user(sim, "root"), town_square(sim)
    async with await connect(http, sim, "alice-token") as first:
        await hello(first)
        sim.state.create_post(root, channel, "one")
        async with await connect(http, sim, "alice-token") as second:
            await hello(second)
            sim.state.create_post(root, channel, "two")
            sim.hub.skip_seq()
            sim.state.create_post(root, channel, "three")
            first_seqs = [(await frame(first))["seq"] for _ in range(3)]
            second_seqs = [(await frame(second))["seq"] for _ in range(2)]
    assert first_seqs == [1, 2, 4]
    assert second_seqs == [1, 3]


# -- reliable reconnect ------------------------------------------------------------


async def test_resume_after_abort_replays_without_hello(sim: Simulator, http: aiohttp.ClientSession) -> None:
    root, channel = user(sim, "root"), town_square(sim)
    ws = await connect(http, sim, "alice-token")
    connection_id = await hello(ws)
    sim.state.create_post(root, channel, "seen")
    assert (await frame(ws))["seq"] == 1
    await sim.hub.drop_all("abort")
    await assert_closed(ws)
    await ws.close()
    for text in ("missed 1", "missed 2"):
        sim.state.create_post(root, channel, text)
    params = {"connection_id": connection_id, "sequence_number": "2"}
    async with await connect(http, sim, "alice-token", params=params) as resumed:
        replayed = [await frame(resumed), await frame(resumed)]
        sim.state.create_post(root, channel, "live")
        live = await frame(resumed)
    assert [e["seq"] for e in replayed] == [2, 3]
    assert [json.loads(e["data"]["post"])["message"] for e in replayed] == ["missed 1", "missed 2"]
    assert (live["event"], live["seq"]) == ("posted", 4)


async def test_resume_with_nothing_missed_just_continues(sim: Simulator, http: aiohttp.ClientSession) -> None:
    root, channel = user(sim, "root"), town_square(sim)
    async with await connect(http, sim, "alice-token") as ws:
        connection_id = await hello(ws)
    params = {"connection_id": connection_id, "sequence_number": "1"}
    async with await connect(http, sim, "alice-token", params=params) as resumed:
        await assert_nothing_sent_before_reply(resumed)
        sim.state.create_post(root, channel, "next")
        assert (await frame(resumed))["seq"] == 1


async def test_resume_after_restart_gets_new_hello(sim: Simulator, http: aiohttp.ClientSession) -> None:
    ws = await connect(http, sim, "alice-token")
    connection_id = await hello(ws)
    sim.hub.forget_connections()
    await assert_closed(ws)
    await ws.close()
    params = {"connection_id": connection_id, "sequence_number": "1"}
    async with await connect(http, sim, "alice-token", params=params) as resumed:
        new_id = await hello(resumed)
    assert new_id != connection_id


@pytest.mark.parametrize(("missed", "resumes"), [(128, True), (129, False)])
async def test_dead_queue_holds_128_events(
    sim: Simulator, http: aiohttp.ClientSession, missed: int, resumes: bool
) -> None:
    root, channel = user(sim, "root"), town_square(sim)
    ws = await connect(http, sim, "alice-token")
    connection_id = await hello(ws)
    await sim.hub.drop_all("close")
    await ws.close()
    for number in range(missed):
        sim.state.create_post(root, channel, f"missed {number}")
    params = {"connection_id": connection_id, "sequence_number": "1"}
    async with await connect(http, sim, "alice-token", params=params) as resumed:
        first = await frame(resumed)
        if resumes:
            rest = [await frame(resumed) for _ in range(missed - 1)]
            assert [e["seq"] for e in [first, *rest]] == list(range(1, missed + 1))
        else:
            assert first["event"] == "hello"
            assert first["seq"] == 0
            assert first["data"]["connection_id"] != connection_id
            await assert_nothing_sent_before_reply(resumed)


async def test_unknown_connection_id_gets_a_fresh_connection(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    params = {"connection_id": "a" * 26, "sequence_number": "5"}
    async with await connect(http, sim, "alice-token", params=params) as ws:
        connection_id = await hello(ws)
    assert connection_id != "a" * 26


async def test_another_users_connection_id_is_not_resumed(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    async with await connect(http, sim, "root-token") as ws:
        roots_id = await hello(ws)
    params = {"connection_id": roots_id, "sequence_number": "1"}
    async with await connect(http, sim, "alice-token", params=params) as ws:
        assert await hello(ws) != roots_id


@pytest.mark.parametrize(
    "params",
    [
        {"connection_id": "a" * 26},
        {"connection_id": "not-an-id", "sequence_number": "3"},
        {"connection_id": "a" * 26, "sequence_number": "three"},
    ],
)
async def test_malformed_reconnect_parameters_close(
    sim: Simulator, http: aiohttp.ClientSession, params: dict[str, str]
) -> None:
    async with await connect(http, sim, "alice-token", params=params) as ws:
        await assert_closed(ws)


@pytest.mark.parametrize(
    "params",
    [{"connection_id": "", "sequence_number": "5"}, {"sequence_number": "3"}, {"connection_id": ""}],
)
async def test_without_a_connection_id_the_connection_is_fresh(
    sim: Simulator, http: aiohttp.ClientSession, params: dict[str, str]
) -> None:
    async with await connect(http, sim, "alice-token", params=params) as ws:
        assert await hello(ws)


# -- faults ------------------------------------------------------------------------


@pytest.mark.parametrize(("mode", "code"), [("close", 1000), ("going_away", 1001)])
async def test_drop_with_close_frame(
    sim: Simulator, http: aiohttp.ClientSession, mode: str, code: int
) -> None:
    async with await connect(http, sim, "alice-token") as ws:
        await hello(ws)
        await sim.hub.drop_all(mode)  # type: ignore[arg-type]
        message = await assert_closed(ws)
    assert message.type is aiohttp.WSMsgType.CLOSE
    assert message.data == code
    assert sim.hub.connection_count() == 0


async def test_drop_by_abort_sends_no_close_frame(sim: Simulator, http: aiohttp.ClientSession) -> None:
    async with await connect(http, sim, "alice-token") as ws:
        await hello(ws)
        await sim.hub.drop_all("abort")
        message = await assert_closed(ws)
    assert message.type is not aiohttp.WSMsgType.CLOSE
    assert sim.hub.connection_count() == 0


async def test_unknown_drop_mode_is_refused(sim: Simulator) -> None:
    with pytest.raises(ValueError, match="unknown drop mode"):
        await sim.hub.drop_all("explode")  # type: ignore[arg-type]


async def test_server_pings_and_drops_a_silent_client(sim: Simulator, http: aiohttp.ClientSession) -> None:
    sim.hub.settings.ping_interval = 0.05
    sim.hub.settings.pong_wait = 0.3
    async with (
        await connect(http, sim, "alice-token") as answering,
        await connect(http, sim, "root-token", autoping=False) as silent,
    ):
        # aiohttp answers pings while a reader is waiting, as in any real client's read loop.
        reader = asyncio.create_task(read_until_reply(answering))
        # Both sockets get the same pings; once the silent one is dropped, the answering one would
        # have been too, had answering not kept it alive.
        types = []
        while True:
            message = await silent.receive(timeout=2)
            types.append(message.type)
            if message.type in ENDED:
                break
        await answering.send_json({"seq": 1, "action": "ping"})
        received = await reader
    assert received[0]["event"] == "hello"
    assert received[-1]["data"]["text"] == "pong"
    assert types[0] is aiohttp.WSMsgType.TEXT
    assert aiohttp.WSMsgType.PING in types


async def test_half_open_socket_neither_reads_nor_writes(sim: Simulator, http: aiohttp.ClientSession) -> None:
    root, channel = user(sim, "root"), town_square(sim)
    async with await connect(http, sim, "alice-token", autoping=False) as ws:
        await hello(ws)
        sim.hub.stop_answering_pings(True)
        await ws.ping(b"are you there")
        sim.state.create_post(root, channel, "held back")
        await assert_silent_for(ws, 0.3)
        sim.hub.stop_answering_pings(False)
        first, second = await ws.receive(timeout=2), await ws.receive(timeout=2)
    kinds = {first.type, second.type}
    assert kinds == {aiohttp.WSMsgType.PONG, aiohttp.WSMsgType.TEXT}


async def test_close_all_leaves_nothing_open(sim: Simulator, http: aiohttp.ClientSession) -> None:
    sockets = [await connect(http, sim, token) for token in ("alice-token", "root-token", "bot-token")]
    unauthenticated = await connect(http, sim)
    for ws in sockets:
        await hello(ws)
    await sim.hub.wait_connected(user(sim, "alice").id)
    assert sim.hub.connection_count() == 3
    await sim.hub.close_all()
    for ws in [*sockets, unauthenticated]:
        message = await assert_closed(ws)
        assert message.data == 1001
        await ws.close()
    assert sim.hub.connection_count() == 0


async def test_client_too_far_behind_is_cut_off_and_can_resume(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    sim.hub.settings.send_queue_size = 4
    root, channel = user(sim, "root"), town_square(sim)
    ws = await connect(http, sim, "alice-token")
    connection_id = await hello(ws)
    sim.hub.stop_answering_pings(True)
    for number in range(10):
        sim.state.create_post(root, channel, f"burst {number}")
    await assert_closed(ws)
    await ws.close()
    params = {"connection_id": connection_id, "sequence_number": "1"}
    async with await connect(http, sim, "alice-token", params=params) as resumed:
        replayed = [await frame(resumed) for _ in range(10)]
    assert [e["seq"] for e in replayed] == list(range(1, 11))


async def test_close_all_ends_half_open_sockets_promptly(sim: Simulator, http: aiohttp.ClientSession) -> None:
    async with await connect(http, sim, "alice-token") as ws:
        await hello(ws)
        sim.hub.stop_answering_pings(True)
        started = time.monotonic()
        await sim.hub.close_all()
        await assert_closed(ws)
    assert time.monotonic() - started < 2.5
    assert sim.hub.connection_count() == 0


async def test_direct_message_mentions_the_other_member(sim: Simulator, http: aiohttp.ClientSession) -> None:
    alice, root = user(sim, "alice"), user(sim, "root")
    direct = sim.state.direct_channel(root, alice)
    async with (
        await connect(http, sim, "alice-token") as alice_ws,
        await connect(http, sim, "root-token") as root_ws,
    ):
        await hello(alice_ws)
        await hello(root_ws)
        sim.state.create_post(root, direct, "got a minute?")
        to_alice, to_root = await frame(alice_ws), await frame(root_ws)
    assert json.loads(to_alice["data"]["mentions"]) == [alice.id]
    assert "mentions" not in to_root["data"]
    assert to_alice["data"]["channel_type"] == "D"
