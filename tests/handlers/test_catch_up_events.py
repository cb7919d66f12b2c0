"""Posts read back through REST become ``posted`` events the handlers read like live ones."""

from __future__ import annotations

from bot.mattermost.types import MMChannel, MMPost
from bot.services.catch_up import posted_event
from handlers.events import event_data, event_post


def test_a_caught_up_post_reads_like_a_live_event() -> None:
    post = MMPost(
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
    channel = MMChannel(id="c" * 26, team_id="t" * 26, type="O", name="ops", display_name="Ops")
    event = posted_event(post, channel, sender="alice")
    assert event_post(event) == post
    data = event_data(event)
    assert (data["channel_type"], data["channel_name"], data["team_id"]) == ("O", "ops", "t" * 26)
    assert data["sender_name"] == "@alice"
    assert event["broadcast"]["channel_id"] == channel.id
