"""The REST gateway against the simulated Mattermost server (and two tiny misbehaving servers)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from aiohttp import web

from bot.mattermost import (
    Forbidden,
    MalformedResponse,
    MattermostError,
    MattermostGateway,
    MMUser,
    NotFound,
    RateLimited,
    Unauthorized,
    Unavailable,
)
from bot.mattermost.gateway_posts import POST_KEY_PROP
from mattermost_sim import Simulator
from tests.waiting import eventually

UNKNOWN_ID = "x" * 26


@pytest.fixture
async def bot(sim: Simulator) -> AsyncIterator[MattermostGateway]:
    """The gateway as the bot account."""
    gateway = MattermostGateway(sim.url, "bot-token", request_timeout=5.0)
    yield gateway
    await gateway.close()


@pytest.fixture
async def alice(sim: Simulator) -> AsyncIterator[MattermostGateway]:
    """A gateway authenticated as the human user alice, to act as a Mattermost client would."""
    gateway = MattermostGateway(sim.url, "alice-token", request_timeout=5.0)
    yield gateway
    await gateway.close()


@pytest.fixture
async def alice_user(alice: MattermostGateway) -> MMUser:
    return await alice.me()


async def _team_id(gateway: MattermostGateway) -> str:
    return (await gateway.team_by_name("acme")).id


async def _town_square(gateway: MattermostGateway) -> str:
    channel = await gateway.channel_by_name(await _team_id(gateway), "town-square")
    assert channel is not None
    return channel.id


# -- construction -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "token"),
    [("chat.example.com", "t"), ("ftp://chat.example.com", "t"), ("https://h/sub", "t"), ("https://h", "")],
)
def test_rejects_unusable_settings(url: str, token: str) -> None:
    with pytest.raises(ValueError, match=r"URL|sub-path|token"):
        MattermostGateway(url, token)


# -- users and teams ----------------------------------------------------------------


async def test_me_is_the_bot(bot: MattermostGateway) -> None:
    me = await bot.me()
    # A new account has Mattermost's default time zone: automatic, none detected yet.
    assert (me.username, me.is_bot, me.is_system_admin, me.timezone) == ("playbooks", True, False, "")
    assert await bot.me() is me  # cached


async def test_users_by_id_name_and_ids(bot: MattermostGateway, sim: Simulator) -> None:
    alice = await bot.user_by_username("alice")
    root = await bot.user_by_username("@root")
    assert alice is not None
    assert root is not None
    assert root.is_system_admin
    assert not alice.is_system_admin
    assert await bot.user(alice.id) == alice
    assert await bot.user_by_username("nobody") is None
    with pytest.raises(NotFound) as caught:
        await bot.user(UNKNOWN_ID)
    assert caught.value.status == 404
    assert caught.value.error_id
    found = await bot.users_by_ids([alice.id, root.id, alice.id, UNKNOWN_ID])
    assert sorted(u.username for u in found) == ["alice", "root"]
    assert await bot.users_by_ids([]) == []


async def test_teams_and_membership(bot: MattermostGateway, alice_user: MMUser) -> None:
    team = await bot.team_by_name("acme")
    assert (team.name, team.display_name) == ("acme", "Acme")
    assert await bot.team(team.id) == team
    assert await bot.is_team_member(team.id, alice_user.id)
    assert not await bot.is_team_member(team.id, UNKNOWN_ID)
    with pytest.raises(NotFound):
        await bot.team_by_name("no-such-team")


# -- channels -----------------------------------------------------------------------


async def test_channel_lifecycle(
    bot: MattermostGateway, alice: MattermostGateway, alice_user: MMUser
) -> None:
    team_id = await _team_id(bot)
    assert await bot.channel_by_name(team_id, "no-such-channel") is None

    created = await bot.create_channel(team_id, "incident-42", "Incident 42", private=True, header="h1")
    assert (created.type, created.name, created.header, created.team_id) == (
        "P",
        "incident-42",
        "h1",
        team_id,
    )
    assert await bot.channel_by_name(team_id, "incident-42") == created
    with pytest.raises(Forbidden):
        await alice.channel(created.id)  # a private channel alice is not in

    patched = await bot.patch_channel(created.id, header="new header", display_name="Incident #42")
    assert (patched.header, patched.display_name, patched.purpose) == ("new header", "Incident #42", "")

    root = await bot.user_by_username("root")
    assert root is not None
    await bot.add_channel_members(created.id, [alice_user.id, root.id])
    await bot.add_channel_members(created.id, [alice_user.id])  # already a member: no error
    me = await bot.me()
    assert sorted(await bot.channel_member_ids(created.id)) == sorted([me.id, alice_user.id, root.id])
    assert await bot.is_channel_member(created.id, alice_user.id)
    assert (await alice.channel(created.id)).id == created.id

    await bot.remove_channel_member(created.id, alice_user.id)
    assert not await bot.is_channel_member(created.id, alice_user.id)

    await bot.archive_channel(created.id)
    assert (await bot.channel(created.id)).is_archived


async def test_create_channel_reports_a_duplicate_name(bot: MattermostGateway) -> None:
    team_id = await _team_id(bot)
    await bot.create_channel(team_id, "dup", "Dup", private=False)
    with pytest.raises(MattermostError) as caught:
        await bot.create_channel(team_id, "dup", "Dup", private=False)
    assert caught.value.status == 400
    assert caught.value.error_id == "store.sql_channel.save_channel.exists.app_error"


async def test_direct_channel_is_stable(bot: MattermostGateway, alice_user: MMUser) -> None:
    me = await bot.me()
    first = await bot.direct_channel(alice_user.id)
    assert first.type == "D"
    assert first.name == "__".join(sorted([me.id, alice_user.id]))
    assert (await bot.direct_channel(alice_user.id)).id == first.id


# -- posts --------------------------------------------------------------------------


async def test_post_lifecycle(bot: MattermostGateway, alice: MattermostGateway) -> None:
    channel_id = await _town_square(bot)
    before = int(time.time() * 1000) - 1
    props = {"attachments": [{"text": "status", "fields": [{"title": "Owner", "value": "@alice"}]}]}
    post = await bot.create_post(channel_id, "Run started", props=props)
    me = await bot.me()
    assert (post.channel_id, post.user_id, post.message, post.root_id) == (
        channel_id,
        me.id,
        "Run started",
        "",
    )
    assert post.props["attachments"][0]["text"] == "status"

    reply = await alice.create_post(channel_id, "on it", root_id=post.id)
    assert reply.root_id == post.id
    # Mattermost keeps no pending_post_id (``db:"-"``): only the create's answer echoes it.
    assert replace(await bot.get_post(post.id), pending_post_id=post.pending_post_id) == post

    updated = await bot.update_post(post.id, "Run started (edited)", {"run": "r1"})
    assert (updated.message, dict(updated.props)) == ("Run started (edited)", {"run": "r1"})
    patched = await bot.patch_post(post.id, message="Run finished")
    assert (patched.message, dict(patched.props)) == ("Run finished", {"run": "r1"})

    await bot.add_reaction(post.id, ":white_check_mark:")
    await bot.add_reaction(post.id, "white_check_mark")  # repeating is harmless

    # Each edit keeps the earlier version as a deleted post, which ``since`` answers list too.
    since = [p for p in await bot.channel_posts_since(channel_id, before) if not p.is_deleted]
    assert [p.id for p in since] == [post.id, reply.id]
    assert since[0].message == "Run finished"

    with pytest.raises(Forbidden):
        await alice.delete_post(post.id)  # someone else's post (the bot, a team admin, could)
    await bot.delete_post(post.id)
    with pytest.raises(NotFound):
        await bot.get_post(post.id)


async def test_a_post_key_makes_create_idempotent_and_stays_in_the_props(bot: MattermostGateway) -> None:
    channel_id = await _town_square(bot)
    before = int(time.time() * 1000) - 1
    first = await bot.create_post(channel_id, "once", key="run-1-started")
    again = await bot.create_post(channel_id, "once", key="run-1-started")
    other = await bot.create_post(channel_id, "once")
    assert again.id == first.id
    assert other.id != first.id
    assert first.props[POST_KEY_PROP] == "run-1-started"
    assert POST_KEY_PROP not in other.props
    assert [p.id for p in await bot.channel_posts_since(channel_id, before)] == [first.id, other.id]


async def test_keyed_posts_are_found_by_their_key_and_author(
    bot: MattermostGateway, alice: MattermostGateway
) -> None:
    channel_id = await _town_square(bot)
    older = await bot.create_post(channel_id, "first try", key="digest-1")
    newer = await bot.create_post(channel_id, "second try", key="digest-1:b")
    await alice.create_post(channel_id, "forged", props={POST_KEY_PROP: "digest-2"})
    await bot.create_post(channel_id, "unkeyed")
    found = await bot.find_keyed_posts(channel_id, ["digest-1", "digest-1:b", "digest-2", "absent"])
    assert {key: post.id for key, post in found.items()} == {"digest-1": older.id, "digest-1:b": newer.id}
    await bot.delete_post(older.id)
    assert await bot.find_keyed_posts(channel_id, ["digest-1"]) == {}
    assert await bot.find_keyed_posts(channel_id, []) == {}


async def test_files_round_trip(bot: MattermostGateway) -> None:
    channel_id = await _town_square(bot)
    data = b'{"timeline": []}\n' * 100  # JSON content: must come back as bytes, not parsed
    file_id = await bot.upload_file(channel_id, "timeline.json", data)
    info = await bot.file_info(file_id)
    assert (info.name, info.size, info.extension) == ("timeline.json", len(data), "json")
    assert await bot.download_file(file_id) == data
    post = await bot.create_post(channel_id, "export attached", file_ids=[file_id])
    assert post.file_ids == (file_id,)
    with pytest.raises(NotFound):
        await bot.file_info(UNKNOWN_ID)


async def test_open_dialog_needs_a_valid_trigger(bot: MattermostGateway) -> None:
    dialog = {"callback_id": "c", "title": "Start run", "elements": []}
    with pytest.raises(MattermostError) as caught:
        await bot.open_dialog("not-a-trigger", "http://127.0.0.1:1/dialog", dialog)
    assert caught.value.status == 400
    assert caught.value.error_id.startswith("interactive_message.decode_trigger_id")


# -- slash commands -----------------------------------------------------------------


async def test_ensure_slash_command_is_idempotent(bot: MattermostGateway) -> None:
    team_id = await _team_id(bot)
    token = await bot.ensure_slash_command(
        team_id, "playbook", "http://127.0.0.1:9/old", "Run playbooks", "[run|list]"
    )
    assert token
    again = await bot.ensure_slash_command(
        team_id, "playbook", "http://127.0.0.1:9/new", "Run playbooks", "[run|list|finish]"
    )
    assert again == token
    commands = [c for c in await bot.list_commands(team_id) if c.trigger == "playbook"]
    assert len(commands) == 1
    command = commands[0]
    assert (command.url, command.auto_complete_hint, command.auto_complete) == (
        "http://127.0.0.1:9/new",
        "[run|list|finish]",
        True,
    )
    assert command.creator_id == (await bot.me()).id
    unchanged = await bot.ensure_slash_command(
        team_id, "/playbook", "http://127.0.0.1:9/new", "Run playbooks", "[run|list|finish]"
    )
    assert unchanged == token

    fresh = await bot.regen_command_token(command.id)
    assert fresh != token
    assert (
        await bot.ensure_slash_command(
            team_id, "playbook", "http://127.0.0.1:9/new", "Run playbooks", "[run|list|finish]"
        )
        == fresh
    )


async def test_create_and_update_command(bot: MattermostGateway) -> None:
    team_id = await _team_id(bot)
    created = await bot.create_command(
        team_id, "oncall", "http://127.0.0.1:9/oncall", auto_complete=True, description="Who is on call"
    )
    assert (created.trigger, created.method, created.description) == ("oncall", "P", "Who is on call")
    updated = await bot.update_command(replace(created, url="http://127.0.0.1:9/v2", description="On-call"))
    assert (updated.url, updated.description, updated.token) == (
        "http://127.0.0.1:9/v2",
        "On-call",
        created.token,
    )


# -- errors and faults ----------------------------------------------------------------


async def test_bad_token_is_unauthorized(sim: Simulator) -> None:
    async with MattermostGateway(sim.url, "revoked-token") as gateway:
        with pytest.raises(Unauthorized) as caught:
            await gateway.me()
    assert caught.value.error_id == "api.context.session_expired.app_error"


async def test_rate_limit_is_waited_out(sim: Simulator, bot: MattermostGateway) -> None:
    channel_id = await _town_square(bot)
    sim.faults.throttle(count=1, retry_after=1, method="POST", path_pattern=r"^/api/v4/posts$")
    started = time.monotonic()
    post = await bot.create_post(channel_id, "after the limit")
    assert time.monotonic() - started >= 0.9
    assert post.message == "after the limit"


async def test_persistent_rate_limit_raises(sim: Simulator) -> None:
    sim.faults.throttle(count=10, retry_after=60, method="GET", path_pattern=r"/users/me$")
    async with MattermostGateway(sim.url, "bot-token", retry_max_sleep=5) as gateway:
        with pytest.raises(RateLimited) as caught:
            await gateway.me()
    assert caught.value.status == 429
    assert caught.value.retry_after == pytest.approx(60, abs=1)


async def test_post_5xx_is_retried_without_double_posting(sim: Simulator, bot: MattermostGateway) -> None:
    channel_id = await _town_square(bot)
    before = int(time.time() * 1000) - 1
    sim.faults.fail(503, count=1, method="POST", path_pattern=r"^/api/v4/posts$")
    post = await bot.create_post(channel_id, "survived a 503")
    assert [p.id for p in await bot.channel_posts_since(channel_id, before)] == [post.id]


async def test_create_post_retried_after_a_timeout_posts_once(sim: Simulator) -> None:
    """The first attempt times out on the client but still lands; the retry must not post again."""
    async with MattermostGateway(sim.url, "bot-token", request_timeout=0.3) as bot:
        channel_id = await _town_square(bot)
        before = int(time.time() * 1000) - 1
        sim.faults.hang(0.6, count=1, method="POST", path_pattern=r"^/api/v4/posts$")
        post = await bot.create_post(channel_id, "exactly once")
        # The simulator logs a request once it has served it: wait for the hung first attempt.
        await eventually(
            lambda: len(sim.faults.requests(r"^/api/v4/posts$")) == 2, "the hung first attempt to be served"
        )
        assert [p.id for p in await bot.channel_posts_since(channel_id, before)] == [post.id]
    assert len(sim.faults.requests(r"^/api/v4/posts$")) == 2


async def test_persistent_5xx_on_get_raises_unavailable(sim: Simulator) -> None:
    sim.faults.fail(503, count=10, method="GET", path_pattern=r"/teams/name/")
    async with MattermostGateway(sim.url, "bot-token", max_retries=1, retry_max_sleep=0.1) as gateway:
        with pytest.raises(Unavailable) as caught:
            await gateway.team_by_name("acme")
    assert caught.value.status == 503
    assert caught.value.error_id == "api.context.server_error"


async def test_timeout_raises_unavailable() -> None:
    async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1 << 16)
        await asyncio.sleep(5)
        writer.close()

    server = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with MattermostGateway(
            f"http://127.0.0.1:{port}", "t", request_timeout=0.2, max_retries=0
        ) as gw:
            started = time.monotonic()
            with pytest.raises(Unavailable) as caught:
                await gw.me()
            assert caught.value.error_id == "timeout"
            assert time.monotonic() - started < 2
    finally:
        server.close()


async def test_connection_refused_raises_unavailable() -> None:
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    async with MattermostGateway(f"http://127.0.0.1:{port}", "t", max_retries=0) as gateway:
        with pytest.raises(Unavailable) as caught:
            await gateway.team("t" * 26)
    assert caught.value.error_id == "connection"


async def test_json_with_a_charset_and_html_errors_are_understood() -> None:
    """A proxy may add ``; charset=utf-8`` or answer 502 with HTML; a body of the wrong shape is named."""

    async def me(_: web.Request) -> web.Response:
        return web.json_response(
            {"id": "u" * 26, "username": "playbooks", "is_bot": True, "roles": "system_user"}
        )

    async def bad_gateway(_: web.Request) -> web.Response:
        return web.Response(status=502, text="<html>Bad Gateway</html>", content_type="text/html")

    async def odd_team(_: web.Request) -> web.Response:
        return web.json_response({"id": "t" * 26, "name": 3}, content_type="application/json")

    app = web.Application()
    app.router.add_get("/api/v4/users/me", me)
    app.router.add_get("/api/v4/teams/name/odd", odd_team)
    app.router.add_post("/api/v4/posts", bad_gateway)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        async with MattermostGateway(f"http://127.0.0.1:{port}", "t", post_retries=1) as gateway:
            assert (await gateway.me()).username == "playbooks"
            with pytest.raises(Unavailable) as caught:
                await gateway.create_post("c" * 26, "hello")
            assert caught.value.status == 502
            with pytest.raises(MalformedResponse, match="'name' must be a string"):
                await gateway.team_by_name("odd")
    finally:
        await runner.cleanup()
