"""Listening as people experience it: keyword prompts in threads, starting a run from one,
ignoring a thread, channel settings, pins on the timeline, and no message lost to a dropped
websocket or a restart."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import pytest

from bot.app import BotApp
from bot.domain.playbook import Playbook
from bot.domain.playbook_settings import KeywordSettings
from bot.playbook_format import import_playbook, parse_document
from bot.render.keywords import keyword_prompt
from bot.services import keywords as keyword_service
from bot.services import playbook_import
from bot.services.context import Services
from storage.repositories.playbooks import PlaybookRepository
from tests.waiting import eventually

from .conftest import Harness
from .test_run_start import FIRST_CHANNEL, STARTER, bot_id, bot_posts

KEYWORDS = ("database down", "sev-1")


async def keyword_playbook(
    harness: Harness, keywords: tuple[str, ...] = KEYWORDS, *, title: str = "Incident Response"
) -> Playbook:
    """The starter incident playbook, under ``title``, watching ``keywords``; imported by alice."""
    document = parse_document(STARTER.read_text(), STARTER.name)
    alice_id = await harness.alice.my_id()
    playbook = import_playbook(document, team_id=harness.team_id, importer_id=alice_id).playbook
    playbook = replace(
        playbook,
        title=title,
        channel=replace(playbook.channel, create_public_channel=True),
        keywords=KeywordSettings(keywords=keywords, enabled=True),
    )
    assert harness.bot.services is not None
    async with harness.bot.services.transaction() as session:
        return await PlaybookRepository(session).add(playbook)


async def prompts_in(harness: Harness, channel_id: str, root_id: str | None = None) -> list[dict[str, Any]]:
    """The bot's keyword prompts in a channel (in one thread when ``root_id`` is given)."""
    posts = await bot_posts(harness, harness.alice, channel_id)
    prompts = [p for p in posts if "trigger" in p["message"] or "ignore this thread" in p["message"]]
    return [p for p in prompts if root_id is None or p["root_id"] == root_id]


async def say(
    harness: Harness, text: str, channel_id: str | None = None, root_id: str = ""
) -> dict[str, Any]:
    """alice writes ``text``, and the bot has handled it."""
    post = await harness.alice.post(channel_id or harness.town_square_id, text, root_id=root_id)
    await harness.settle()
    return post


@pytest.fixture
async def incident(harness: Harness) -> Playbook:
    return await keyword_playbook(harness)


async def test_a_keyword_gets_one_prompt_and_a_run_starts_from_it(
    harness: Harness, incident: Playbook
) -> None:
    alice = harness.alice
    message = await say(harness, "Heads up: the DATABASE is down? No — database down for real, SEV-1.")
    [prompt] = await prompts_in(harness, harness.town_square_id)
    assert prompt["root_id"] == message["id"]
    assert prompt["message"] == (
        "`database down`, `sev-1` are triggers for the **Incident Response** playbook. "
        "Would you like to run it?"
    )
    actions = [a["name"] for a in prompt["props"]["attachments"][0]["actions"]]
    assert actions == ["Run Incident Response", "Ignore this thread"]

    await alice.click(prompt["id"], "run1")
    opened = await alice.next_dialog()
    elements = {e["name"]: e for e in opened["dialog"]["elements"]}
    assert elements["playbookID"]["default"] == incident.id
    summary = elements["playbookRunSummary"]["default"]
    assert summary.startswith(
        f"Started from [a message](/acme/pl/{message['id']}) by @alice in ~town-square:"
    )
    assert "> Heads up: the DATABASE is down? No — database down for real, SEV-1." in summary

    values = {"playbookID": incident.id, "playbookRunName": "DB down", "playbookRunSummary": summary}
    assert await alice.submit_dialog(opened, values) == {}
    await harness.settle()
    channel = await alice.channel_by_name(harness.team_id, FIRST_CHANNEL)
    overview = (await bot_posts(harness, alice, channel["id"]))[1]
    assert f"/acme/pl/{message['id']}" in overview["props"]["attachments"][0]["text"]
    assert "> Heads up" in overview["props"]["attachments"][0]["text"]


async def test_a_second_keyword_in_the_thread_gets_no_second_prompt(
    harness: Harness, incident: Playbook
) -> None:
    root = await say(harness, "sev-1 in checkout")
    await say(harness, "still sev-1, database down too", root_id=root["id"])
    await say(harness, "SEV-1!", root_id=root["id"])
    assert len(await prompts_in(harness, harness.town_square_id, root["id"])) == 1
    reply = await say(harness, "a new thread: database down")
    assert len(await prompts_in(harness, harness.town_square_id, reply["id"])) == 1


async def test_text_without_a_whole_keyword_is_left_alone(harness: Harness, incident: Playbook) -> None:
    await say(harness, "sev-10 is just a ticket; the databases are down-scaled")
    assert await prompts_in(harness, harness.town_square_id) == []


async def test_channels_without_the_bot_and_direct_messages_are_not_watched(
    harness: Harness, incident: Playbook
) -> None:
    side_chat = await harness.mattermost.create_channel("alice", harness.team_id, "side-chat", "Side chat")
    await say(harness, "database down", channel_id=side_chat)
    assert await harness.alice.channel_posts(side_chat) != []
    assert [p for p in await harness.alice.channel_posts(side_chat) if p["user_id"] == bot_id(harness)] == []
    direct = await harness.alice.direct_channel_with(bot_id(harness))
    await say(harness, "database down", channel_id=direct["id"])
    assert await bot_posts(harness, harness.alice, direct["id"]) == []


async def test_the_bots_own_posts_never_trigger_and_a_run_channel_ignores_its_own_playbook(
    harness: Harness, incident: Playbook
) -> None:
    await keyword_playbook(harness, ("sev-1",), title="Escalation")
    # The run's name puts another playbook's keyword into every post the bot makes for it.
    await harness.command(harness.alice, '/playbook run "Incident Response" sev-1 outage')
    await harness.settle()
    channel = await harness.alice.channel_by_name(harness.team_id, "inc-00001-incident-sev-1-outage")
    assert "sev-1" in (await bot_posts(harness, harness.alice, channel["id"]))[0]["message"]
    assert await prompts_in(harness, channel["id"]) == []
    await say(harness, "database down", channel_id=channel["id"])  # only Incident Response's keyword
    assert await prompts_in(harness, channel["id"]) == []
    await say(harness, "this is sev-1 now", channel_id=channel["id"])
    [prompt] = await prompts_in(harness, channel["id"])
    assert "**Escalation**" in prompt["message"]
    assert "Incident Response" not in prompt["message"]


async def test_ignoring_a_thread_keeps_it_quiet_across_a_restart(
    harness: Harness, incident: Playbook
) -> None:
    root = await say(harness, "database down")
    [prompt] = await prompts_in(harness, harness.town_square_id)
    await harness.alice.click(prompt["id"], "ignore")
    ignored = await harness.alice.get_post(prompt["id"])
    assert (
        ignored["message"]
        == "@alice asked me to ignore this thread, so I won't suggest playbooks here again."
    )
    assert not ignored["props"].get("attachments")
    await say(harness, "sev-1, still database down", root_id=root["id"])

    await harness.bot.stop()
    again = BotApp(harness.bot.settings)
    await again.start()
    try:
        assert again.websocket is not None
        assert again.callbacks is not None
        async with asyncio.timeout(10):
            await again.websocket.connected.wait()
        await harness.alice.post(harness.town_square_id, "sev-1 again", root_id=root["id"])
        fresh = await harness.alice.post(harness.town_square_id, "unrelated database down")
        await one_prompt_for(harness, fresh)
        await again.callbacks.background.drain(grace=10)
        await again.websocket.wait_idle()
        assert again.listener is not None
        await again.listener.wait_idle()
    finally:
        await again.stop()
    prompts = await prompts_in(harness, harness.town_square_id)
    assert [p["root_id"] for p in prompts] == [root["id"], fresh["id"]]


async def wait_for_reconnect(harness: Harness, reconnects_before: int) -> None:
    websocket = harness.bot.websocket
    assert websocket is not None

    async def reconnected() -> bool:
        return websocket.reconnects > reconnects_before and websocket.connected.is_set()

    await eventually(reconnected, "the bot's reconnection")


async def one_prompt_for(harness: Harness, post: dict[str, Any]) -> None:
    """The bot answers ``post`` with a prompt, and with one only."""

    async def answered() -> bool:
        return bool(await prompts_in(harness, harness.town_square_id, post["id"]))

    await eventually(answered, f"a prompt for {post['message']!r}")
    await harness.settle()
    assert len(await prompts_in(harness, harness.town_square_id, post["id"])) == 1


async def test_a_keyword_said_while_the_bot_was_away_is_answered_once(
    harness: Harness, incident: Playbook
) -> None:
    websocket = harness.bot.websocket
    assert websocket is not None
    before = websocket.reconnects
    await websocket.stop()
    missed = await harness.alice.post(harness.town_square_id, "database down while you were out")
    await websocket.start()
    await wait_for_reconnect(harness, before)
    await one_prompt_for(harness, missed)


async def test_a_dropped_connection_loses_nothing(harness: Harness, incident: Playbook) -> None:
    websocket = harness.bot.websocket
    assert websocket is not None
    before = websocket.reconnects
    await harness.faults.drop_websockets("abort")
    missed = await harness.alice.post(harness.town_square_id, "sev-1 during the drop")
    await wait_for_reconnect(harness, before)
    await one_prompt_for(harness, missed)
    await one_prompt_for(harness, await harness.alice.post(harness.town_square_id, "database down after"))


async def test_a_server_restart_is_caught_up_through_rest(harness: Harness, incident: Playbook) -> None:
    websocket = harness.bot.websocket
    assert websocket is not None
    await say(harness, "just chatting")  # the bot has handled a post: it knows where it stopped
    before, gaps = websocket.reconnects, websocket.gaps
    await harness.mattermost.restart()
    missed = await harness.alice.post(harness.town_square_id, "database down during the restart")
    await wait_for_reconnect(harness, before)
    await one_prompt_for(harness, missed)
    assert websocket.gaps > gaps  # the server forgot the connection: the post came back through REST
    await one_prompt_for(harness, await harness.alice.post(harness.town_square_id, "sev-1 after it"))
    assert len(await prompts_in(harness, harness.town_square_id)) == 2


async def test_a_failing_handler_does_not_stop_listening(
    harness: Harness, incident: Playbook, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> dict[str, Any]:
        raise RuntimeError("rendering failed")

    monkeypatch.setattr(keyword_service, "keyword_prompt", broken)
    failed = await say(harness, "database down")
    assert await prompts_in(harness, harness.town_square_id) == []
    monkeypatch.setattr(keyword_service, "keyword_prompt", keyword_prompt)
    later = await say(harness, "sev-1")
    assert len(await prompts_in(harness, harness.town_square_id, later["id"])) == 1
    # The failed message's thread was not used up: a later keyword there still gets its prompt.
    await say(harness, "still database down", root_id=failed["id"])
    assert len(await prompts_in(harness, harness.town_square_id, failed["id"])) == 1


async def test_a_pin_puts_a_message_on_the_timeline_once(harness: Harness, incident: Playbook) -> None:
    alice, root = harness.alice, harness.root
    await harness.command(alice, '/playbook run "Incident Response" DB down')
    await harness.settle()
    channel = await alice.channel_by_name(harness.team_id, FIRST_CHANNEL)
    note = await say(harness, "CPU at 100% on db-1\nmore details below", channel_id=channel["id"])

    async def timeline() -> str:
        reply = await harness.command(alice, "/playbook timeline", channel_id=channel["id"])
        return str(reply["text"])

    pinned = "@alice: “CPU at 100% on db-1” (pinned by @alice)"
    await alice.react(note["id"], "pushpin")
    await root.react(note["id"], "pushpin")
    await alice.react(note["id"], "eyes")
    await harness.settle()
    assert (await timeline()).count(pinned) == 1
    await alice.unreact(note["id"], "pushpin")
    await harness.settle()
    assert (await timeline()).count(pinned) == 1
    await root.unreact(note["id"], "pushpin")
    await harness.settle()
    assert "CPU at 100%" not in await timeline()


async def test_channel_settings_silence_prompts_and_welcomes(harness: Harness, incident: Playbook) -> None:
    alice = harness.alice
    reply = await harness.command(alice, "/playbook channel settings prompts off")
    assert "- Keyword prompts: **off**" in reply["text"]
    await say(harness, "database down")
    assert await prompts_in(harness, harness.town_square_id) == []

    await harness.command(alice, "/playbook channel settings")
    await alice.next_ephemeral()  # the first answer
    shown = await alice.next_ephemeral()
    assert "- Keyword prompts: **off**" in shown["message"]
    await alice.click(shown["id"], "prompts")
    assert "- Keyword prompts: **on**" in (await alice.next_ephemeral())["message"]
    later = await say(harness, "sev-1")
    assert len(await prompts_in(harness, harness.town_square_id, later["id"])) == 1

    bad = await harness.command(alice, "/playbook channel settings prompts maybe")
    assert bad["text"] == "`prompts` can be `on` or `off`, not `maybe`."

    await harness.command(alice, '/playbook run "Incident Response" DB down')
    await harness.settle()
    channel = await alice.channel_by_name(harness.team_id, FIRST_CHANNEL)
    answer = await harness.command(alice, "/playbook channel settings welcome off", channel_id=channel["id"])
    assert "- Welcome message: **off** — people who join this run's channel" in answer["text"]
    await harness.mattermost.add_user("bob", team_ids=[harness.team_id])
    async with harness.person("bob") as bob_client:
        await bob_client.join(channel["id"])
        await harness.settle()
        direct = await bob_client.direct_channel_with(bot_id(harness))
        assert await bot_posts(harness, bob_client, direct["id"]) == []


async def test_a_slow_playbook_import_does_not_hold_up_keyword_prompts(
    harness: Harness, incident: Playbook, monkeypatch: pytest.MonkeyPatch
) -> None:
    reading, release = asyncio.Event(), asyncio.Event()
    read = playbook_import.read_uploaded_document

    async def slow_read(services: Services, file_id: str) -> tuple[str, str]:
        reading.set()
        await release.wait()  # a large file on a slow link
        return await read(services, file_id)

    monkeypatch.setattr(playbook_import, "read_uploaded_document", slow_read)
    alice = harness.alice
    direct = await alice.direct_channel_with(bot_id(harness))
    playbook = b"version: 1\ntitle: Release\nchecklists:\n  - title: Ship\n    items:\n      - title: Tag\n"
    file_id = await alice.upload(direct["id"], "release.yaml", playbook)
    sent = await alice.post(direct["id"], "here you go", file_ids=[file_id])
    async with asyncio.timeout(10):
        await reading.wait()

    message = await alice.post(harness.town_square_id, "database down")

    async def prompted() -> bool:
        return bool(await prompts_in(harness, harness.town_square_id, message["id"]))

    await eventually(prompted, "a keyword prompt while the import is still reading its file")
    release.set()
    await harness.settle()
    [reply] = [p for p in await bot_posts(harness, alice, direct["id"]) if p["root_id"] == sent["id"]]
    assert "Imported the playbook **Release** in Acme" in reply["message"]
    assert len(await prompts_in(harness, harness.town_square_id, message["id"])) == 1
