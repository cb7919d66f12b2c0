"""The websocket supervisor against the simulator's websocket hub."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.mattermost import MattermostGateway, WebsocketSupervisor
from bot.mattermost.websocket import websocket_url
from mattermost_sim import Simulator
from tests.waiting import eventually

WAIT = 5.0


class Recorder:
    """A handler that remembers every event, and an ``on_gap`` that counts its calls."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.gap_calls = 0
        self.fail_on: set[str] = set()

    async def handle(self, event: dict[str, Any]) -> None:
        self.events.append(event)
        if event["event"] == "posted" and self.message(event) in self.fail_on:
            raise RuntimeError(f"handler broke on {self.message(event)!r}")

    async def on_gap(self) -> None:
        self.gap_calls += 1

    @staticmethod
    def message(event: dict[str, Any]) -> str:
        return str(json.loads(event["data"]["post"])["message"])

    def posted(self) -> list[str]:
        return [self.message(e) for e in self.events if e["event"] == "posted"]

    def hellos(self) -> list[dict[str, Any]]:
        return [e for e in self.events if e["event"] == "hello"]


@pytest.fixture
async def alice(sim: Simulator) -> AsyncIterator[MattermostGateway]:
    """Alice's client, posting in town-square."""
    gateway = MattermostGateway(sim.url, "alice-token", request_timeout=5.0)
    yield gateway
    await gateway.close()


@pytest.fixture
async def town_square(alice: MattermostGateway) -> str:
    team = await alice.team_by_name("acme")
    channel = await alice.channel_by_name(team.id, "town-square")
    assert channel is not None
    return channel.id


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
async def supervisor(sim: Simulator, recorder: Recorder) -> AsyncIterator[WebsocketSupervisor]:
    """The bot's supervisor, started and connected."""
    sup = WebsocketSupervisor(
        sim.url, "bot-token", recorder.handle, heartbeat=1.0, backoff_base=0.05, on_gap=recorder.on_gap
    )
    await sup.start()
    await asyncio.wait_for(sup.connected.wait(), WAIT)
    await eventually(lambda: len(recorder.hellos()) == 1, "the hello")
    yield sup
    await sup.stop()


async def post_all(alice: MattermostGateway, channel_id: str, *messages: str) -> None:
    for message in messages:
        await alice.create_post(channel_id, message)


def test_websocket_url() -> None:
    assert websocket_url("https://chat.example.com/") == "wss://chat.example.com/api/v4/websocket"
    assert websocket_url("http://127.0.0.1:8065") == "ws://127.0.0.1:8065/api/v4/websocket"
    with pytest.raises(ValueError, match="http"):
        websocket_url("chat.example.com")


async def test_receives_posted_events(
    supervisor: WebsocketSupervisor, recorder: Recorder, alice: MattermostGateway, town_square: str
) -> None:
    await post_all(alice, town_square, "one", "two", "three")
    await eventually(lambda: recorder.posted() == ["one", "two", "three"], "three posted events")
    hello = recorder.hellos()[0]
    assert supervisor.connection_id == hello["data"]["connection_id"]
    assert supervisor.events_received == len(recorder.events)
    assert [e["seq"] for e in recorder.events] == list(range(len(recorder.events)))


async def test_resumes_after_an_abrupt_drop_without_losing_events(
    sim: Simulator,
    supervisor: WebsocketSupervisor,
    recorder: Recorder,
    alice: MattermostGateway,
    town_square: str,
) -> None:
    await post_all(alice, town_square, "before")
    await eventually(lambda: recorder.posted() == ["before"], "the first event")
    connection_id = supervisor.connection_id

    await sim.hub.drop_all("abort")
    await post_all(alice, town_square, "during-1", "during-2")
    await eventually(lambda: supervisor.reconnects == 1 and supervisor.connected.is_set(), "a reconnect")
    await post_all(alice, town_square, "after")

    await eventually(lambda: recorder.posted() == ["before", "during-1", "during-2", "after"], "every event")
    assert supervisor.connection_id == connection_id
    assert len(recorder.hellos()) == 1  # resumed: the server sent no new hello
    assert (supervisor.gaps, recorder.gap_calls) == (0, 0)


async def test_reconnects_after_a_clean_close(
    sim: Simulator,
    supervisor: WebsocketSupervisor,
    recorder: Recorder,
    alice: MattermostGateway,
    town_square: str,
) -> None:
    await sim.hub.drop_all("going_away")
    await eventually(lambda: supervisor.reconnects == 1 and supervisor.connected.is_set(), "a reconnect")
    await post_all(alice, town_square, "still here")
    await eventually(lambda: recorder.posted() == ["still here"], "the event after the reconnect")


async def test_a_forgotten_connection_calls_on_gap(
    sim: Simulator,
    supervisor: WebsocketSupervisor,
    recorder: Recorder,
    alice: MattermostGateway,
    town_square: str,
) -> None:
    old_id = supervisor.connection_id
    sim.hub.forget_connections()  # a server restart: ids and buffers gone, sockets reset
    await eventually(lambda: len(recorder.hellos()) == 2, "a fresh hello")
    await eventually(lambda: recorder.gap_calls == 1, "on_gap")
    assert supervisor.connection_id not in ("", old_id)
    assert supervisor.gaps == 1
    await post_all(alice, town_square, "after restart")
    await eventually(lambda: recorder.posted() == ["after restart"], "events on the new connection")


async def test_a_skipped_sequence_number_calls_on_gap(
    sim: Simulator,
    supervisor: WebsocketSupervisor,
    recorder: Recorder,
    alice: MattermostGateway,
    town_square: str,
) -> None:
    await post_all(alice, town_square, "a")
    await eventually(lambda: recorder.posted() == ["a"], "the first event")
    sim.hub.skip_seq()
    await post_all(alice, town_square, "b")
    await eventually(lambda: recorder.posted() == ["a", "b"], "the event after the gap")
    await eventually(lambda: recorder.gap_calls == 1, "on_gap")
    assert supervisor.reconnects == 0


async def test_a_failing_handler_does_not_stop_events(
    supervisor: WebsocketSupervisor,
    recorder: Recorder,
    alice: MattermostGateway,
    town_square: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    recorder.fail_on = {"boom"}
    with caplog.at_level(logging.ERROR, logger="bot.mattermost.websocket"):
        await post_all(alice, town_square, "boom", "fine")
        await eventually(lambda: recorder.posted() == ["boom", "fine"], "both events")
        await supervisor.wait_idle()
    assert supervisor.handler_errors == 1
    assert supervisor.reconnects == 0
    assert any("posted" in r.getMessage() and "failed" in r.getMessage() for r in caplog.records)


async def test_a_slow_handler_times_out_and_the_next_event_is_handled(
    sim: Simulator, alice: MattermostGateway, town_square: str, caplog: pytest.LogCaptureFixture
) -> None:
    handled: list[str] = []

    async def slow_then_fast(event: dict[str, Any]) -> None:
        if event["event"] != "posted":
            return
        message = Recorder.message(event)
        if message == "slow":
            await asyncio.sleep(30)
        handled.append(message)

    sup = WebsocketSupervisor(sim.url, "bot-token", slow_then_fast, handler_timeout=0.2)
    await sup.start()
    try:
        await asyncio.wait_for(sup.connected.wait(), WAIT)
        await post_all(alice, town_square, "slow", "fast")
        await eventually(lambda: handled == ["fast"], "the event after the slow one")
        assert sup.handler_errors == 1
        assert any("posted" in r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR)
    finally:
        await sup.stop()


async def test_heartbeat_detects_a_half_open_connection(
    sim: Simulator,
    supervisor: WebsocketSupervisor,
    recorder: Recorder,
    alice: MattermostGateway,
    town_square: str,
) -> None:
    sim.hub.stop_answering_pings()
    await eventually(
        lambda: supervisor.reconnects == 1 and supervisor.connected.is_set(), "a reconnect", within=6.0
    )
    await post_all(alice, town_square, "alive again")
    await eventually(lambda: "alive again" in recorder.posted(), "an event on the new connection")


async def test_a_bad_token_keeps_retrying_until_stopped(
    sim: Simulator, recorder: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.mattermost.websocket")
    sim.hub.settings.auth_timeout = 0.05  # the server hangs up on an unauthenticated socket sooner

    def attempts_ended() -> int:
        return sum("reconnecting in" in r.getMessage() for r in caplog.records)

    sup = WebsocketSupervisor(sim.url, "wrong-token", recorder.handle, backoff_base=0.05, backoff_cap=0.2)
    await sup.start()
    try:
        await eventually(lambda: attempts_ended() >= 3, "three refused connections")
        assert not sup.connected.is_set()
        assert recorder.events == []
    finally:
        await sup.stop()


async def test_stop_leaves_no_tasks(sim: Simulator, recorder: Recorder) -> None:
    before = asyncio.all_tasks()
    sup = WebsocketSupervisor(sim.url, "bot-token", recorder.handle)
    await sup.start()
    await asyncio.wait_for(sup.connected.wait(), WAIT)
    with pytest.raises(RuntimeError, match="already running"):
        await sup.start()
    await sup.stop()
    await sup.stop()  # a second stop is harmless
    assert not sup.connected.is_set()
    assert asyncio.all_tasks() == before
    bot_id = await _bot_id(sim)
    await eventually(lambda: sim.hub.connection_count(bot_id) == 0, "the server to see the socket closed")


async def _bot_id(sim: Simulator) -> str:
    async with MattermostGateway(sim.url, "bot-token") as gateway:
        return (await gateway.me()).id
