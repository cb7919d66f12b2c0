"""Creating and editing playbooks from chat alone: ``/playbook create``, ``/playbook edit`` and its forms.

Everything goes through Mattermost as people do it: the command, the buttons of the edit overview,
the dialogs as Mattermost hands them to the person, and what the bot shows afterwards. The bot may
send webhooks to loopback here, so the test webhook receiver can be used as a real address.
"""

from __future__ import annotations

from typing import Any

import pytest

from mattermost_sim.client import Person
from tests.waiting import eventually

from .conftest import Harness
from .test_playbooks_chat import send_files
from .test_run_start import bot_id, bot_posts
from .test_webhooks import Receiver, open_harness, receiver  # noqa: F401 - fixtures

STARTER_KEY = "starter:incident-response.yaml"


@pytest.fixture
def harness(open_harness: Harness) -> Harness:  # noqa: F811 - every test here may use the receiver
    return open_harness


def filled(dialog: dict[str, Any]) -> dict[str, Any]:
    """What the client submits for an untouched form: each element's default (checkboxes as booleans)."""
    values: dict[str, Any] = {}
    for element in dialog["dialog"]["elements"]:
        default = element.get("default")
        if element["type"] == "bool":
            values[element["name"]] = default == "true"
        elif default:
            values[element["name"]] = default
    return values


def elements(dialog: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {element["name"]: element for element in dialog["dialog"]["elements"]}


async def create(harness: Harness, title: str, start: str = STARTER_KEY, *, public: bool = True) -> None:
    """Alice creates a playbook through the create form."""
    await harness.command(harness.alice, "/playbook create")
    dialog = await harness.alice.next_dialog()
    assert dialog["dialog"]["title"] == "Create a playbook"
    submission = {"title": title, "start": start, "public": public}
    assert await harness.alice.submit_dialog(dialog, submission) == {}
    await harness.settle()


async def open_section(harness: Harness, person: Person, title: str, section: str) -> dict[str, Any]:
    """``/playbook edit TITLE``, then the section's button: the form Mattermost opens."""
    reply = await harness.command(person, f"/playbook edit {title}")
    assert reply["text"].startswith(f"#### Edit {title}")
    overview = await person.next_ephemeral()
    while not overview["message"].startswith(f"#### Edit {title}"):  # earlier answers shown first
        overview = await person.next_ephemeral()
    await person.click(overview["id"], section)
    return await person.next_dialog()


async def edit(
    harness: Harness, title: str, section: str, changes: dict[str, Any], person: Person | None = None
) -> dict[str, Any]:
    """Open a section's form, change some values and submit it; Mattermost's answer to the submit."""
    person = person or harness.alice
    dialog = await open_section(harness, person, title, section)
    answer = await person.submit_dialog(dialog, {**filled(dialog), **changes})
    await harness.settle()
    return answer


async def show(harness: Harness, title: str) -> str:
    return str((await harness.command(harness.alice, f"/playbook show {title}"))["text"])


# The full cycle --------------------------------------------------------------------------------


async def test_the_full_cycle_from_chat_alone(harness: Harness, receiver: Receiver) -> None:  # noqa: F811
    alice = harness.alice
    await create(harness, "Our incidents")
    direct = await alice.direct_channel_with(bot_id(harness))
    told = await bot_posts(harness, alice, direct["id"])
    assert told[-1]["message"].startswith("I created **Our incidents**, with you as its admin.")
    assert '/playbook edit "Our incidents"' in told[-1]["message"]

    assert await edit(harness, "Our incidents", "general", {"title": "Major incidents"}) == {}

    dialog = await open_section(harness, alice, "Major incidents", "checklists")
    text = elements(dialog)["checklists"]["default"]
    assert text.startswith(
        "## Triage\n- Take ownership of the incident  @owner\n- Page the on-call engineer  +15m"
    )
    changed = text.replace("## Triage\n", "## Triage\n- Page the DBA  /echo dba  @alice  +20m\n", 1)
    assert await alice.submit_dialog(dialog, {"checklists": changed}) == {}
    await harness.settle()

    updates = {"template": "Status: all good?", "broadcast_on": True, "broadcast": "~town-square"}
    assert await edit(harness, "Major incidents", "updates", updates) == {}
    hooks = {"creation_on": True, "creation": receiver.url}
    assert await edit(harness, "Major incidents", "webhooks", hooks) == {}
    assert await edit(harness, "Major incidents", "channel", {"mode": "new_public"}) == {}

    shown = await show(harness, "Major incidents")
    assert "Page the DBA" in shown
    assert "**Recent changes**" in shown
    assert "@alice: run channel (channel.create_public_channel)" in shown

    await harness.command(alice, '/playbook run "Major incidents" Database down')
    await harness.settle()
    channels = await alice.my_channels(harness.team_id)
    run_channel = next(c for c in channels if "database-down" in c["name"])
    assert run_channel["type"] == "O"  # a public run channel

    await harness.tick()
    assert [r.payload["event"] for r in receiver.received] == ["run_created"]
    assert receiver.received[0].payload["run"]["channel"]["id"] == run_channel["id"]

    await harness.command(alice, "/playbook update", channel_id=run_channel["id"])
    update_form = await alice.next_dialog()
    assert elements(update_form)["message"]["default"] == "Status: all good?"
    submission = {**filled(update_form), "message": "Failover done; all good."}
    assert await alice.submit_dialog(update_form, submission, channel_id=run_channel["id"]) == {}
    await harness.settle()

    async def broadcast() -> bool:
        posts = await bot_posts(harness, alice, harness.town_square_id)
        return len([p for p in posts if "Failover done; all good." in str(p.get("props"))]) == 1

    await eventually(broadcast, "the update broadcast to town square")


# Each section's form -----------------------------------------------------------------------------

# section, a good change and what /playbook show then says, a bad change and the field it errs on
SECTIONS: list[tuple[str, dict[str, Any], str, dict[str, Any], str]] = [
    (
        "general",
        {"description": "Our way of handling outages."},
        "Our way of handling outages.",
        {"admins": "@nobody-of-that-name"},
        "admins",
    ),
    (
        "channel",
        {"name_template": "Outage: <name>", "category": "Outages", "sync_remove": False},
        "Outage: <name>",
        {"mode": "link"},
        "channel",
    ),
    (
        "messages",
        {"welcome": "Hello responders!"},
        "(welcome_message.message)",
        {"summary": "x" * 5000},
        "summary",
    ),
    (
        "people",
        {"invite_on": True, "invited": "@alice"},
        "(invites.user_ids, invites.enabled)",
        {"invited": "@ghost"},
        "invited",
    ),
    ("updates", {"interval": "30m"}, "30 min", {"interval": "soon"}, "interval"),
    (
        "webhooks",
        {"update_on": True, "update": "http://127.0.0.1:9/hook"},
        "webhooks",
        {"creation": "ftp://example.com/hook"},
        "creation",
    ),
    (
        "retrospective",
        {"metric1": "Time to mitigate", "metric1_target": "1h"},
        "Time to mitigate",
        {"metric1": "Cost", "metric1_type": "metric_integer", "metric1_target": "a lot"},
        "metric1_target",
    ),
    (
        "keywords",
        {"keywords": "database down\nsev-0"},
        "sev-0",
        {"keywords_on": True, "keywords": ""},
        "keywords",
    ),
    (
        "checklists",
        {"checklists": "## Only one\n- Do it  +1h"},
        "Only one",
        {"checklists": "- no title"},
        "checklists",
    ),
]


@pytest.mark.parametrize(("section", "good", "shown", "bad", "field"), SECTIONS, ids=[s[0] for s in SECTIONS])
async def test_each_section_opens_prefilled_saves_and_names_the_bad_field(
    harness: Harness, section: str, good: dict[str, Any], shown: str, bad: dict[str, Any], field: str
) -> None:
    await create(harness, "Outages")
    dialog = await open_section(harness, harness.alice, "Outages", section)
    assert dialog["dialog"]["callback_id"] == "pb_section"
    prefilled = filled(dialog)
    assert prefilled  # the starter's values are in the form

    errors = await harness.alice.submit_dialog(dialog, {**prefilled, **bad})
    assert field in errors.get("errors", {}), errors
    assert await harness.alice.submit_dialog(dialog, {**prefilled, **good}) == {}  # the form stays usable
    await harness.settle()
    text = await show(harness, "Outages")
    assert shown in text
    assert "**Recent changes**" in text


async def test_only_admins_may_edit(harness: Harness) -> None:
    await create(harness, "Outages")
    await harness.mattermost.add_user("bob", team_ids=[harness.team_id])
    async with harness.person("bob") as bob:
        await bob.join(harness.town_square_id)
        reply = await harness.command(bob, "/playbook edit Outages")
        assert reply["text"].startswith("Only the admins of **Outages** (and system admins) can edit it.")
    await create(harness, "Secret outages", public=False)
    async with harness.person("bob") as bob:
        reply = await harness.command(bob, "/playbook edit Secret outages")
        assert "can't find a playbook" in reply["text"]
    root_reply = await harness.command(harness.root, "/playbook edit Outages")  # a system admin may
    assert root_reply["text"].startswith("#### Edit Outages")


async def test_a_copy_of_a_playbook_and_a_blank_one(harness: Harness) -> None:
    await create(harness, "Outages")
    listed = await harness.command(harness.alice, "/playbook list")
    playbook_id = next(line for line in listed["text"].splitlines() if "Outages" in line).split("`")[1]
    await create(harness, "Outages copy", f"copy:{playbook_id}")
    await create(harness, "Empty one", "blank")
    assert "Triage" in await show(harness, "Outages copy")
    assert "Triage" not in await show(harness, "Empty one")

    await harness.command(harness.alice, "/playbook create")
    dialog = await harness.alice.next_dialog()
    taken = await harness.alice.submit_dialog(dialog, {"title": "outages", "start": "blank"})
    assert taken["errors"] == {"title": "Another playbook of this team has this title."}
    gone = await harness.alice.submit_dialog(dialog, {"title": "New", "start": f"copy:{'x' * 26}"})
    assert "can't find a playbook" in gone["errors"]["start"]
    assert await harness.alice.submit_dialog(dialog, {"title": "New", "start": "blank"}) == {}


async def test_the_pickers_choose_the_default_owner_and_the_linked_channel(harness: Harness) -> None:
    await create(harness, "Outages")
    alice_id = await harness.alice.my_id()
    dialog = await open_section(harness, harness.alice, "Outages", "people")
    assert elements(dialog)["owner"]["data_source"] == "users"
    (bot,) = await harness.alice.users_by_ids([bot_id(harness)])
    refused = await harness.alice.submit_dialog(
        dialog, {**filled(dialog), "owner_on": True, "owner": bot["id"], "invited": f"@{bot['username']}"}
    )
    assert refused["errors"] == {
        "owner": "Choose a person: a bot can't own a run.",
        "invited": f"@{bot['username']} is a bot: runs are owned and worked on by people.",
    }
    answer = await harness.alice.submit_dialog(
        dialog, {**filled(dialog), "owner_on": True, "owner": alice_id}
    )
    assert answer == {}
    await harness.settle()
    dialog = await open_section(harness, harness.alice, "Outages", "people")
    assert elements(dialog)["owner"]["default"] == alice_id  # the picker shows the chosen person

    dialog = await open_section(harness, harness.alice, "Outages", "channel")
    assert elements(dialog)["channel"]["data_source"] == "channels"
    wrong = await harness.alice.submit_dialog(dialog, {**filled(dialog), "mode": "link", "channel": "x" * 26})
    assert wrong["errors"]["channel"] == "Choose a channel of this team."
    submission = {**filled(dialog), "mode": "link", "channel": harness.town_square_id}
    assert await harness.alice.submit_dialog(dialog, submission) == {}
    await harness.settle()

    text = await show(harness, "Outages")
    assert "Default owner: @alice" in text
    assert "Run channel: an existing channel, linked to each run" in text


async def test_checklists_too_long_for_one_box_are_edited_one_at_a_time(harness: Harness) -> None:
    alice = harness.alice
    tasks = "\n".join(f"      - title: Check the replica number {n} and note its lag" for n in range(40))
    text = (
        f"version: 1\ntitle: Long\nchecklists:\n  - title: Replicas\n    items:\n{tasks}\n"
        f"  - title: Wrap up\n    items:\n{tasks}\n"
    )
    direct = await alice.direct_channel_with(bot_id(harness))
    await send_files(alice, direct["id"], [("long.yaml", text.encode())])
    await harness.settle()

    dialog = await open_section(harness, alice, "Long", "checklist0")
    assert elements(dialog)["title"]["default"] == "Replicas"
    assert elements(dialog)["tasks"]["default"].count("\n") == 39
    bad = await alice.submit_dialog(dialog, {"title": "Replicas", "tasks": "- Ok\n- Broken  soon"})
    assert bad["errors"]["tasks"].startswith("Line 2: I don't know what `soon` is.")
    added = elements(dialog)["tasks"]["default"] + "\n- Check the primary  @alice  +1h"
    good = {"title": "Replicas", "tasks": added}
    assert await alice.submit_dialog(dialog, good) == {}
    await harness.settle()
    assert "Check the primary" in await show(harness, "Long")

    outline = await open_section(harness, alice, "Long", "checklists")
    assert elements(outline)["outline"]["default"] == "1. Replicas\n2. Wrap up"
    moved = {"outline": "2. Wrapping up\n1. Replicas\nFollow up"}  # rename, reorder, add
    assert await alice.submit_dialog(outline, moved) == {}
    await harness.settle()
    shown = await show(harness, "Long")
    assert shown.index("Wrapping up") < shown.index("Replicas") < shown.index("Follow up")
    assert "Check the replica number 39" in shown  # the tasks moved with their checklist
    cut = await open_section(harness, alice, "Long", "checklists")
    assert await alice.submit_dialog(cut, {"outline": "1. Wrapping up\n2. Replicas"}) == {}  # delete one
    await harness.settle()
    assert "Follow up" not in await show(harness, "Long")
