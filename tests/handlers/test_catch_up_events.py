"""Websocket events are decoded once into typed events; posts read back through REST become the
same :class:`PostedEvent` a live ``posted`` event gives."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from bot.mattermost.events import (
    PostedEvent,
    ReactionEvent,
    TypingEvent,
    UserAddedEvent,
    UserRemovedEvent,
    decode_event,
    posted_event,
)
from bot.mattermost.types import MMChannel, MMPost, MMReaction

POST = MMPost(
    id="p" * 26,
    channel_id="c" * 26,
    user_id="u" * 26,
    root_id="r" * 26,
    message="database down",
    props={"attachments": [{"text": "sev-1"}]},
    file_ids=("f" * 26,),
    create_at=1_700_000_000_000,
    update_at=1_700_000_000_001,
)
CHANNEL = MMChannel(id="c" * 26, team_id="t" * 26, type="O", name="ops", display_name="Ops")


def live_posted(post: dict[str, Any], **data: Any) -> dict[str, Any]:
    """A ``posted`` event as Mattermost sends it."""
    return {
        "event": "posted",
        "data": {
            "channel_display_name": "Ops",
            "channel_name": "ops",
            "channel_type": "O",
            "post": json.dumps(post),
            "sender_name": "@alice",
            "set_online": True,
            "team_id": "t" * 26,
            **data,
        },
        "broadcast": {"omit_users": None, "user_id": "", "channel_id": "c" * 26, "team_id": ""},
        "seq": 7,
    }


def post_json(post: MMPost) -> dict[str, Any]:
    return {
        "id": post.id,
        "channel_id": post.channel_id,
        "user_id": post.user_id,
        "root_id": post.root_id,
        "message": post.message,
        "props": dict(post.props),
        "file_ids": list(post.file_ids),
        "create_at": post.create_at,
        "update_at": post.update_at,
        "delete_at": 0,
        "type": "",
        "pending_post_id": "",
        "metadata": {},
    }


def test_a_caught_up_post_is_the_event_a_live_one_gives() -> None:
    caught_up = posted_event(POST, CHANNEL)
    assert caught_up == PostedEvent(POST, channel_type="O", channel_name="ops", team_id="t" * 26)
    assert decode_event(live_posted(post_json(POST))) == caught_up


def test_reactions_people_joining_and_typing_are_decoded() -> None:
    reaction = {"user_id": "u" * 26, "post_id": "p" * 26, "emoji_name": "pushpin", "create_at": 5}
    broadcast = {"channel_id": "c" * 26}
    added = {"event": "reaction_added", "data": {"reaction": json.dumps(reaction)}, "broadcast": broadcast}
    removed = {**added, "event": "reaction_removed"}
    pin = MMReaction("u" * 26, "p" * 26, "pushpin", 5)
    assert decode_event(added) == ReactionEvent(pin, "c" * 26, added=True)
    assert decode_event(removed) == ReactionEvent(pin, "c" * 26, added=False)
    joined = {
        "event": "user_added",
        "data": {"user_id": "u" * 26, "team_id": "t" * 26},
        "broadcast": broadcast,
    }
    assert decode_event(joined) == UserAddedEvent("u" * 26, "c" * 26)
    typing = {"event": "typing", "data": {"parent_id": "x", "user_id": "u" * 26}, "broadcast": broadcast}
    assert decode_event(typing) == TypingEvent("u" * 26, "c" * 26, "x")


def test_a_removal_decodes_from_the_channel_and_from_the_person_who_left() -> None:
    to_channel = {
        "event": "user_removed",
        "data": {"user_id": "u" * 26, "remover_id": "r" * 26},
        "broadcast": {"channel_id": "c" * 26},
    }
    to_person = {
        "event": "user_removed",
        "data": {"channel_id": "c" * 26, "remover_id": "r" * 26},
        "broadcast": {"user_id": "u" * 26, "channel_id": ""},
    }
    assert decode_event(to_channel) == UserRemovedEvent("u" * 26, "c" * 26)
    assert decode_event(to_person) == UserRemovedEvent("u" * 26, "c" * 26)
    assert decode_event({"event": "user_removed", "data": {}, "broadcast": {"channel_id": "c" * 26}}) is None


def test_a_direct_message_has_no_team() -> None:
    event = decode_event(live_posted(post_json(POST), channel_type="D", team_id="", channel_name="a__b"))
    assert event == PostedEvent(POST, channel_type="D", channel_name="a__b", team_id="")


def test_events_nobody_follows_are_not_decoded() -> None:
    assert decode_event({"event": "hello", "data": {"connection_id": "x"}, "seq": 0}) is None
    assert decode_event({"seq": 1}) is None
    # Not wanted: passed over without even reading its post (which here is not JSON).
    assert decode_event(live_posted({}) | {"data": {"post": "{"}}, wanted={TypingEvent}) is None


@pytest.mark.parametrize(
    "message",
    [
        live_posted(post_json(POST)) | {"data": "not an object"},
        live_posted(post_json(POST)) | {"data": {"post": "{not json", "channel_type": "O"}},
        live_posted({"id": "p" * 26}),  # a post without its channel
        live_posted(post_json(POST), channel_type=5),
        {"event": "reaction_added", "data": {"reaction": "{}"}, "broadcast": {"channel_id": "c" * 26}},
        {"event": "user_added", "data": {"user_id": "u" * 26}, "broadcast": {}},
        {"event": "user_added", "data": {"user_id": ""}, "broadcast": {"channel_id": "c" * 26}},
        {"event": "typing", "data": {}, "broadcast": None},
    ],
)
def test_a_malformed_event_is_ignored_with_a_debug_line(
    message: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="bot.mattermost.events"):
        assert decode_event(message) is None
    assert "ignoring a malformed" in caplog.text
