"""``pending_post_id``: Mattermost remembers it in memory for 30 seconds, keyed by the id alone."""

from __future__ import annotations

from typing import Any

from .shapes import Exact, assert_conform
from .sides import REAL_ONLY, Side, Sides

pytestmark = REAL_ONLY


async def _pending(side: Side) -> dict[str, Any]:
    square = side.town_square_id
    private = await side.channel("playbooks", "private-run", "P")
    key = {"channel_id": square, "message": "once", "pending_post_id": "run-1:welcome"}
    first = await side.call("playbooks", "POST", "/posts", key)
    again = await side.call("playbooks", "POST", "/posts", key)
    by_someone_else = await side.call("alice", "POST", "/posts", {**key, "message": "alice's"})
    hidden = {"channel_id": private, "message": "secret", "pending_post_id": "run-1:secret"}
    secret = await side.call("playbooks", "POST", "/posts", hidden)
    outsider = await side.call("alice", "POST", "/posts", {**hidden, "channel_id": square, "message": "mine"})
    doomed = await side.call("playbooks", "POST", "/posts", {**key, "pending_post_id": "run-1:doomed"})
    await side.call("playbooks", "DELETE", f"/posts/{doomed.body['id']}")
    after_delete = await side.call("playbooks", "POST", "/posts", {**key, "pending_post_id": "run-1:doomed"})
    fetched = await side.call("playbooks", "GET", f"/posts/{first.body['id']}")
    return {
        "first": first,
        "same_post_again": Exact(again.body["id"] == first.body["id"]),
        "echoed_key": Exact(first.body["pending_post_id"]),
        "stored_key": Exact(fetched.body["pending_post_id"]),
        "someone_else_gets_it": Exact(by_someone_else.body["id"] == first.body["id"]),
        "unreadable_is_ignored": Exact(
            (
                secret.status,
                outsider.status,
                outsider.body["id"] != secret.body["id"],
                outsider.body["message"],
            )
        ),
        "deleted_within_the_window": after_delete,
    }


async def test_pending_post_id_within_the_window(sides: Sides) -> None:
    """A repeat returns the first post, whoever sends it if they may read it; a deleted one is a 500."""
    sim, real = await sides.each(_pending)
    assert_conform(sim, real)


async def _forgotten(side: Side) -> dict[str, Any]:
    key = {"channel_id": side.town_square_id, "message": "once", "pending_post_id": "run-2:welcome"}
    first = await side.call("playbooks", "POST", "/posts", key)
    assert side.restart is not None
    await side.restart()
    after_restart = await side.call("playbooks", "POST", "/posts", key)
    return {"after_restart": after_restart, "new_post": Exact(after_restart.body["id"] != first.body["id"])}


async def test_pending_post_ids_are_forgotten_on_restart(sides: Sides) -> None:
    """The memory is in the server process only: after a restart the same key makes a new post."""
    sim, real = await sides.each(_forgotten)
    assert_conform(sim, real)
