"""Managing playbooks from chat: files sent to the bot by DM, ``/playbook list|show|export``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from mattermost_sim.client import Person
from storage.repositories.playbooks import PlaybookRepository
from tests.paths import PLAYBOOK_TEMPLATES
from tests.servers import Backstage
from tests.waiting import eventually

from .conftest import Harness, running_harness

TEMPLATES = PLAYBOOK_TEMPLATES
TEMPLATE_FILES = sorted(TEMPLATES.glob("*.json")) if TEMPLATES.is_dir() else []
needs_templates = pytest.mark.skipif(
    len(TEMPLATE_FILES) < 2, reason=f"the shared playbook templates are not in {TEMPLATES}"
)
INCIDENT = "Incident Resolution Template"
OKR = "OKR Management Template"


def template(name: str) -> Path:
    """The shared template file whose name starts with ``name``."""
    return next(path for path in TEMPLATE_FILES if path.name.startswith(name))


async def dm_with_bot(person: Person, bot_id: str) -> str:
    """The id of the person's direct channel with the bot."""
    return str((await person.direct_channel_with(bot_id))["id"])


async def send_files(person: Person, channel_id: str, files: list[tuple[str, bytes]]) -> dict[str, Any]:
    """Attach files to a message, as a person does by dropping them into the message box."""
    file_ids = [await person.upload(channel_id, name, data) for name, data in files]
    return await person.post(channel_id, "here you go", file_ids=file_ids)


async def bot_replies(person: Person, channel_id: str, root_id: str, bot_id: str) -> list[dict[str, Any]]:
    """The bot's replies in a thread, oldest first."""
    posts = await person.channel_posts(channel_id)
    return [post for post in posts if post.get("root_id") == root_id and post["user_id"] == bot_id]


async def download(base_url: str, token: str, file_id: str) -> tuple[dict[str, Any], bytes]:
    """A file's info and bytes, fetched the way a client does."""
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession(headers=headers, timeout=aiohttp.ClientTimeout(total=10)) as session:
        async with session.get(f"{base_url}/api/v4/files/{file_id}/info") as response:
            assert response.status == 200
            info: dict[str, Any] = await response.json()
        async with session.get(f"{base_url}/api/v4/files/{file_id}") as response:
            assert response.status == 200
            return info, await response.read()


async def import_templates(harness: Harness) -> tuple[str, dict[str, Any]]:
    """alice sends both templates in one message; returns the DM id and the message."""
    dm = await dm_with_bot(harness.alice, bot_id_of(harness))
    post = await send_files(harness.alice, dm, [(path.name, path.read_bytes()) for path in TEMPLATE_FILES])
    await harness.settle()
    return dm, post


def bot_id_of(harness: Harness) -> str:
    assert harness.bot.services is not None
    return harness.bot.services.bot.id


@needs_templates
async def test_templates_sent_by_dm_are_imported_listed_and_shown(harness: Harness) -> None:
    dm, post = await import_templates(harness)

    replies = await bot_replies(harness.alice, dm, post["id"], bot_id_of(harness))
    assert len(replies) == 2
    summaries = " ".join(reply["message"] for reply in replies)
    assert f"Imported the playbook **{INCIDENT}** in Acme: 4 checklists, 14 tasks." in summaries
    assert f"Imported the playbook **{OKR}** in Acme: 4 checklists, 17 tasks." in summaries

    listing = await harness.command(harness.alice, "/playbook list")
    assert listing["response_type"] == "ephemeral"
    assert f"| {INCIDENT} |" in listing["text"]
    assert f"| {OKR} |" in listing["text"]
    assert "| public | 4 | 14 |" in listing["text"]

    shown = await harness.command(harness.alice, "/playbook show incident resolution template")
    incident = json.loads(template("incident").read_text())
    for number, checklist in enumerate(incident["checklists"], start=1):
        assert f"**{number}. {checklist['title']}**" in shown["text"]
    assert "Status updates: on, every 1 day" in shown["text"]
    assert "`sev-1`" in shown["text"]


@needs_templates
async def test_export_sends_the_playbook_as_a_file_equal_to_the_template(harness: Harness) -> None:
    dm, _ = await import_templates(harness)
    bot_id = bot_id_of(harness)

    response = await harness.command(harness.alice, f"/playbook export {OKR}")
    assert "direct messages (@playbooks)" in response["text"]
    await harness.settle()

    exports = [post for post in await harness.alice.channel_posts(dm) if post["user_id"] == bot_id]
    exports = [post for post in exports if post.get("file_ids")]
    assert len(exports) == 1
    info, data = await download(harness.url, harness.mattermost.token("alice"), exports[0]["file_ids"][0])
    assert info["name"] == "okr-management-template.playbook.json"
    assert json.loads(data) == json.loads(template("okr").read_text())


@needs_templates
async def test_a_replayed_post_imports_once(harness: Harness) -> None:
    assert harness.bot.websocket is not None
    bot_id = bot_id_of(harness)
    dm = await dm_with_bot(harness.alice, bot_id)
    path = template("incident")
    post = await send_files(harness.alice, dm, [(path.name, path.read_bytes())])
    websocket = harness.bot.websocket
    reconnects = websocket.reconnects
    # The connection ends under the bot (events on their way are lost); it resumes, and Mattermost
    # replays what it missed.
    await websocket.stop()
    await websocket.start()
    await eventually(
        lambda: websocket.reconnects > reconnects and websocket.connected.is_set(), "the bot's reconnection"
    )
    await harness.settle()

    assert len(await bot_replies(harness.alice, dm, post["id"], bot_id)) == 1
    listing = await harness.command(harness.alice, "/playbook list")
    assert listing["text"].count(INCIDENT) == 1
    assert "**Playbooks** (1)" in listing["text"]


async def test_an_invalid_playbook_gets_a_reply_naming_each_bad_field(harness: Harness) -> None:
    bot_id = bot_id_of(harness)
    dm = await dm_with_bot(harness.alice, bot_id)
    bad = {"version": 1, "title": "", "checklists": [{"title": "Triage", "items": [{"title": 5}]}]}
    post = await send_files(harness.alice, dm, [("broken.json", json.dumps(bad).encode())])
    await harness.settle()

    [reply] = await bot_replies(harness.alice, dm, post["id"], bot_id)
    assert "I couldn't import “broken.json”; nothing was changed." in reply["message"]
    assert "- title: must be a non-empty string" in reply["message"]
    assert "- checklists[0].items[0].title:" in reply["message"]
    listing = await harness.command(harness.alice, "/playbook list")
    assert "There are no playbooks you can use in this team yet." in listing["text"]


async def test_a_file_that_is_not_json_or_yaml_gets_a_friendly_refusal(harness: Harness) -> None:
    bot_id = bot_id_of(harness)
    dm = await dm_with_bot(harness.alice, bot_id)
    post = await send_files(harness.alice, dm, [("notes.txt", b"remember the milk")])
    await harness.settle()

    [reply] = await bot_replies(harness.alice, dm, post["id"], bot_id)
    assert "I can only import .json or .yaml playbooks" in reply["message"]
    assert "“notes.txt”" in reply["message"]


async def test_a_yaml_playbook_is_imported(harness: Harness) -> None:
    bot_id = bot_id_of(harness)
    dm = await dm_with_bot(harness.alice, bot_id)
    yaml_text = "version: 1\ntitle: Release\nchecklists:\n  - title: Ship\n    items:\n      - title: Tag\n"
    post = await send_files(harness.alice, dm, [("release.yml", yaml_text.encode())])
    await harness.settle()

    [reply] = await bot_replies(harness.alice, dm, post["id"], bot_id)
    assert "Imported the playbook **Release** in Acme: 1 checklist, 1 task." in reply["message"]


@needs_templates
async def test_a_private_playbook_is_invisible_to_other_team_members(harness: Harness) -> None:
    await import_templates(harness)
    services = harness.bot.services
    assert services is not None
    # alice, the playbook's admin, makes it private (an edit as the playbook editor would save it).
    async with services.transaction() as session:
        playbooks = PlaybookRepository(session)
        incident = await playbooks.get_by_title(harness.team_id, INCIDENT)
        assert incident is not None
        await playbooks.update(incident.edited(public=False))
    await harness.mattermost.add_user("bob", team_ids=[harness.team_id])
    await harness.mattermost.add_channel_member(harness.town_square_id, "bob")

    async with harness.person("bob") as bob_client:
        listing = await harness.command(bob_client, "/playbook list")
        assert OKR in listing["text"]
        assert INCIDENT not in listing["text"]
        shown = await harness.command(bob_client, f"/playbook show {INCIDENT}")
        assert f"I can't find a playbook called “{INCIDENT}”" in shown["text"]
        by_id = await harness.command(bob_client, f"/playbook export {incident.id}")
        assert "I can't find a playbook" in by_id["text"]

    alice_listing = await harness.command(harness.alice, "/playbook list")
    assert f"| {INCIDENT} | `{incident.id}` | private |" in alice_listing["text"]


@needs_templates
async def test_a_person_in_several_teams_picks_the_team_with_a_button(
    mattermost: Backstage, tmp_path: Path
) -> None:
    beta = await mattermost.add_team("beta", "Beta")
    await mattermost.add_team_member(beta, "alice")
    await mattermost.add_team_member(beta, "playbooks", team_admin=True)

    database = f"sqlite+aiosqlite:///{tmp_path / 'teams.sqlite'}"
    async with running_harness(mattermost, database, teams=["acme", "beta"]) as world:
        alice = world.alice
        bot_id = bot_id_of(world)
        beta_square = await alice.channel_by_name(beta, "town-square")
        dm = await dm_with_bot(alice, bot_id)
        path = template("okr")
        post = await send_files(alice, dm, [(path.name, path.read_bytes())])
        await world.settle()

        [prompt] = await bot_replies(alice, dm, post["id"], bot_id)
        [attachment] = prompt["props"]["attachments"]
        assert attachment["title"] == "Which team should this playbook go to?"
        buttons = {action["name"]: action["id"] for action in attachment["actions"]}
        assert set(buttons) == {"Acme", "Beta"}

        await alice.click(prompt["id"], buttons["Beta"])
        await world.settle()

        updated = await alice.get_post(prompt["id"])
        assert f"Imported the playbook **{OKR}** in Beta: 4 checklists, 17 tasks." in updated["message"]
        assert not updated.get("props", {}).get("attachments")
        in_beta = await alice.execute(beta_square["id"], "/playbook list", team_id=beta)
        assert f"| {OKR} |" in in_beta["text"]
        in_acme = await world.command(alice, "/playbook list")
        assert OKR not in in_acme["text"]


async def test_reimporting_replaces_only_for_the_playbook_admins(harness: Harness) -> None:
    bot_id = bot_id_of(harness)
    first = (
        b'{"version": 1, "title": "Release", "checklists": [{"title": "Ship", "items": [{"title": "Tag"}]}]}'
    )
    second = b"version: 1\ntitle: release\nchecklists:\n  - title: Ship\n  - title: Announce\n"
    alice_dm = await dm_with_bot(harness.alice, bot_id)
    await send_files(harness.alice, alice_dm, [("release.json", first)])
    post = await send_files(harness.alice, alice_dm, [("release.yaml", second)])
    await harness.settle()
    [reply] = await bot_replies(harness.alice, alice_dm, post["id"], bot_id)
    assert "Updated the playbook **release** in Acme: 2 checklists, 0 tasks." in reply["message"]

    await harness.mattermost.add_user("bob", team_ids=[harness.team_id])
    async with harness.person("bob") as bob_client:
        bob_dm = await dm_with_bot(bob_client, bot_id)
        post = await send_files(bob_client, bob_dm, [("mine.json", first)])
        await harness.settle()
        [refusal] = await bot_replies(bob_client, bob_dm, post["id"], bot_id)
    assert (
        "A playbook titled “release” already exists in this team, and only its admins" in refusal["message"]
    )
    listing = await harness.command(harness.alice, "/playbook list")
    assert "| release | " in listing["text"]
    assert "| 2 | 0 |" in listing["text"]


async def test_show_and_export_of_an_unknown_playbook_say_so(harness: Harness) -> None:
    for verb in ("show", "export"):
        response = await harness.command(harness.alice, f"/playbook {verb} Nothing Like It")
        assert response["text"].startswith("I can't find a playbook called “Nothing Like It” in this team.")
    usage = await harness.command(harness.alice, "/playbook show")
    assert usage["text"] == "Which playbook? Use `/playbook show NAME`."
