"""The world as a real Mattermost keeps it: default channels and team roles from the seed, system
messages, default role permissions, posts serialised as the server stores them, and the websocket
events that go with them (each confirmed against a real server by tests/conformance)."""

from __future__ import annotations

import json

from mattermost_sim import Simulator
from mattermost_sim.seed import load_seed

from .fake_integration import listening, post_of
from .server_fixtures import ALICE, BOT, ROOT, call, clock, server, square, team_id

__all__ = ["clock", "server"]  # fixtures


def user_id(sim: Simulator, username: str) -> str:
    """A seeded user's id."""
    user = sim.state.user_by_username(username)
    assert user is not None
    return user.id


def test_the_seed_makes_default_channels_and_team_admins_quietly() -> None:
    sim = Simulator()
    events: list[object] = []
    sim.state.sinks.append(events.append)
    load_seed(
        sim.state,
        {
            "teams": [{"name": "acme", "display_name": "Acme"}],
            "users": [
                {"username": "ann", "token": "t1", "teams": ["acme"]},
                {
                    "username": "bot",
                    "token": "t2",
                    "is_bot": True,
                    "teams": ["acme"],
                    "team_roles": ["team_admin"],
                },
            ],
        },
    )
    team = sim.state.team_by_name("acme")
    assert team is not None
    ann, bot = (sim.state.user_by_username(name) for name in ("ann", "bot"))
    assert ann is not None
    assert bot is not None

    channels = {c.name: c for c in sim.state.channels.values() if c.team_id == team.id}
    assert set(channels) == {"town-square", "off-topic"}
    assert all(set(c.members) == {ann.id, bot.id} for c in channels.values())
    assert (team.member_roles(ann.id), team.member_roles(bot.id)) == ("team_user", "team_user team_admin")
    assert events == []
    assert sim.state.posts == {}


async def test_system_messages_follow_membership_and_channel_changes(server: Simulator) -> None:
    alice = server.state.user_by_username("alice")
    assert alice is not None
    body = {"team_id": team_id(server), "name": "ops", "display_name": "Ops", "type": "O"}
    _, channel = await call(server, "POST", "/channels", BOT, body)
    path = f"/channels/{channel['id']}"
    await call(server, "POST", f"{path}/members", BOT, {"user_id": alice.id})
    await call(server, "PUT", f"{path}/patch", BOT, {"header": "H", "purpose": "P"})
    await call(server, "DELETE", f"{path}/members/{alice.id}", ALICE)
    await call(server, "DELETE", path, BOT)

    assert [(p.type, p.message) for p in server.state.channel_posts(channel["id"])] == [
        ("system_join_channel", "playbooks joined the channel."),
        ("system_add_to_channel", "alice added to the channel by playbooks."),
        ("system_header_change", "playbooks updated the channel header to: H"),
        ("system_purpose_change", "playbooks updated the channel purpose to: P"),
        ("system_leave_channel", "@alice left the channel."),
        ("system_channel_deleted", "playbooks archived the channel."),
    ]


async def test_team_admins_post_and_delete_anywhere_in_their_team(server: Simulator) -> None:
    body = {"team_id": team_id(server), "name": "secret", "display_name": "Secret", "type": "P"}
    _, private = await call(server, "POST", "/channels", ROOT, body)
    as_bot = await call(server, "POST", "/posts", BOT, {"channel_id": private["id"], "message": "hi"})
    as_person = await call(server, "POST", "/posts", ALICE, {"channel_id": private["id"], "message": "hi"})
    _, alices = await call(server, "POST", "/posts", ALICE, {"channel_id": square(server), "message": "mine"})
    edit = await call(server, "PUT", f"/posts/{alices['id']}/patch", BOT, {"message": "theirs"})
    delete = await call(server, "DELETE", f"/posts/{alices['id']}", BOT)

    assert (as_bot[0], as_person[0]) == (201, 403)
    assert (edit[0], edit[1]["id"]) == (403, "api.context.permissions.app_error")  # edit_others_posts: admins
    assert delete[0] == 200  # delete_others_posts: team admins


async def test_posts_are_served_as_the_server_stores_them(server: Simulator) -> None:
    action = {
        "name": "Go",
        "type": "button",
        "unknown": 1,
        "integration": {"url": "http://127.0.0.1:9/", "context": {}},
    }
    props = {"attachments": [{"text": "T", "actions": [action], "extra": True}]}
    _, post = await call(
        server, "POST", "/posts", BOT, {"channel_id": square(server), "message": "m", "props": props}
    )
    reaction = {"user_id": user_id(server, "alice"), "post_id": post["id"], "emoji_name": "eyes"}
    await call(server, "POST", "/reactions", ALICE, reaction)
    _, read = await call(server, "GET", f"/posts/{post['id']}", ALICE)
    attachment = read["props"]["attachments"][0]
    unknown = {"user_id": user_id(server, "playbooks"), "post_id": post["id"], "emoji_name": "no_such_x"}
    bad_emoji = await call(server, "POST", "/reactions", BOT, unknown)

    assert (read["file_ids"], read["remote_id"], read["pending_post_id"]) == ([], "", "")
    assert set(attachment) >= {"fallback", "color", "pretext", "fields", "ts", "id"}
    assert "extra" not in attachment
    assert set(attachment["actions"][0]) == {"id", "name", "type"}
    assert read["metadata"]["embeds"] == [{"type": "message_attachment"}]
    assert [r["emoji_name"] for r in read["metadata"]["reactions"]] == ["eyes"]
    assert (bad_emoji[0], bad_emoji[1]["id"]) == (404, "app.emoji.get_by_name.no_result")


async def test_edits_keep_the_old_version_as_a_deleted_post(server: Simulator) -> None:
    _, post = await call(server, "POST", "/posts", BOT, {"channel_id": square(server), "message": "v1"})
    await call(server, "PUT", f"/posts/{post['id']}/patch", BOT, {"message": "v2"})
    _, since = await call(
        server, "GET", f"/channels/{square(server)}/posts?since={post['create_at'] - 1}", BOT
    )

    versions = [p for p in since["posts"].values() if p["original_id"] == post["id"]]
    assert [(v["message"], v["delete_at"] > 0) for v in versions] == [("v1", True)]
    assert since["posts"][post["id"]]["message"] == "v2"


async def test_websocket_events_come_in_the_real_servers_pairs(server: Simulator) -> None:
    alice = server.state.user_by_username("alice")
    assert alice is not None
    body = {"team_id": team_id(server), "name": "ws", "display_name": "WS", "type": "O"}
    _, channel = await call(server, "POST", "/channels", BOT, body)
    async with listening(server, BOT) as bot, listening(server, ALICE) as person:
        await call(server, "POST", f"/channels/{channel['id']}/members", BOT, {"user_id": alice.id})
        added_to_bot = await bot.next("user_added")
        added_to_alice = await person.next("user_added")
        mention = await person.next("posted", lambda e: post_of(e)["type"] == "system_add_to_channel")
        _, root = await call(server, "POST", "/posts", BOT, {"channel_id": channel["id"], "message": "root"})
        await call(
            server,
            "POST",
            "/posts",
            ALICE,
            {"channel_id": channel["id"], "message": "re", "root_id": root["id"]},
        )
        reply = await bot.next("posted", lambda e: post_of(e)["message"] == "re")
        await call(server, "DELETE", f"/posts/{root['id']}", BOT)
        deleted = await bot.next("post_deleted")

    assert added_to_bot["broadcast"]["omit_users"] == {alice.id: True}
    assert added_to_alice["broadcast"]["user_id"] == alice.id
    assert json.loads(mention["data"]["mentions"]) == [alice.id]
    assert json.loads(reply["data"]["followers"]) == [user_id(server, "playbooks")]
    assert deleted["broadcast"]["contains_sanitized_data"] is True
    assert "metadata" not in json.loads(deleted["data"]["post"])
