"""A playbook file keeps its automation: public run channels, invitations, broadcast channels and
webhooks, named portably or by this server's ids, through an export and an import again.

Everything goes through chat: the file is sent to the bot by direct message, the run is started
with ``/playbook run``, the update posted with the dialog, the export fetched from the DM.
"""

from __future__ import annotations

import json
from typing import Any

from bot.playbook_document import dump_document, parse_document
from tests.e2e import test_webhooks
from tests.e2e.conftest import Harness
from tests.e2e.test_playbooks_chat import bot_id_of, bot_replies, dm_with_bot, download, send_files
from tests.e2e.test_webhooks import STARTER, Receiver, start_run

# The webhook receiver on 127.0.0.1, and a bot allowed to call it.
receiver = test_webhooks.receiver
open_harness = test_webhooks.open_harness

TITLE = "Automated incident"
UPDATE = "Failover done; watching error rates."


def automated_file(receiver_url: str) -> dict[str, Any]:
    """The starter incident playbook, with everything a run does automatically switched on."""
    doc = parse_document(STARTER.read_text(encoding="utf-8"), STARTER.name)
    return doc | {
        "title": TITLE,
        "create_public_playbook_run": True,
        "broadcast_enabled": True,
        "broadcast_channels": ["town-square"],
        "webhook_on_creation_enabled": True,
        "webhook_on_creation_urls": [receiver_url],
        "invite_users_enabled": True,
        "invited_users": ["bob"],
    }


async def import_file(harness: Harness, filename: str, text: str) -> str:
    """alice sends the file to the bot; the bot's answer."""
    bot_id = bot_id_of(harness)
    dm = await dm_with_bot(harness.alice, bot_id)
    post = await send_files(harness.alice, dm, [(filename, text.encode())])
    await harness.settle()
    [reply] = await bot_replies(harness.alice, dm, post["id"], bot_id)
    return str(reply["message"])


async def export_file(harness: Harness, title: str) -> dict[str, Any]:
    """``/playbook export``: the file the bot sends to alice's DM, parsed."""
    bot_id = bot_id_of(harness)
    dm = await dm_with_bot(harness.alice, bot_id)
    await harness.command(harness.alice, f'/playbook export "{title}"')
    await harness.settle()
    posts = [p for p in await harness.alice.channel_posts(dm) if p["user_id"] == bot_id and p.get("file_ids")]
    _, data = await download(harness.url, harness.mattermost.token("alice"), posts[-1]["file_ids"][0])
    exported: dict[str, Any] = json.loads(data)
    return exported


async def post_update(harness: Harness, channel_id: str, text: str) -> None:
    await harness.command(harness.alice, "/playbook update", channel_id=channel_id)
    dialog = await harness.alice.next_dialog()
    reminder = next(e for e in dialog["dialog"]["elements"] if e["name"] == "reminder")
    submission = {"message": text, "reminder": reminder["options"][0]["value"]}
    assert await harness.alice.submit_dialog(dialog, submission, channel_id=channel_id) == {}
    await harness.settle()


def texts(posts: list[dict[str, Any]]) -> list[str]:
    return [
        "\n".join(
            [
                p.get("message", ""),
                *(str(a.get("text", "")) for a in p.get("props", {}).get("attachments", [])),
            ]
        )
        for p in posts
    ]


async def test_an_imported_file_s_automation_runs(open_harness: Harness, receiver: Receiver) -> None:
    harness = open_harness
    bob_id = await harness.mattermost.add_user("bob", team_ids=[harness.team_id])
    reply = await import_file(harness, "automated.yaml", dump_document(automated_file(receiver.url), "yaml"))
    assert f"Imported the playbook **{TITLE}**" in reply
    assert "dropped" not in reply

    channel_id = await start_run(harness, TITLE, "Database down")

    channel = next(c for c in await harness.alice.my_channels(harness.team_id) if c["id"] == channel_id)
    assert channel["type"] == "O"  # a public run channel
    assert bob_id in await harness.alice.channel_member_ids(channel_id)  # the invited user
    await harness.tick()
    assert [r.payload["event"] for r in receiver.received] == ["run_created"]
    assert receiver.received[0].payload["run"]["channel"]["id"] == channel_id

    await post_update(harness, channel_id, UPDATE)
    broadcast = texts(await harness.alice.channel_posts(harness.town_square_id))
    assert sum(UPDATE in text for text in broadcast) == 1


async def test_export_and_import_again_keep_the_automation(open_harness: Harness, receiver: Receiver) -> None:
    harness = open_harness
    await harness.mattermost.add_user("bob", team_ids=[harness.team_id])
    await import_file(harness, "automated.yaml", dump_document(automated_file(receiver.url), "yaml"))

    exported = await export_file(harness, TITLE)
    assert exported["create_public_playbook_run"] is True
    assert exported["broadcast_channels"] == ["town-square"]
    assert exported["broadcast_channel_ids"] == [harness.town_square_id]
    assert exported["invited_users"] == ["bob"]
    assert exported["webhook_on_creation_urls"] == [receiver.url]

    # Kept in git, renamed, imported again: a second playbook with the same automation.
    copy = exported | {"title": "Automated incident, copy"}
    reply = await import_file(harness, "copy.playbook.json", json.dumps(copy))
    assert "Imported the playbook **Automated incident, copy**" in reply
    assert "dropped" not in reply
    assert await export_file(harness, "Automated incident, copy") == copy

    # Imported again unchanged, it replaces the playbook and keeps everything.
    reply = await import_file(harness, "again.playbook.json", json.dumps(exported))
    assert f"Updated the playbook **{TITLE}**" in reply
    assert await export_file(harness, TITLE) == exported

    # A file that doesn't mention them (as Mattermost's own exports don't) leaves them as they are.
    plain = {"version": 1, "title": TITLE, "checklists": [{"title": "Only", "items": [{"title": "One"}]}]}
    reply = await import_file(harness, "plain.json", json.dumps(plain))
    assert f"Updated the playbook **{TITLE}**" in reply
    kept = await export_file(harness, TITLE)
    assert kept["checklists"] == plain["checklists"]
    automation = (
        "create_public_playbook_run",
        "broadcast_channels",
        "invited_users",
        "webhook_on_creation_urls",
    )
    assert {key: kept[key] for key in automation} == {key: exported[key] for key in automation}


async def test_ids_of_another_server_are_dropped_with_a_warning_naming_each(harness: Harness) -> None:
    unknown = "x" * 26
    doc = {
        "version": 1,
        "title": "From elsewhere",
        "broadcast_enabled": True,
        "broadcast_channel_ids": [unknown],
        "invite_users_enabled": True,
        "invited_user_ids": ["y" * 26],
        "default_owner_enabled": True,
        "default_owner_id": "z" * 26,
        "members": [{"user_id": "w" * 26, "roles": ["playbook_member"]}, {"user": "nobody-here"}],
        "webhook_on_creation_enabled": True,
        "webhook_on_creation_urls": ["http://127.0.0.1:9/hook"],
    }
    reply = await import_file(harness, "elsewhere.json", json.dumps(doc))

    assert "Imported the playbook **From elsewhere**" in reply
    assert (
        f"broadcast_channel_ids[0]: channel {unknown} is not in this team or you can't read it; dropped"
        in reply
    )
    assert f"invited_user_ids[0]: user {'y' * 26} is not on this team; dropped" in reply
    assert f"default_owner_id: user {'z' * 26} is not on this team; dropped" in reply
    assert "default_owner_enabled: no default owner on this server" in reply
    assert f"members[0].user_id: user {'w' * 26} is not on this team; dropped" in reply
    assert "members[1].user: no user “@nobody-here” on this team; dropped" in reply
    assert "webhook_on_creation_urls[0]: webhooks may not be sent to 127.0.0.1" in reply

    exported = await export_file(harness, "From elsewhere")
    for key in ("broadcast_channel_ids", "invited_user_ids", "default_owner_id", "members"):
        assert key not in exported
    assert "webhook_on_creation_urls" not in exported
    assert exported["broadcast_enabled"] is True  # the switches are kept, ready for channels


async def test_only_channels_the_importer_can_read_are_kept(harness: Harness) -> None:
    mattermost, team_id = harness.mattermost, harness.team_id
    hidden = await mattermost.create_channel("root", team_id, "war-room", "War room", "P")
    await mattermost.add_channel_member(hidden, "playbooks")  # the bot sees it; alice does not
    shared = await mattermost.create_channel("root", team_id, "ops-room", "Ops room", "P")
    for username in ("playbooks", "alice"):
        await mattermost.add_channel_member(shared, username)
    old = await mattermost.create_channel("root", team_id, "old-news", "Old news")
    await mattermost.archive_channel(old)
    doc = {
        "version": 1,
        "title": "Channels",
        "broadcast_enabled": True,
        "broadcast_channels": ["war-room", "ops-room", "old-news", "town-square"],
    }
    reply = await import_file(harness, "channels.json", json.dumps(doc))

    assert "broadcast_channels[0]: no channel “war-room” in this team that you can read; dropped" in reply
    assert "broadcast_channels[2]: no channel “old-news” in this team that you can read; dropped" in reply
    assert "ops-room" not in reply
    exported = await export_file(harness, "Channels")
    assert exported["broadcast_channels"] == ["ops-room", "town-square"]
    assert exported["broadcast_channel_ids"] == [shared, harness.town_square_id]
