"""``/playbook archive NAME`` and ``/playbook restore NAME``: an archived playbook starts no runs
and leaves the lists, its runs and insights stay, and only its admins (or a system admin) may
archive or restore it."""

from __future__ import annotations

import json
from typing import Any

from bot.render.dialogs import PLAYBOOK_FIELD
from tests.e2e.conftest import Harness
from tests.e2e.test_playbook_import_automation import import_file
from tests.e2e.test_webhooks import STARTER, start_run

TITLE = "Incident Response"


async def stats_reply(harness: Harness) -> str:
    """``/playbook stats TITLE``: the insights, which arrive as an ephemeral post."""
    await harness.command(harness.alice, f'/playbook stats "{TITLE}"')

    def has(event: dict[str, Any]) -> bool:
        return "Insights for" in json.loads(event["data"]["post"]).get("message", "")

    event = await harness.alice.next_event("ephemeral_message", has, timeout=20)
    return str(json.loads(event["data"]["post"])["message"])


async def run_form_playbooks(harness: Harness) -> list[str]:
    """The titles the run form offers alice."""
    await harness.command(harness.alice, "/playbook run")
    dialog = await harness.alice.next_dialog()
    field = next(e for e in dialog["dialog"]["elements"] if e["name"] == PLAYBOOK_FIELD)
    return [str(option["text"]) for option in field["options"]]


async def test_an_archived_playbook_starts_no_runs_and_keeps_its_runs(harness: Harness) -> None:
    await import_file(harness, STARTER.name, STARTER.read_text(encoding="utf-8"))
    await import_file(harness, "other.yaml", "version: 1\ntitle: Release\nchecklists: []\n")
    channel_id = await start_run(harness, TITLE, "Disk full")

    reply = await harness.command(harness.alice, f'/playbook archive "{TITLE}"')
    assert reply["text"].startswith(f"Archived **{TITLE}**: it starts no new runs")
    again = await harness.command(harness.alice, f'/playbook archive "{TITLE}"')
    assert again["text"].startswith(f"**{TITLE}** is already archived.")

    listed = (await harness.command(harness.alice, "/playbook list"))["text"]
    assert TITLE not in listed
    assert "Release" in listed
    archived = (await harness.command(harness.alice, "/playbook list archived"))["text"]
    assert archived.startswith("**Archived playbooks** (1)")
    assert f"| {TITLE} |" in archived
    every = (await harness.command(harness.alice, "/playbook list all"))["text"]
    assert "public, archived" in every
    assert "Release" in every
    assert await run_form_playbooks(harness) == ["Release"]

    refused = await harness.command(harness.alice, f'/playbook run "{TITLE}" Cache cold')
    assert refused["text"] == (
        f"**{TITLE}** is archived, so it can't start runs. "
        f'Its admins can bring it back with `/playbook restore "{TITLE}"`.'
    )
    shown = (await harness.command(harness.alice, f'/playbook show "{TITLE}"'))["text"]
    assert " · archived " in shown

    # Its run goes on, and its insights still count it.
    timeline = await harness.command(harness.alice, "/playbook timeline", channel_id=channel_id)
    assert "@alice started “Incident: Disk full”" in timeline["text"]
    assert "- Runs started: 1 (this week: " in await stats_reply(harness)

    restored = await harness.command(harness.alice, f'/playbook restore "{TITLE}"')
    assert (
        restored["text"]
        == f"Restored **{TITLE}**: it can start runs again and is listed in `/playbook list`."
    )
    assert TITLE in (await harness.command(harness.alice, "/playbook list"))["text"]
    history = (await harness.command(harness.alice, f'/playbook show "{TITLE}"'))["text"]
    assert history.index("@alice: restored it") < history.index("@alice: archived it")
    assert "@alice: imported it from a file" in history
    assert sorted(await run_form_playbooks(harness)) == sorted([TITLE, "Release"])
    await start_run(harness, TITLE, "Cache cold")
    assert "- Runs started: 2 (this week: " in await stats_reply(harness)


async def test_only_the_playbook_s_admins_and_system_admins_archive_it(harness: Harness) -> None:
    await import_file(harness, STARTER.name, STARTER.read_text(encoding="utf-8"))
    await harness.mattermost.add_user("bob", team_ids=[harness.team_id])
    await harness.mattermost.add_channel_member(harness.town_square_id, "bob")

    async with harness.person("bob") as bob:
        refused = await harness.command(bob, f'/playbook archive "{TITLE}"')
        assert refused["text"] == f"Only the admins of **{TITLE}** (or a system admin) can archive it."
    assert TITLE in (await harness.command(harness.alice, "/playbook list"))["text"]

    done = await harness.command(harness.root, f'/playbook archive "{TITLE}"')
    assert done["text"].startswith(f"Archived **{TITLE}**")
    async with harness.person("bob") as bob:
        refused = await harness.command(bob, f'/playbook restore "{TITLE}"')
        assert refused["text"] == f"Only the admins of **{TITLE}** (or a system admin) can restore it."
    not_archived = await harness.command(harness.alice, "/playbook restore Nothing like it")
    assert "can't find a playbook called “Nothing like it”" in not_archived["text"]
    restored = await harness.command(harness.alice, f'/playbook restore "{TITLE}"')
    assert restored["text"].startswith(f"Restored **{TITLE}**")
