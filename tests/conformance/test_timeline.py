"""What a channel's timeline holds: system messages, and the order of posts made in the same millisecond."""

from __future__ import annotations

import time
from typing import Any

from .shapes import Exact, assert_conform
from .sides import REAL_ONLY, Side, Sides

pytestmark = REAL_ONLY


async def _system_messages(side: Side) -> dict[str, Any]:
    alice, root = side.user_ids["alice"], side.user_ids["root"]
    channel = await side.channel("playbooks", "sys-msgs")
    await side.call("playbooks", "POST", f"/channels/{channel}/members", {"user_id": alice})
    await side.system_posts(channel, 2)
    await side.call("root", "POST", f"/channels/{channel}/members", {"user_id": root})
    await side.system_posts(channel, 3)
    patch = {"header": "Header", "purpose": "Purpose", "display_name": "Renamed"}
    await side.call("playbooks", "PUT", f"/channels/{channel}/patch", patch)
    await side.call("playbooks", "PUT", f"/channels/{channel}/patch", {"header": ""})
    await side.call("alice", "DELETE", f"/channels/{channel}/members/{alice}")
    await side.call("playbooks", "DELETE", f"/channels/{channel}/members/{root}")
    await side.call("playbooks", "DELETE", f"/channels/{channel}")
    posts = await side.system_posts(channel, 10)
    names = {side.user_ids[name]: name for name in ("alice", "root", "playbooks")}
    return {
        "messages": Exact([(p["type"], p["message"], names.get(p["user_id"])) for p in posts]),
        "prop_keys": Exact([sorted(p["props"]) for p in posts]),
        "posts": posts,
    }


async def test_system_messages(sides: Sides) -> None:
    """Joining, being added, leaving, being removed, header/purpose/name changes and archiving
    each post their system message, by whoever caused it."""
    sim, real = await sides.each(_system_messages)
    assert_conform(sim, real)


async def _same_millisecond(side: Side) -> dict[str, Any]:
    channel = await side.channel("root", "ties")
    at = int(time.time() * 1000) - 5_000
    made = [await side.post("root", channel, f"m{n}", create_at=at) for n in range(6)]
    await side.post("root", channel, "later", create_at=at + 1)
    names = {post["id"]: post["message"] for post in made}
    page = await side.call("root", "GET", f"/channels/{channel}/posts", params={"page": "0", "per_page": "4"})
    second = await side.call(
        "root", "GET", f"/channels/{channel}/posts", params={"page": "1", "per_page": "4"}
    )
    order = [names.get(i, page.body["posts"][i]["message"]) for i in page.body["order"]]
    return {
        "first_page": Exact(order),
        "second_page": Exact([names.get(i, "other") for i in second.body["order"]]),
        "prev_post_id": Exact(names.get(page.body["prev_post_id"])),
    }


async def test_posts_made_in_the_same_millisecond_are_listed_newest_made_first(sides: Sides) -> None:
    """``GET /channels/{id}/posts`` orders by ``create_at`` only; ties come out in the reverse of the
    order they were made (the store's index order), not by id."""
    sim, real = await sides.each(_same_millisecond)
    assert_conform(sim, real)
