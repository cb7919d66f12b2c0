"""The :class:`Person` client against the simulator's public API."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from mattermost_sim import Simulator
from mattermost_sim.client import Person
from mattermost_sim.client_answers import MattermostError

_PLACEHOLDER = re.compile(r"\{[^}]*\}")


def require_routes(sim: Simulator, *routes: str) -> None:
    """Skip the test, naming the route, while a route it needs is not served yet."""
    served = {
        (route.method, _PLACEHOLDER.sub("{}", route.resource.canonical))
        for route in sim.app.router.routes()
        if route.resource is not None
    }
    for wanted in routes:
        method, path = wanted.split(" ", 1)
        if (method, _PLACEHOLDER.sub("{}", path)) not in served:
            pytest.skip(f"route {wanted} is not served by the simulator yet")


@pytest.fixture
async def alice(sim: Simulator) -> AsyncIterator[Person]:
    """alice at her client."""
    async with Person(sim.url, "alice-token") as person:
        yield person


@pytest.fixture
async def root(sim: Simulator) -> AsyncIterator[Person]:
    """root (a system admin) at his client."""
    async with Person(sim.url, "root-token") as person:
        yield person


async def town_square(person: Person) -> dict[str, Any]:
    """The seeded channel, found as a person finds it."""
    team = await person.team("acme")
    return await person.channel_by_name(team["id"], "town-square")


# -- REST -------------------------------------------------------------------------


async def test_me_team_and_channels(sim: Simulator, alice: Person) -> None:
    require_routes(
        sim,
        "GET /api/v4/users/me",
        "GET /api/v4/teams/name/{name}",
        "GET /api/v4/teams/{team_id}/channels/name/{channel_name}",
        "GET /api/v4/users/{user_id}/teams/{team_id}/channels",
    )
    me = await alice.me()
    team = await alice.team("acme")
    channel = await alice.channel_by_name(team["id"], "town-square")
    mine = await alice.my_channels(team["id"])
    assert me["username"] == "alice"
    assert team["name"] == "acme"
    assert channel["display_name"] == "Town Square"
    assert channel["id"] in {c["id"] for c in mine}


async def test_errors_carry_status_and_id(sim: Simulator, alice: Person) -> None:
    require_routes(
        sim, "GET /api/v4/teams/name/{name}", "GET /api/v4/teams/{team_id}/channels/name/{channel_name}"
    )
    team = await alice.team("acme")
    with pytest.raises(MattermostError) as raised:
        await alice.channel_by_name(team["id"], "no-such-channel")
    assert raised.value.status == 404
    assert raised.value.id
    async with Person(sim.url, "wrong-token") as stranger:
        with pytest.raises(MattermostError) as refused:
            await stranger.me()
    assert (refused.value.status, refused.value.id) == (401, "api.context.session_expired.app_error")


async def test_post_reply_read_back_and_react(sim: Simulator, alice: Person) -> None:
    require_routes(
        sim,
        "POST /api/v4/posts",
        "GET /api/v4/posts/{post_id}",
        "GET /api/v4/channels/{channel_id}/posts",
        "POST /api/v4/reactions",
        "DELETE /api/v4/users/{user_id}/posts/{post_id}/reactions/{emoji_name}",
    )
    channel = await town_square(alice)
    root_post = await alice.post(channel["id"], "first")
    reply = await alice.post(channel["id"], "second", root_id=root_post["id"])
    posts = await alice.channel_posts(channel["id"])
    changed = await alice.channel_posts(channel["id"], since=root_post["create_at"] - 1)
    reaction = await alice.react(root_post["id"], "thumbsup")
    assert (await alice.get_post(root_post["id"]))["has_reactions"] is True
    await alice.unreact(root_post["id"], "thumbsup")
    assert [p["message"] for p in posts][-2:] == ["first", "second"]
    assert posts[-1]["root_id"] == root_post["id"] == reply["root_id"]
    assert {p["id"] for p in changed} >= {root_post["id"], reply["id"]}
    assert reaction["emoji_name"] == "thumbsup"
    assert not (await alice.get_post(root_post["id"])).get("has_reactions")


async def test_upload_and_attach(sim: Simulator, alice: Person) -> None:
    require_routes(sim, "POST /api/v4/files", "POST /api/v4/posts")
    channel = await town_square(alice)
    file_id = await alice.upload(channel["id"], "timeline.txt", b"12:00 paged\n")
    post = await alice.post(channel["id"], "timeline attached", file_ids=[file_id])
    assert post["file_ids"] == [file_id]


async def test_join_and_direct_channel(sim: Simulator, alice: Person, root: Person) -> None:
    require_routes(sim, "POST /api/v4/channels/{channel_id}/members", "POST /api/v4/channels/direct")
    team_id = sim.state.team_by_name("acme").id  # type: ignore[union-attr]
    owner = sim.state.user_by_username("root")
    assert owner is not None
    open_channel = sim.state.create_channel(owner, team_id, "incidents", "Incidents", "O")
    member = await alice.join(open_channel.id)
    direct = await alice.direct_channel_with(await root.my_id())
    again = await root.direct_channel_with(await alice.my_id())
    assert member["user_id"] == await alice.my_id()
    assert direct["type"] == "D"
    assert direct["id"] == again["id"]


# -- websocket --------------------------------------------------------------------


async def test_listen_records_events_and_waits_for_the_next(
    sim: Simulator, alice: Person, root: Person
) -> None:
    require_routes(sim, "POST /api/v4/posts")
    channel = await town_square(alice)
    await alice.listen()
    await root.post(channel["id"], "hello @alice")
    await root.post(channel["id"], "second")
    first = await alice.next_event("posted")
    second = await alice.next_event("posted", lambda e: "second" in e["data"]["post"])
    assert json.loads(first["data"]["mentions"]) == [await alice.my_id()]
    assert json.loads(second["data"]["post"])["message"] == "second"
    assert len(alice.events("hello")) == 1
    assert len(alice.events("posted")) == 2


async def test_waiting_too_long_says_what_was_awaited(sim: Simulator, alice: Person) -> None:
    await alice.listen()
    with pytest.raises(TimeoutError, match=r"'open_dialog' event within 0\.1s"):
        await alice.next_dialog(timeout=0.1)


# -- commands, buttons and dialogs through an integration ---------------------------


@dataclass
class Integration:
    """A stand-in for the bot: answers a slash command, a button and a dialog."""

    sim_url: str
    bot_token: str
    url: str = ""
    submissions: list[dict[str, Any]] = field(default_factory=list)
    clicks: list[dict[str, Any]] = field(default_factory=list)

    async def command(self, request: web.Request) -> web.Response:
        form = await request.post()
        return web.json_response({"response_type": "ephemeral", "text": f"you said {form.get('text')}"})

    async def action(self, request: web.Request) -> web.Response:
        click = await request.json()
        self.clicks.append(click)
        dialog = {
            "callback_id": "rename",
            "title": "Rename",
            "state": "run-7",
            "elements": [{"display_name": "Name", "name": "name", "type": "text"}],
        }
        body = {"trigger_id": click["trigger_id"], "url": f"{self.url}/dialog", "dialog": dialog}
        headers = {"Authorization": f"Bearer {self.bot_token}"}
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                f"{self.sim_url}/api/v4/actions/dialogs/open", json=body, headers=headers
            ) as response,
        ):
            assert response.status == 200, await response.text()
        return web.json_response({})

    async def dialog(self, request: web.Request) -> web.Response:
        submission = await request.json()
        self.submissions.append(submission)
        if not submission["cancelled"] and not submission["submission"].get("name"):
            return web.json_response({"errors": {"name": "A name is required."}})
        return web.json_response({})


@pytest.fixture
async def integration(sim: Simulator) -> AsyncIterator[Integration]:
    """The integration served on an ephemeral port."""
    handler = Integration(sim.url, "bot-token")
    app = web.Application()
    app.router.add_post("/command", handler.command)
    app.router.add_post("/action", handler.action)
    app.router.add_post("/dialog", handler.dialog)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    handler.url = f"http://127.0.0.1:{port}"
    try:
        yield handler
    finally:
        await runner.cleanup()


async def test_slash_command_answers_with_an_ephemeral_post(
    sim: Simulator, alice: Person, root: Person, integration: Integration
) -> None:
    require_routes(sim, "POST /api/v4/commands", "POST /api/v4/commands/execute")
    channel = await town_square(alice)
    await root.create_command(channel["team_id"], "shout", f"{integration.url}/command")
    await alice.listen()
    await alice.execute(channel["id"], "/shout status please")
    ephemeral = await alice.next_ephemeral()
    assert ephemeral["message"] == "you said status please"
    assert ephemeral["channel_id"] == channel["id"]


async def test_button_opens_a_dialog_that_is_submitted(
    sim: Simulator, alice: Person, integration: Integration
) -> None:
    require_routes(
        sim,
        "POST /api/v4/posts/{post_id}/actions/{action_id}",
        "POST /api/v4/actions/dialogs/open",
        "POST /api/v4/actions/dialogs/submit",
    )
    bot = sim.state.user_by_username("playbooks")
    assert bot is not None
    channel = await town_square(alice)
    action = {"id": "rename", "name": "Rename", "integration": {"url": f"{integration.url}/action"}}
    post = sim.state.create_post(
        bot,
        sim.state.get_channel(channel["id"]),
        "",
        props={"attachments": [{"text": "Run", "actions": [action]}]},
    )
    await alice.listen()
    clicked = await alice.click(post.id, "rename")
    dialog = await alice.next_dialog()
    refused = await alice.submit_dialog(dialog, {"name": ""})
    accepted = await alice.submit_dialog(dialog, {"name": "Database outage"})
    cancelled = await alice.submit_dialog(dialog, {}, cancelled=True)
    assert clicked["status"] == "OK"
    assert dialog["dialog"]["callback_id"] == "rename"
    assert refused == {"errors": {"name": "A name is required."}}
    assert accepted == {}
    assert cancelled == {}
    sent = integration.submissions[1]
    assert (sent["callback_id"], sent["state"], sent["channel_id"]) == ("rename", "run-7", channel["id"])
    assert sent["submission"] == {"name": "Database outage"}
    assert integration.submissions[2]["cancelled"] is True


async def test_typing_reaches_other_listeners(sim: Simulator, alice: Person, root: Person) -> None:
    channel = await town_square(alice)
    await alice.listen()
    await root.listen()
    await alice.typing(channel["id"])
    typing = await root.next_event("typing")
    assert typing["data"]["user_id"] == await alice.my_id()
    assert alice.events("typing") == []
