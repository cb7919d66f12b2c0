"""Posting once and replacing refused edits (:mod:`bot.services.posting`), with a fake gateway."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import SimpleNamespace
from typing import Any

import pytest

from bot.mattermost.errors import Forbidden, MattermostError, NotFound, Unavailable
from bot.mattermost.gateway_posts import POST_KEY_PROP
from bot.mattermost.types import MMPost
from bot.services.posting import (
    EDIT_TIME_LIMIT_ERROR,
    KeyedPost,
    edit_or_replace,
    edit_refused,
    post_once,
    with_key,
)

TOO_OLD = MattermostError(400, EDIT_TIME_LIMIT_ERROR, "Post edit is only allowed for 1 seconds.")


class FakeGateway:
    """Posts in memory; records every call; ``refuse_edits`` makes edits fail with that error."""

    def __init__(self) -> None:
        self.posts: dict[str, MMPost] = {}
        self.calls: list[str] = []
        self.refuse_edits: MattermostError | None = None
        self.refuse_patches: MattermostError | None = None

    async def create_post(
        self, channel_id: str, message: str, *, root_id: str = "", props: Any = None, key: str | None = None
    ) -> MMPost:
        self.calls.append(f"create {key}")
        post_id = f"p{len(self.posts) + 1}"
        props = {**(props or {}), **({POST_KEY_PROP: key} if key else {})}
        self.posts[post_id] = MMPost(post_id, channel_id, "bot", root_id, message, props)
        return self.posts[post_id]

    async def find_keyed_posts(self, channel_id: str, keys: Iterable[str]) -> dict[str, MMPost]:
        wanted = set(keys)
        self.calls.append(f"find {sorted(wanted)}")
        return {
            p.props[POST_KEY_PROP]: p
            for p in self.posts.values()
            if p.channel_id == channel_id and p.props.get(POST_KEY_PROP) in wanted
        }

    async def update_post(self, post_id: str, message: str, props: Mapping[str, Any]) -> MMPost:
        self.calls.append(f"update {post_id}")
        if self.refuse_edits is not None:
            raise self.refuse_edits
        return self.posts[post_id]

    async def patch_post(self, post_id: str, *, props: Mapping[str, Any] | None = None) -> MMPost:
        self.calls.append(f"patch {post_id}")
        if self.refuse_patches is not None:
            raise self.refuse_patches
        old = self.posts[post_id]
        self.posts[post_id] = MMPost(
            old.id, old.channel_id, old.user_id, old.root_id, old.message, props or {}
        )
        return self.posts[post_id]


@pytest.fixture
def gateway() -> FakeGateway:
    return FakeGateway()


@pytest.fixture
def services(gateway: FakeGateway) -> Any:
    return SimpleNamespace(gateway=gateway)


DIGEST = KeyedPost("digest:alice@1", "dm", "Your day")


async def test_a_first_attempt_posts_without_looking(gateway: FakeGateway, services: Any) -> None:
    post = await post_once(services, DIGEST, maybe_posted=False)
    assert gateway.calls == ["create digest:alice@1"]
    assert post.props[POST_KEY_PROP] == "digest:alice@1"


async def test_a_retry_finds_the_post_an_earlier_attempt_made(gateway: FakeGateway, services: Any) -> None:
    first = await post_once(services, DIGEST, maybe_posted=False)
    again = await post_once(services, DIGEST, maybe_posted=True)
    assert again.id == first.id
    assert gateway.calls == ["create digest:alice@1", "find ['digest:alice@1']"]


async def test_a_retry_posts_when_nothing_was_made(gateway: FakeGateway, services: Any) -> None:
    await post_once(services, KeyedPost("other", "dm", "x"), maybe_posted=False)
    await post_once(services, DIGEST, maybe_posted=True)
    assert gateway.calls[-2:] == ["find ['digest:alice@1']", "create digest:alice@1"]


def test_with_key_keeps_the_rest_of_the_post() -> None:
    post = {"message": "m", "props": {"attachments": [{"text": "a"}]}}
    assert with_key(post, "k") == {
        "message": "m",
        "props": {"attachments": [{"text": "a"}], POST_KEY_PROP: "k"},
    }
    assert post["props"] == {"attachments": [{"text": "a"}]}


@pytest.mark.parametrize(
    ("error", "refused"),
    [
        (TOO_OLD, True),
        (Forbidden(403, "api.context.permissions.app_error", "no"), True),
        (NotFound(404, "app.post.get.app_error", "gone"), True),
        (MattermostError(400, "api.post.update_post.find.app_error", "other"), False),
        (Unavailable(503, "", "down"), False),
        (Unavailable(0, "timeout", "slow"), False),
    ],
)
def test_which_failed_edits_are_refusals(error: MattermostError, refused: bool) -> None:
    assert edit_refused(error) is refused


async def test_an_allowed_edit_keeps_the_post(gateway: FakeGateway, services: Any) -> None:
    old = await gateway.create_post("run", "1/4 done", key="r:checklist:c")
    replacement = KeyedPost(f"r:checklist:c:after:{old.id}", "run", "2/4 done")
    shown = await edit_or_replace(
        services, old.id, {"message": "2/4 done", "props": {}}, replacement, what="x"
    )
    assert shown == old.id
    assert gateway.calls[-1] == f"update {old.id}"


async def test_a_refused_edit_posts_afresh_and_marks_the_old_post(
    gateway: FakeGateway, services: Any
) -> None:
    old = await gateway.create_post("run", "1/4 done", key="r:checklist:c")
    gateway.refuse_edits = TOO_OLD
    replacement = KeyedPost(f"r:checklist:c:after:{old.id}", "run", "2/4 done", {"attachments": []})
    content = {"message": "2/4 done", "props": {"attachments": []}}
    shown = await edit_or_replace(services, old.id, content, replacement, what="checklist")
    assert shown != old.id
    assert gateway.posts[shown].message == "2/4 done"
    [note] = gateway.posts[old.id].props["attachments"]
    assert "This checklist is out of date" in note["text"]
    assert "actions" not in note
    # Done again (the new id was never recorded): the copy is found, not posted twice.
    again = await edit_or_replace(services, old.id, content, replacement, what="checklist")
    assert again == shown
    assert sum(call.startswith("create r:checklist:c:after") for call in gateway.calls) == 1


async def test_a_failed_out_of_date_mark_still_shows_the_fresh_post(
    gateway: FakeGateway, services: Any, caplog: pytest.LogCaptureFixture
) -> None:
    old = await gateway.create_post("run", "1/4 done")
    gateway.refuse_edits = gateway.refuse_patches = Forbidden(403, "api.context.permissions.app_error", "no")
    replacement = KeyedPost("k", "run", "2/4 done")
    shown = await edit_or_replace(services, old.id, {"message": "2/4 done"}, replacement, what="checklist")
    assert gateway.posts[shown].message == "2/4 done"
    assert "could not mark checklist post" in caplog.text


async def test_a_failing_server_is_not_a_refusal(gateway: FakeGateway, services: Any) -> None:
    old = await gateway.create_post("run", "1/4 done")
    gateway.refuse_edits = Unavailable(503, "", "down")
    with pytest.raises(Unavailable):
        await edit_or_replace(services, old.id, {"message": "x"}, KeyedPost("k", "run", "x"), what="overview")
    assert len(gateway.posts) == 1
