"""Posts, threads, reactions, ephemeral posts and files: the same answers on both servers."""

from __future__ import annotations

from typing import Any

from .shapes import Exact, assert_conform
from .sides import REAL_ONLY, Side, Sides

pytestmark = REAL_ONLY
MISSING_ID = "zzzzzzzzzzzzzzzzzzzzzzzzzz"
BUTTONS = {
    "attachments": [
        {
            "text": "Task",
            "actions": [
                {
                    "id": "check",
                    "type": "button",
                    "name": "Check",
                    "integration": {"url": "http://127.0.0.1:9/action", "context": {"task": 1}},
                }
            ],
        }
    ]
}


async def _posts(side: Side) -> dict[str, Any]:
    channel = await side.channel("playbooks", "runs")
    await side.call("playbooks", "POST", f"/channels/{channel}/members", {"user_id": side.user_ids["alice"]})
    await side.system_posts(channel, 2)  # joined, then added (posted in the background)
    created = await side.call(
        "playbooks", "POST", "/posts", {"channel_id": channel, "message": "**hello**", "props": BUTTONS}
    )
    post_id = created.body["id"]
    person = await side.call("alice", "POST", "/posts", {"channel_id": channel, "message": "hi @playbooks"})
    reply = await side.call(
        "alice", "POST", "/posts", {"channel_id": channel, "message": "in thread", "root_id": post_id}
    )
    return {
        "create_with_buttons": created,
        "create_as_person": person,
        "reply": reply,
        "bad_root": await side.call(
            "alice", "POST", "/posts", {"channel_id": channel, "message": "x", "root_id": MISSING_ID}
        ),
        "unknown_channel": await side.call(
            "alice", "POST", "/posts", {"channel_id": MISSING_ID, "message": "x"}
        ),
        "too_long": await side.call(
            "alice", "POST", "/posts", {"channel_id": channel, "message": "x" * 16384}
        ),
        "system_type": await side.call(
            "alice", "POST", "/posts", {"channel_id": channel, "message": "x", "type": "system_join_channel"}
        ),
        "get": await side.call("alice", "GET", f"/posts/{post_id}"),
        "get_missing": await side.call("alice", "GET", f"/posts/{MISSING_ID}"),
        "thread": await side.call("playbooks", "GET", f"/posts/{post_id}/thread"),
        "put": await side.call(
            "playbooks", "PUT", f"/posts/{post_id}", {"id": post_id, "message": "edited", "props": BUTTONS}
        ),
        "put_wrong_id": await side.call(
            "playbooks", "PUT", f"/posts/{post_id}", {"id": MISSING_ID, "message": "edited"}
        ),
        "put_others": await side.call(
            "alice", "PUT", f"/posts/{post_id}", {"id": post_id, "message": "mine"}
        ),
        "patch": await side.call("playbooks", "PUT", f"/posts/{post_id}/patch", {"message": "patched"}),
        "patch_props": await side.call("playbooks", "PUT", f"/posts/{post_id}/patch", {"props": {"a": "b"}}),
        "patch_missing": await side.call("playbooks", "PUT", f"/posts/{MISSING_ID}/patch", {"message": "x"}),
        "page": await side.call(
            "playbooks", "GET", f"/channels/{channel}/posts", params={"page": "0", "per_page": "200"}
        ),
        "since": await side.call(
            "playbooks", "GET", f"/channels/{channel}/posts", params={"since": str(created.body["create_at"])}
        ),
        "delete_others_as_person": await side.call("alice", "DELETE", f"/posts/{post_id}"),
        "delete_others_as_team_admin": await side.call("playbooks", "DELETE", f"/posts/{person.body['id']}"),
        "delete": await side.call("playbooks", "DELETE", f"/posts/{post_id}"),
        "get_deleted": await side.call("alice", "GET", f"/posts/{post_id}"),
        "delete_deleted": await side.call("playbooks", "DELETE", f"/posts/{post_id}"),
        "reply_gone": await side.call("alice", "GET", f"/posts/{reply.body['id']}"),
    }


async def test_posts(sides: Sides) -> None:
    """Create, read, edit, patch, list, delete posts: answers, refusals and deleted posts."""
    sim, real = await sides.each(_posts)
    assert_conform(sim, real)


async def _reactions(side: Side) -> dict[str, Any]:
    post = await side.post("alice", side.town_square_id, "react to me")
    bot, alice = side.user_ids["playbooks"], side.user_ids["alice"]
    body = {"user_id": bot, "post_id": post["id"], "emoji_name": "pushpin"}
    return {
        "none_yet": await side.call("playbooks", "GET", f"/posts/{post['id']}/reactions"),
        "add": await side.call("playbooks", "POST", "/reactions", body),
        "add_again": await side.call("playbooks", "POST", "/reactions", body),
        "for_someone_else": await side.call("playbooks", "POST", "/reactions", {**body, "user_id": alice}),
        "unknown_emoji": await side.call(
            "playbooks", "POST", "/reactions", {**body, "emoji_name": "no_such_emoji_x"}
        ),
        "list": await side.call("alice", "GET", f"/posts/{post['id']}/reactions"),
        "post_after": await side.call("alice", "GET", f"/posts/{post['id']}"),
        "remove": await side.call(
            "playbooks", "DELETE", f"/users/{bot}/posts/{post['id']}/reactions/pushpin"
        ),
        "remove_absent": await side.call(
            "playbooks", "DELETE", f"/users/{bot}/posts/{post['id']}/reactions/pushpin"
        ),
        "list_after": await side.call("alice", "GET", f"/posts/{post['id']}/reactions"),
    }


async def test_reactions(sides: Sides) -> None:
    """Reactions the bot adds, lists and removes."""
    sim, real = await sides.each(_reactions)
    assert_conform(sim, real)


async def _ephemeral(side: Side) -> dict[str, Any]:
    body = {"user_id": side.user_ids["alice"], "post": {"channel_id": side.town_square_id, "message": "psst"}}
    return {
        "as_bot": await side.call("playbooks", "POST", "/posts/ephemeral", body),
        "as_admin": await side.call("root", "POST", "/posts/ephemeral", body),
    }


async def test_ephemeral_posts_need_a_system_admin(sides: Sides) -> None:
    """``POST /posts/ephemeral`` is for system admins only, not bots."""
    sim, real = await sides.each(_ephemeral)
    assert_conform(sim, real)


async def _files(side: Side) -> dict[str, Any]:
    channel = side.town_square_id
    async with side.person("playbooks") as bot:
        file_id = await bot.upload(channel, "report.md", b"# Report\n")
        post = await side.call(
            "playbooks", "POST", "/posts", {"channel_id": channel, "message": "file", "file_ids": [file_id]}
        )
        downloaded = await bot.download(file_id)
    return {
        "post": post,
        "info": await side.call("alice", "GET", f"/files/{file_id}/info"),
        "bytes": Exact(downloaded),
        "missing_info": await side.call("alice", "GET", f"/files/{MISSING_ID}/info"),
    }


async def test_files(sides: Sides) -> None:
    """A file the bot uploads, attaches and a person downloads."""
    sim, real = await sides.each(_files)
    assert_conform(sim, real)
