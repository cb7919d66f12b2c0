"""Channels and their members, as the bot and a person use them: the same answers on both servers."""

from __future__ import annotations

from typing import Any

from .shapes import Exact, assert_conform
from .sides import REAL_ONLY, Side, Sides

pytestmark = REAL_ONLY
MISSING_ID = "zzzzzzzzzzzzzzzzzzzzzzzzzz"


async def _create_and_read(side: Side) -> dict[str, Any]:
    team, alice, root = side.team_id, side.user_ids["alice"], side.user_ids["root"]
    body = {"team_id": team, "name": "inc-1", "display_name": "Incident 1", "type": "O", "header": "h"}
    created = await side.call("playbooks", "POST", "/channels", body)
    channel_id = created.body["id"]
    private = await side.call(
        "playbooks", "POST", "/channels", {**body, "name": "inc-2", "display_name": "Two", "type": "P"}
    )
    private_id = private.body["id"]
    # The real seeding left the bot a direct channel with its owner; make one on both sides.
    await side.call("playbooks", "POST", "/channels/direct", [side.user_ids["playbooks"], alice])
    return {
        "create_open": created,
        "create_private": private,
        "create_as_person": await side.call("alice", "POST", "/channels", {**body, "name": "alices"}),
        "duplicate": await side.call("alice", "POST", "/channels", body),
        "bad_name": await side.call("alice", "POST", "/channels", {**body, "name": "Bad Name!"}),
        "no_display_name": await side.call("alice", "POST", "/channels", {**body, "display_name": ""}),
        "get": await side.call("playbooks", "GET", f"/channels/{channel_id}"),
        "get_missing": await side.call("playbooks", "GET", f"/channels/{MISSING_ID}"),
        "get_private_as_outsider": await side.call("alice", "GET", f"/channels/{private_id}"),
        "by_name": await side.call("playbooks", "GET", f"/teams/{team}/channels/name/inc-1"),
        "by_name_missing": await side.call("playbooks", "GET", f"/teams/{team}/channels/name/nope"),
        "by_name_private_outsider": await side.call("alice", "GET", f"/teams/{team}/channels/name/inc-2"),
        "by_names": await side.call("alice", "GET", "/teams/name/acme/channels/name/inc-1"),
        "patch": await side.call(
            "playbooks", "PUT", f"/channels/{channel_id}/patch", {"header": "new header", "purpose": "p"}
        ),
        "patch_by_outsider": await side.call(
            "alice", "PUT", f"/channels/{private_id}/patch", {"header": "x"}
        ),
        "add_one": await side.call(
            "playbooks", "POST", f"/channels/{channel_id}/members", {"user_id": alice}
        ),
        "add_again": await side.call(
            "playbooks", "POST", f"/channels/{channel_id}/members", {"user_id": alice}
        ),
        "add_many": await side.call(
            "playbooks", "POST", f"/channels/{private_id}/members", {"user_ids": [alice, root]}
        ),
        "add_unknown": await side.call(
            "playbooks", "POST", f"/channels/{channel_id}/members", {"user_id": MISSING_ID}
        ),
        "members": await side.call(
            "playbooks", "GET", f"/channels/{channel_id}/members", params={"page": "0", "per_page": "200"}
        ),
        "member": await side.call("playbooks", "GET", f"/channels/{channel_id}/members/{alice}"),
        "member_missing": await side.call("playbooks", "GET", f"/channels/{channel_id}/members/{root}"),
        "my_channels": await side.call("playbooks", "GET", f"/users/me/teams/{team}/channels"),
        "remove": await side.call("playbooks", "DELETE", f"/channels/{private_id}/members/{root}"),
        "remove_absent": await side.call("playbooks", "DELETE", f"/channels/{private_id}/members/{root}"),
        "leave": await side.call("alice", "DELETE", f"/channels/{channel_id}/members/{alice}"),
        "leave_town_square": await side.call(
            "alice", "DELETE", f"/channels/{side.town_square_id}/members/{alice}"
        ),
        "archive": await side.call("playbooks", "DELETE", f"/channels/{channel_id}"),
        "archive_again": await side.call("playbooks", "DELETE", f"/channels/{channel_id}"),
        "add_to_archived": await side.call(
            "playbooks", "POST", f"/channels/{channel_id}/members", {"user_id": root}
        ),
        "post_in_archived": await side.call(
            "playbooks", "POST", "/posts", {"channel_id": channel_id, "message": "late"}
        ),
        "by_name_archived": await side.call("playbooks", "GET", f"/teams/{team}/channels/name/inc-1"),
        "by_name_archived_included": await side.call(
            "playbooks", "GET", f"/teams/{team}/channels/name/inc-1", params={"include_deleted": "true"}
        ),
    }


async def test_channels_and_members(sides: Sides) -> None:
    """Create, read, patch, add and remove members, leave, archive: answers and refusals."""
    sim, real = await sides.each(_create_and_read)
    assert_conform(sim, real)


async def _direct(side: Side) -> dict[str, Any]:
    alice, bot, root = side.user_ids["alice"], side.user_ids["playbooks"], side.user_ids["root"]
    first = await side.call("playbooks", "POST", "/channels/direct", [bot, alice])
    again = await side.call("playbooks", "POST", "/channels/direct", [alice, bot])
    return {
        "first": first,
        "again": again,
        "same": Exact(first.body["id"] == again.body["id"]),
        "name_is_sorted_ids": Exact(first.body["name"] == "__".join(sorted((alice, bot)))),
        "for_others": await side.call("playbooks", "POST", "/channels/direct", [alice, root]),
        "three_ids": await side.call("playbooks", "POST", "/channels/direct", [alice, bot, root]),
        "my_channels": await side.call("playbooks", "GET", f"/users/me/teams/{side.team_id}/channels"),
        "members": await side.call("alice", "GET", f"/channels/{first.body['id']}/members"),
    }


async def test_direct_channels(sides: Sides) -> None:
    """The bot's direct channel with a person: made once, named by the sorted ids."""
    sim, real = await sides.each(_direct)
    assert_conform(sim, real)
