"""The simulator's REST surface, exercised the way Mattermost clients call it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from mattermostautodriver import AsyncTypedDriver
from mattermostautodriver.exceptions import NotEnoughPermissions

from mattermost_sim import Simulator
from mattermost_sim.seed import load_seed_file
from mattermost_sim.state import Event
from tests.conftest import SEED

TIMEOUT = aiohttp.ClientTimeout(total=10)
BOT, ALICE, ROOT = "bot-token", "alice-token", "root-token"


def auth(token: str) -> dict[str, str]:
    """The header a client authenticates with."""
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def http(sim: Simulator) -> AsyncIterator[aiohttp.ClientSession]:
    """A plain HTTP client pointed at the strict simulator."""
    async with aiohttp.ClientSession(sim.url, timeout=TIMEOUT) as session:
        yield session


@pytest.fixture
async def lenient_http() -> AsyncIterator[aiohttp.ClientSession]:
    """A client of a simulator without strict mode, to see how routes answer malformed requests."""
    simulator = Simulator()
    load_seed_file(simulator.state, SEED)
    await simulator.start()
    try:
        async with aiohttp.ClientSession(simulator.url, timeout=TIMEOUT) as session:
            yield session
    finally:
        await simulator.stop()


@pytest.fixture
async def driver(sim: Simulator) -> AsyncIterator[AsyncTypedDriver]:
    """The bot's view: mattermostautodriver logged in with the bot token."""
    options = {"url": "127.0.0.1", "port": sim.port, "scheme": "http", "token": BOT, "max_retries": 0}
    async with AsyncTypedDriver(options) as client:
        await client.login()
        yield client


async def call(session: aiohttp.ClientSession, method: str, path: str, token: str = BOT, **kw: Any) -> Any:
    """Send a request; answer ``(status, parsed JSON body)``."""
    async with session.request(method, f"/api/v4{path}", headers=auth(token), **kw) as response:
        assert response.headers["Content-Type"] == "application/json"
        return response.status, await response.json()


async def team_id(session: aiohttp.ClientSession) -> str:
    """The seeded team's id."""
    _, team = await call(session, "GET", "/teams/name/acme")
    return str(team["id"])


async def new_channel(session: aiohttp.ClientSession, name: str, kind: str = "O", token: str = BOT) -> str:
    """Create a channel as ``token`` and answer its id."""
    body = {"team_id": await team_id(session), "name": name, "display_name": name.title(), "type": kind}
    status, channel = await call(session, "POST", "/channels", token, json=body)
    assert status == 201, channel
    return str(channel["id"])


async def user_id(session: aiohttp.ClientSession, username: str) -> str:
    """A seeded user's id."""
    _, user = await call(session, "GET", f"/users/username/{username}")
    return str(user["id"])


async def test_bot_reads_itself_through_the_driver(driver: AsyncTypedDriver) -> None:
    me = await driver.users.get_user("me")
    assert me["username"] == "playbooks"
    assert me["is_bot"] is True
    assert driver.client.userid == me["id"]


async def test_bad_token_is_refused_with_session_expired(http: aiohttp.ClientSession) -> None:
    status, body = await call(http, "GET", "/users/me", "not-a-token")
    assert status == 401
    assert body["id"] == "api.context.session_expired.app_error"
    assert body["request_id"]


async def test_user_lookups(http: aiohttp.ClientSession) -> None:
    alice = await user_id(http, "alice")
    assert (await call(http, "GET", f"/users/{alice}"))[1]["username"] == "alice"
    status, users = await call(http, "POST", "/users/ids", json=[alice, "x" * 26])
    assert status == 200
    assert [u["username"] for u in users] == ["alice"]
    _, users = await call(http, "POST", "/users/usernames", json=["root", "nobody"])
    assert [u["username"] for u in users] == ["root"]
    assert (await call(http, "GET", "/users/username/nobody"))[0] == 404
    _, teams = await call(http, "GET", "/users/me/teams")
    assert [t["name"] for t in teams] == ["acme"]
    status, body = await call(http, "GET", f"/users/{alice}/teams")
    assert status == 403
    assert body["id"] == "api.context.permissions.app_error"


async def test_team_reads_and_members(http: aiohttp.ClientSession) -> None:
    team = await team_id(http)
    assert (await call(http, "GET", f"/teams/{team}"))[1]["name"] == "acme"
    _, members = await call(http, "GET", f"/teams/{team}/members", params={"per_page": "2"})
    assert len(members) == 2
    assert all(m["team_id"] == team for m in members)
    bot = await user_id(http, "playbooks")
    assert (await call(http, "GET", f"/teams/{team}/members/{bot}"))[1]["user_id"] == bot
    assert (await call(http, "GET", "/teams/name/nowhere"))[0] == 404


async def test_malformed_and_unknown_ids(http: aiohttp.ClientSession) -> None:
    status, body = await call(http, "GET", "/channels/short")
    assert (status, body["id"]) == (400, "api.context.invalid_url_param.app_error")
    status, body = await call(http, "GET", f"/channels/{'a' * 26}")
    assert (status, body["id"]) == (404, "app.channel.get.existing.app_error")


async def test_create_channel_post_and_read_back(driver: AsyncTypedDriver) -> None:
    team = await driver.teams.get_team_by_name("acme")
    channel = await driver.channels.create_channel(
        team["id"], "incident-1", "Incident 1", "P", purpose="db down"
    )
    assert channel["type"] == "P"
    assert channel["name"] == "incident-1"
    post = await driver.posts.create_post(channel["id"], "Investigating")
    assert (await driver.posts.get_post(post["id"]))["message"] == "Investigating"
    by_name = await driver.channels.get_channel_by_name_for_team_name("acme", "incident-1")
    assert by_name["id"] == channel["id"]
    mine = await driver.channels.get_channels_for_team_for_user("me", team["id"])
    assert {"town-square", "incident-1"} <= {c["name"] for c in mine}


async def test_channel_name_rules(http: aiohttp.ClientSession, lenient_http: aiohttp.ClientSession) -> None:
    team = await team_id(lenient_http)
    bad = {"team_id": team, "name": "Bad Name!", "display_name": "Bad", "type": "O"}
    status, body = await call(lenient_http, "POST", "/channels", json=bad)
    assert (status, body["id"]) == (400, "model.channel.is_valid.1_or_more.app_error")
    await new_channel(http, "ops")
    status, body = await call(
        http,
        "POST",
        "/channels",
        json={"team_id": await team_id(http), "name": "ops", "display_name": "Ops", "type": "O"},
    )
    assert (status, body["id"]) == (400, "store.sql_channel.save_channel.exists.app_error")


async def test_private_channel_is_closed_to_non_members(http: aiohttp.ClientSession) -> None:
    channel = await new_channel(http, "secret", "P")
    assert (await call(http, "GET", f"/channels/{channel}", ALICE))[0] == 403
    assert (await call(http, "GET", f"/channels/{channel}/posts", ALICE))[0] == 403
    assert (await call(http, "GET", "/teams/name/acme/channels/name/secret", ALICE))[0] == 404
    status, body = await call(http, "POST", "/posts", ALICE, json={"channel_id": channel, "message": "hi"})
    assert (status, body["id"]) == (403, "api.context.permissions.app_error")
    assert (await call(http, "GET", f"/channels/{channel}", ROOT))[0] == 200


async def test_channel_members(http: aiohttp.ClientSession) -> None:
    channel = await new_channel(http, "war-room", "P")
    alice, root = await user_id(http, "alice"), await user_id(http, "root")
    status, member = await call(http, "POST", f"/channels/{channel}/members", json={"user_id": alice})
    assert status == 201
    assert member["user_id"] == alice
    assert member["channel_id"] == channel
    status, members = await call(http, "POST", f"/channels/{channel}/members", json={"user_ids": [root]})
    assert status == 201
    assert [m["user_id"] for m in members] == [root]
    _, listed = await call(http, "GET", f"/channels/{channel}/members", ALICE)
    assert len(listed) == 3
    assert (await call(http, "GET", f"/channels/{channel}/members/me", ALICE))[1]["user_id"] == alice
    assert (await call(http, "DELETE", f"/channels/{channel}/members/{alice}"))[0] == 200
    assert (await call(http, "GET", f"/channels/{channel}", ALICE))[0] == 403
    status, _ = await call(http, "POST", f"/channels/{channel}/members", ALICE, json={"user_id": alice})
    assert status == 403


async def test_team_member_joins_a_public_channel(http: aiohttp.ClientSession) -> None:
    channel = await new_channel(http, "announcements")
    alice = await user_id(http, "alice")
    status, member = await call(http, "POST", f"/channels/{channel}/members", ALICE, json={"user_id": alice})
    assert status == 201
    assert member["user_id"] == alice


async def test_patch_and_archive_channel(sim: Simulator, http: aiohttp.ClientSession) -> None:
    events: list[Event] = []
    sim.state.sinks.append(events.append)
    channel = await new_channel(http, "incident-2")
    status, patched = await call(http, "PUT", f"/channels/{channel}/patch", json={"header": "SEV1"})
    assert status == 200
    assert patched["header"] == "SEV1"
    updated = next(e for e in events if e.event == "channel_updated")
    assert json.loads(updated.data["channel"])["header"] == "SEV1"
    assert (await call(http, "DELETE", f"/channels/{channel}"))[0] == 200
    assert (await call(http, "GET", "/teams/name/acme/channels/name/incident-2"))[0] == 404
    _, archived = await call(
        http, "GET", "/teams/name/acme/channels/name/incident-2", params={"include_deleted": "true"}
    )
    assert archived["delete_at"] > 0


async def test_direct_channel_is_idempotent(http: aiohttp.ClientSession) -> None:
    ids = [await user_id(http, "playbooks"), await user_id(http, "alice")]
    status, first = await call(http, "POST", "/channels/direct", json=ids)
    _, again = await call(http, "POST", "/channels/direct", json=ids[::-1])
    assert status == 201
    assert first["id"] == again["id"]
    assert first["type"] == "D"
    assert first["name"] == "__".join(sorted(ids))


async def test_ephemeral_posts_need_a_system_admin(sim: Simulator, http: aiohttp.ClientSession) -> None:
    events: list[Event] = []
    sim.state.sinks.append(events.append)
    channel = await new_channel(http, "eph")
    alice = await user_id(http, "alice")
    body = {"user_id": alice, "post": {"channel_id": channel, "message": "only you"}}
    status, error = await call(http, "POST", "/posts/ephemeral", json=body)
    assert (status, error["id"]) == (403, "api.context.permissions.app_error")
    status, post = await call(http, "POST", "/posts/ephemeral", ROOT, json=body)
    assert status == 201
    assert post["message"] == "only you"
    assert [e.broadcast.user_id for e in events if e.event == "ephemeral_message"] == [alice]


async def test_post_list_order_paging_and_since(sim: Simulator, http: aiohttp.ClientSession) -> None:
    channel = await new_channel(http, "timeline")
    ids = []
    now = sim.state.clock
    for n in range(3):
        sim.state.clock = lambda n=n: now() + n  # distinct millisecond timestamps, in order
        _, post = await call(http, "POST", "/posts", json={"channel_id": channel, "message": f"m{n}"})
        ids.append(post["id"])
    _, listed = await call(http, "GET", f"/channels/{channel}/posts")
    joined = listed["order"][-1]  # the creator's "joined the channel" system message comes first
    assert listed["posts"][joined]["type"] == "system_join_channel"
    assert listed["order"] == [*ids[::-1], joined]
    _, page = await call(http, "GET", f"/channels/{channel}/posts", params={"per_page": "2", "page": "0"})
    assert page["order"] == ids[:0:-1]
    assert page["prev_post_id"] == ids[0]
    assert "has_next" not in page
    _, before = await call(http, "GET", f"/channels/{channel}/posts", params={"before": ids[2]})
    assert before["order"] == [*ids[1::-1], joined]
    assert before["next_post_id"] == ids[2]
    first = (await call(http, "GET", f"/posts/{ids[0]}"))[1]
    _, since = await call(
        http, "GET", f"/channels/{channel}/posts", params={"since": str(first["create_at"])}
    )
    assert since["order"] == ids[:0:-1]
    await call(http, "PUT", f"/posts/{ids[0]}/patch", json={"message": "m0 edited"})
    _, since = await call(
        http, "GET", f"/channels/{channel}/posts", params={"since": str(first["create_at"])}
    )
    assert ids[0] in since["order"]
    assert since["posts"][ids[0]]["message"] == "m0 edited"


async def test_pending_post_id_deduplicates_retries(http: aiohttp.ClientSession) -> None:
    channel = await new_channel(http, "dedup")
    body = {"channel_id": channel, "message": "once", "pending_post_id": "retry-key-1"}
    first = (await call(http, "POST", "/posts", json=body))[1]
    second = (await call(http, "POST", "/posts", json=body))[1]
    assert first["id"] == second["id"]
    assert first["pending_post_id"] == "retry-key-1"
    _, listed = await call(http, "GET", f"/channels/{channel}/posts")
    assert [p for p in listed["order"] if not listed["posts"][p]["type"]] == [first["id"]]
    _, fetched = await call(http, "GET", f"/posts/{first['id']}")
    assert fetched["pending_post_id"] == ""  # remembered in memory, never stored


async def test_action_integrations_never_reach_clients(http: aiohttp.ClientSession) -> None:
    channel = await new_channel(http, "actions")
    action = {"name": "Ack", "integration": {"url": "http://127.0.0.1:1/act", "context": {"secret": "s3"}}}
    props = {"attachments": [{"text": "Page", "actions": [action]}]}
    _, created = await call(
        http, "POST", "/posts", json={"channel_id": channel, "message": "", "props": props}
    )
    _, fetched = await call(http, "GET", f"/posts/{created['id']}")
    stored = fetched["props"]["attachments"][0]["actions"][0]
    assert stored["id"]
    assert "integration" not in stored
    _, listed = await call(http, "GET", f"/channels/{channel}/posts")
    assert "integration" not in json.dumps(listed)


async def test_threads_and_replies(http: aiohttp.ClientSession) -> None:
    channel = await new_channel(http, "threads")
    _, root = await call(http, "POST", "/posts", json={"channel_id": channel, "message": "root"})
    _, reply = await call(
        http, "POST", "/posts", json={"channel_id": channel, "message": "re", "root_id": root["id"]}
    )
    _, thread = await call(http, "GET", f"/posts/{reply['id']}/thread")
    assert set(thread["order"]) == {root["id"], reply["id"]}
    assert (await call(http, "DELETE", f"/posts/{root['id']}"))[0] == 200
    assert (await call(http, "GET", f"/posts/{reply['id']}"))[0] == 404


async def test_editing_posts(sim: Simulator, http: aiohttp.ClientSession) -> None:
    channel = await new_channel(http, "edits")
    await call(http, "POST", f"/channels/{channel}/members", json={"user_id": await user_id(http, "alice")})
    props = {"k": "v"}
    _, post = await call(http, "POST", "/posts", json={"channel_id": channel, "message": "a", "props": props})
    status, body = await call(http, "PUT", f"/posts/{post['id']}", json={"id": "x" * 26, "message": "b"})
    assert (status, body["id"]) == (400, "api.context.invalid_body_param.app_error")
    if sim.validator is not None:  # a deliberate contract breach, not the test's failure
        assert len(sim.validator.take_violations()) == 1
    _, updated = await call(http, "PUT", f"/posts/{post['id']}", json={"id": post["id"], "message": "b"})
    assert updated["message"] == "b"
    assert updated["props"] == {}
    assert updated["edit_at"] > 0
    _, patched = await call(http, "PUT", f"/posts/{post['id']}/patch", json={"props": {"x": "y"}})
    assert patched["message"] == "b"
    assert patched["props"] == {"x": "y"}
    status, _ = await call(http, "PUT", f"/posts/{post['id']}/patch", ALICE, json={"message": "hijack"})
    assert status == 403
    assert (await call(http, "DELETE", f"/posts/{post['id']}", ALICE))[0] == 403


async def test_reactions(http: aiohttp.ClientSession, driver: AsyncTypedDriver) -> None:
    bot = await user_id(http, "playbooks")
    channel = await new_channel(http, "reacts")
    _, post = await call(http, "POST", "/posts", json={"channel_id": channel, "message": "ok?"})
    reaction = await driver.reactions.save_reaction(
        {"user_id": bot, "post_id": post["id"], "emoji_name": "eyes"}
    )
    assert reaction["emoji_name"] == "eyes"
    assert reaction["channel_id"] == channel
    assert [r["emoji_name"] for r in await driver.reactions.get_reactions(post["id"])] == ["eyes"]
    with pytest.raises(NotEnoughPermissions):
        await driver.reactions.save_reaction(
            {"user_id": await user_id(http, "alice"), "post_id": post["id"], "emoji_name": "eyes"}
        )
    await driver.reactions.delete_reaction(bot, post["id"], "eyes")
    assert await driver.reactions.get_reactions(post["id"]) is None  # Go's nil slice


async def test_file_upload_and_download(http: aiohttp.ClientSession, driver: AsyncTypedDriver) -> None:
    channel = await new_channel(http, "files", "P")
    uploaded = await driver.files.upload_file(
        files=("notes.txt", b"timeline", "text/plain"), channel_id=channel
    )
    info = uploaded["file_infos"][0]
    assert info["name"] == "notes.txt"
    assert info["size"] == 8
    assert uploaded["client_ids"] == []
    post_body = {"channel_id": channel, "message": "see file", "file_ids": [info["id"]]}
    _, post = await call(http, "POST", "/posts", json=post_body)
    assert post["file_ids"] == [info["id"]]
    async with http.get(f"/api/v4/files/{info['id']}", headers=auth(BOT)) as response:
        assert response.status == 200
        assert response.content_type == "text/plain"
        assert await response.read() == b"timeline"
    assert (await call(http, "GET", f"/files/{info['id']}/info"))[1]["post_id"] == post["id"]
    assert (await call(http, "GET", f"/files/{info['id']}", ALICE))[0] == 403


async def test_typing_is_announced_to_others(sim: Simulator, http: aiohttp.ClientSession) -> None:
    events: list[Event] = []
    sim.state.sinks.append(events.append)
    channel = await new_channel(http, "typing")
    bot = await user_id(http, "playbooks")
    status, body = await call(http, "POST", "/users/me/typing", json={"channel_id": channel})
    assert (status, body) == (200, {"status": "OK"})
    typing = next(e for e in events if e.event == "typing")
    assert typing.data["user_id"] == bot
    assert typing.broadcast.omit_users == {bot}


async def test_bad_bodies(lenient_http: aiohttp.ClientSession) -> None:
    status, body = await call(lenient_http, "POST", "/posts", data=b"{not json")
    assert (status, body["id"]) == (400, "api.context.invalid_body_param.app_error")
    big = {"channel_id": "a" * 26, "message": "x" * 300_001}
    status, body = await call(lenient_http, "POST", "/posts", json=big)
    assert status == 413
    assert body["status_code"] == 413
