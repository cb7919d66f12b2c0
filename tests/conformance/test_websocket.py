"""The websocket: ``hello``, the events the bot and people receive, and reconnect parameters."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import aiohttp

from mattermost_sim.client import Person

from .shapes import Exact, assert_conform
from .sides import REAL_ONLY, Side, Sides

pytestmark = REAL_ONLY
# Events the bot and the simulator's clients act on; the real server sends others too
# (status_change, channel_viewed, preferences_changed, sidebar updates…), which are not compared.
WATCHED = (
    "hello", "posted", "post_edited", "post_deleted", "reaction_added", "reaction_removed", "user_added",
    "user_removed", "channel_created", "channel_updated", "channel_deleted", "direct_added", "typing",
    "ephemeral_message",
)  # fmt: skip
DONE = "that is all"


async def _events_until_done(person: Person) -> list[dict[str, Any]]:
    await person.next_event("posted", lambda e: json.loads(e["data"]["post"])["message"] == DONE, timeout=15)
    return [event for name in WATCHED for event in person.events(name)]


def _by_kind(events: list[dict[str, Any]], side: Side) -> dict[str, Any]:
    """Events grouped by name and, for ``posted``, post type; each group's count and shapes."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in events:
        name = event["event"]
        if name == "posted":
            name += ":" + (json.loads(event["data"]["post"])["type"] or "plain")
        groups[name].append(event)
    return {name: {"count": Exact(len(group)), "events": group} for name, group in sorted(groups.items())}


async def _activity(side: Side) -> dict[str, Any]:
    alice_id, bot_id = side.user_ids["alice"], side.user_ids["playbooks"]
    async with side.person("alice") as alice, side.person("playbooks") as bot:
        await alice.listen()
        await bot.listen()
        channel = await side.channel("playbooks", "ws-events")
        await side.call("playbooks", "POST", f"/channels/{channel}/members", {"user_id": alice_id})
        await side.system_posts(channel, 2)
        post = await side.post("playbooks", channel, "Hello @alice")
        await side.post("alice", channel, "hi", root_id=post["id"])
        await side.call("playbooks", "PUT", f"/posts/{post['id']}/patch", {"message": "Hello again @alice"})
        await side.call(
            "playbooks",
            "POST",
            "/reactions",
            {"user_id": bot_id, "post_id": post["id"], "emoji_name": "eyes"},
        )
        await side.call("playbooks", "DELETE", f"/users/{bot_id}/posts/{post['id']}/reactions/eyes")
        await alice.typing(channel)
        await bot.next_event("typing")
        await side.call("playbooks", "PUT", f"/channels/{channel}/patch", {"header": "Run header"})
        ephemeral = {"user_id": alice_id, "post": {"channel_id": channel, "message": "only you"}}
        await side.call("root", "POST", "/posts/ephemeral", ephemeral)
        doomed = await side.post("playbooks", channel, "oops")
        await side.call("playbooks", "DELETE", f"/posts/{doomed['id']}")
        await side.call("playbooks", "POST", "/channels/direct", [bot_id, alice_id])
        await side.call("playbooks", "DELETE", f"/channels/{channel}/members/{alice_id}")
        await side.system_posts(channel, 4)
        await side.call("playbooks", "DELETE", f"/channels/{channel}")
        await side.post("playbooks", side.town_square_id, DONE)
        return {
            "alice": _by_kind(await _events_until_done(alice), side),
            "bot": _by_kind(await _events_until_done(bot), side),
        }


async def test_events_people_and_the_bot_receive(sides: Sides) -> None:
    """Each watched event, per receiver: how many arrived and their shape (data and broadcast)."""
    sim, real = await sides.each(_activity)
    assert_conform(sim, real)


async def _connect(side: Side, query: str) -> dict[str, Any]:
    """Open a websocket with ``query``: its first frame, or how it ended."""
    url = side.url.replace("http", "ws", 1) + "/api/v4/websocket" + query
    headers = {"Authorization": f"Bearer {side.stage.token('alice')}"}
    async with aiohttp.ClientSession() as session, session.ws_connect(url, headers=headers) as ws:
        message = await ws.receive(timeout=10)
        if message.type is aiohttp.WSMsgType.TEXT:
            frame = json.loads(message.data)
            return {"event": Exact(frame.get("event")), "seq": Exact(frame.get("seq")), "frame": frame}
        return {"closed": Exact(True)}


async def _reconnects(side: Side) -> dict[str, Any]:
    return {
        "fresh": await _connect(side, ""),
        "empty_connection_id": await _connect(side, "?connection_id=&sequence_number=5"),
        "sequence_only": await _connect(side, "?sequence_number=3"),
        "unknown_connection_id": await _connect(side, "?connection_id=" + "a" * 26 + "&sequence_number=0"),
        "invalid_connection_id": await _connect(side, "?connection_id=nope&sequence_number=0"),
        "no_sequence_number": await _connect(side, "?connection_id=" + "a" * 26),
    }


async def test_reconnect_parameters(sides: Sides) -> None:
    """An empty ``connection_id`` is a fresh connection (``hello``); malformed resumes are hung up."""
    sim, real = await sides.each(_reconnects)
    assert_conform(sim, real)
