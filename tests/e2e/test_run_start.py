"""Starting a run as people do: the form or the command, then the channel, its people and posts."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bot.domain.playbook import Playbook
from bot.domain.playbook_settings import DefaultOwnerSettings, InviteSettings
from bot.playbook_format import import_playbook, parse_document
from mattermost_sim.client import Person
from storage.repositories.playbooks import PlaybookRepository

from .conftest import Harness

STARTER = Path(__file__).parents[2] / "bot" / "starter_playbooks" / "incident-response.yaml"
FIRST_CHANNEL = "inc-00001-incident-db-down"
CHECKLIST_TITLES = ["Triage", "Investigate and mitigate", "Resolve", "Learn"]


async def seed_incident_playbook(harness: Harness, *, public_channel: bool = False) -> Playbook:
    """Import the starter incident playbook as alice, as a playbook admin would."""
    document = parse_document(STARTER.read_text(), STARTER.name)
    alice_id = await harness.alice.my_id()
    playbook = import_playbook(document, team_id=harness.team_id, importer_id=alice_id).playbook
    if public_channel:
        playbook = replace(playbook, channel=replace(playbook.channel, create_public_channel=True))
    assert harness.bot.services is not None
    async with harness.bot.services.transaction() as session:
        return await PlaybookRepository(session).add(playbook)


@pytest.fixture
async def incident(harness: Harness) -> Playbook:
    return await seed_incident_playbook(harness)


def bot_id(harness: Harness) -> str:
    assert harness.bot.services is not None
    return harness.bot.services.bot.id


async def bot_posts(harness: Harness, person: Person, channel_id: str) -> list[dict[str, Any]]:
    posts = await person.channel_posts(channel_id)
    return [p for p in posts if p["user_id"] == bot_id(harness) and not p["type"].startswith("system_")]


async def direct_messages(harness: Harness, person: Person) -> list[str]:
    channel = await person.direct_channel_with(bot_id(harness))
    return [p["message"] for p in await bot_posts(harness, person, channel["id"])]


async def start_with_command(harness: Harness, text: str) -> dict[str, Any]:
    response = await harness.command(harness.alice, text)
    await harness.settle()
    return response


def action_labels(post: dict[str, Any]) -> list[list[str]]:
    return [[a["name"] for a in att.get("actions", [])] for att in post["props"]["attachments"]]


async def assert_run_posts(harness: Harness, channel_id: str) -> None:
    """The welcome, the overview and one post per checklist, each exactly once, in order."""
    posts = await bot_posts(harness, harness.alice, channel_id)
    messages = [p["message"] for p in posts]
    assert len(posts) == 2 + len(CHECKLIST_TITLES), messages
    assert messages[0].startswith("#### Welcome to Incident: DB down")
    assert messages[1] == "#### INC-00001 · Incident: DB down"
    overview = posts[1]["props"]["attachments"][0]
    assert [a["name"] for a in overview["actions"]] == ["Post update", "Finish run"]
    assert {f["title"]: f["value"] for f in overview["fields"]}["Progress"] == "0/13 done"
    for number, (post, title) in enumerate(zip(posts[2:], CHECKLIST_TITLES, strict=True), start=1):
        assert post["message"].startswith(f"**{number}. {title}** — 0/")
        for labels in action_labels(post):
            assert labels[:3] == ["Check", "Skip", "Assign to me"]
    triage = posts[2]["props"]["attachments"]
    assert triage[0]["text"].startswith("☐ **1.1** Take ownership of the incident\nassigned to @alice")
    assert re.search(r"\ndue [A-Z][a-z]{2} \d+, \d\d:\d\d UTC$", triage[1]["text"])
    assert [a["id"] for a in triage[1]["actions"]] == ["i2check", "i2skip", "i2assign", "i2edit"]


async def test_the_form_starts_a_run_with_its_channel_people_and_posts(
    harness: Harness, incident: Playbook
) -> None:
    alice = harness.alice
    response = await harness.command(alice, "/playbook run")
    assert not response.get("text")
    opened = await alice.next_dialog()
    elements = {e["name"]: e for e in opened["dialog"]["elements"]}
    assert elements["playbookID"]["options"] == [{"text": "Incident Response", "value": incident.id}]
    assert elements["playbookRunSummary"]["default"].startswith("**Summary**")

    answer = await alice.submit_dialog(
        opened, {"playbookID": incident.id, "playbookRunName": "DB down", "playbookRunSummary": "It is down"}
    )
    assert answer == {}
    await harness.settle()

    channel = await alice.channel_by_name(harness.team_id, FIRST_CHANNEL)
    assert channel["type"] == "P"
    assert channel["display_name"] == "Incident: DB down"
    assert channel["header"] == "INC-00001 · Incident: DB down — It is down"
    members = await alice.channel_member_ids(channel["id"])
    assert members == {await alice.my_id(), bot_id(harness)}
    await assert_run_posts(harness, channel["id"])
    assert await direct_messages(harness, alice) == [
        f"Started **Incident: DB down** (INC-00001) in ~{FIRST_CHANNEL}."
    ]


async def test_the_form_asks_for_a_name_when_the_playbook_needs_one(
    harness: Harness, incident: Playbook
) -> None:
    await harness.command(harness.alice, "/playbook run")
    opened = await harness.alice.next_dialog()
    answer = await harness.alice.submit_dialog(opened, {"playbookID": incident.id, "playbookRunName": ""})
    assert "playbookRunName" in answer["errors"]
    answer = await harness.alice.submit_dialog(opened, {"playbookID": "x" * 26, "playbookRunName": "a"})
    assert "playbookID" in answer["errors"]
    await harness.settle()
    assert harness.alice.events("channel_created") == []


async def test_the_command_starts_a_run_directly(harness: Harness, incident: Playbook) -> None:
    response = await start_with_command(harness, '/playbook run Incident response "DB down"')
    assert response["text"] == "Starting a run of **Incident Response**…"
    assert (await harness.alice.next_ephemeral())["message"] == response["text"]
    reply = await harness.alice.next_ephemeral()
    assert f"~{FIRST_CHANNEL}" in reply["message"]
    channel = await harness.alice.channel_by_name(harness.team_id, FIRST_CHANNEL)
    await assert_run_posts(harness, channel["id"])


async def test_runs_with_the_same_name_get_their_own_channels(harness: Harness, incident: Playbook) -> None:
    await start_with_command(harness, '/playbook run "Incident Response" DB down')
    await start_with_command(harness, '/playbook run "Incident Response" DB down')
    first = await harness.alice.channel_by_name(harness.team_id, FIRST_CHANNEL)
    second = await harness.alice.channel_by_name(harness.team_id, "inc-00002-incident-db-down")
    assert first["id"] != second["id"]


async def test_a_taken_channel_name_is_skipped(harness: Harness, incident: Playbook) -> None:
    mattermost = harness.mattermost
    await mattermost.create_channel("root", harness.team_id, FIRST_CHANNEL, "Someone else's", "O")
    archived = await mattermost.create_channel("root", harness.team_id, f"{FIRST_CHANNEL}-2", "Archived", "O")
    await mattermost.archive_channel(archived)
    await start_with_command(harness, '/playbook run "Incident Response" DB down')
    channel = await harness.alice.channel_by_name(harness.team_id, f"{FIRST_CHANNEL}-3")
    assert channel["display_name"] == "Incident: DB down"


async def test_a_public_playbook_channel_is_public(harness: Harness) -> None:
    await seed_incident_playbook(harness, public_channel=True)
    await start_with_command(harness, '/playbook run "Incident Response" DB down')
    channel = await harness.alice.channel_by_name(harness.team_id, FIRST_CHANNEL)
    assert channel["type"] == "O"


async def test_unknown_playbooks_and_missing_names_get_friendly_answers(
    harness: Harness, incident: Playbook
) -> None:
    response = await harness.command(harness.alice, "/playbook run Nonsense thing")
    assert "I don't know a playbook called “Nonsense thing”" in response["text"]
    response = await harness.command(harness.alice, '/playbook run "Incident Response"')
    assert response["text"].startswith("Give the run a name")


async def test_without_playbooks_the_command_explains_what_to_do(harness: Harness) -> None:
    response = await harness.command(harness.alice, "/playbook run")
    assert response["text"].startswith("There is no playbook you can run in this team yet.")


async def test_info_and_timeline_only_work_in_a_run_channel(harness: Harness, incident: Playbook) -> None:
    for command in ("/playbook info", "/playbook timeline"):
        response = await harness.command(harness.alice, command)
        assert response["text"] == "This command only works in a run's channel."
    await start_with_command(harness, '/playbook run "Incident Response" DB down')
    channel = await harness.alice.channel_by_name(harness.team_id, FIRST_CHANNEL)
    info = await harness.command(harness.alice, "/playbook info", channel_id=channel["id"])
    assert info["text"].startswith("#### INC-00001 · Incident: DB down")
    assert re.search(r"^- 1\.2 Page the on-call engineer — due in 1[45] min \(", info["text"], re.M)
    timeline = await harness.command(harness.alice, "/playbook timeline", channel_id=channel["id"])
    assert "@alice started “Incident: DB down”" in timeline["text"]


async def test_someone_joining_later_is_welcomed_once(harness: Harness) -> None:
    await seed_incident_playbook(harness, public_channel=True)
    await harness.mattermost.add_user("bob", team_ids=[harness.team_id])
    await start_with_command(harness, '/playbook run "Incident Response" DB down')
    channel = await harness.alice.channel_by_name(harness.team_id, FIRST_CHANNEL)
    async with harness.person("bob") as bob_client:
        await bob_client.join(channel["id"])
        await harness.settle()
        await bob_client.leave(channel["id"])
        await harness.settle()
        await bob_client.join(channel["id"])
        await harness.settle()
        welcomes = await direct_messages(harness, bob_client)
    assert len(welcomes) == 1
    assert welcomes[0].startswith(f"#### Welcome to Incident: DB down in ~{FIRST_CHANNEL}\n")
    assert all("Welcome" not in message for message in await direct_messages(harness, harness.alice))
    # Each join and leave makes and unmakes a participant, on the timeline; the welcome came once.
    timeline = await harness.command(harness.alice, "/playbook timeline", channel_id=channel["id"])
    assert timeline["text"].count("@bob joined the channel") == 2
    assert timeline["text"].count("@bob left the channel") == 1


async def test_a_failed_post_is_retried_without_duplicates(harness: Harness, incident: Playbook) -> None:
    harness.faults.fail(503, count=1, method="POST", path_pattern=r"/api/v4/posts$")
    await start_with_command(harness, '/playbook run "Incident Response" DB down')
    channel = await harness.alice.channel_by_name(harness.team_id, FIRST_CHANNEL)
    await assert_run_posts(harness, channel["id"])


async def test_posts_refused_at_start_are_completed_by_info(harness: Harness, incident: Playbook) -> None:
    harness.faults.fail(503, count=3, method="POST", path_pattern=r"/api/v4/posts$")
    await start_with_command(harness, '/playbook run "Incident Response" DB down')
    await harness.alice.next_ephemeral()  # "Starting a run…"
    reply = await harness.alice.next_ephemeral()
    assert "Run `/playbook info`" in reply["message"]
    channel = await harness.alice.channel_by_name(harness.team_id, FIRST_CHANNEL)
    assert await bot_posts(harness, harness.alice, channel["id"]) == []
    await harness.command(harness.alice, "/playbook info", channel_id=channel["id"])
    await harness.settle()
    await assert_run_posts(harness, channel["id"])


async def test_a_default_owner_and_invited_people_join_and_the_owner_is_told(harness: Harness) -> None:
    mattermost = harness.mattermost
    bob = await mattermost.add_user("bob", team_ids=[harness.team_id])
    carol = await mattermost.add_user("carol", team_ids=[harness.team_id])
    stranger = await mattermost.add_user("stranger")  # not on the team: left out
    playbook = await seed_incident_playbook(harness)
    assert harness.bot.services is not None
    async with harness.bot.services.transaction() as session:
        await PlaybookRepository(session).update(
            replace(
                playbook,
                default_owner=DefaultOwnerSettings(bob, enabled=True),
                invites=InviteSettings(user_ids=(carol, stranger), enabled=True),
            )
        )
    await start_with_command(harness, '/playbook run "Incident Response" DB down')
    channel = await harness.alice.channel_by_name(harness.team_id, FIRST_CHANNEL)
    members = await harness.alice.channel_member_ids(channel["id"])
    assert members == {await harness.alice.my_id(), bot_id(harness), bob, carol}
    overview = (await bot_posts(harness, harness.alice, channel["id"]))[1]["props"]["attachments"][0]
    fields = {f["title"]: f["value"] for f in overview["fields"]}
    assert fields["Owner"] == "@bob"
    assert fields["Participants"] == "@alice, @bob, @carol"
    async with harness.person("bob") as bob_client:
        assert await direct_messages(harness, bob_client) == [
            f"@alice started **Incident: DB down** and made you its owner: ~{FIRST_CHANNEL}"
        ]
