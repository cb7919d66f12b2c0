"""``/playbook stats`` and ``/playbook report`` as people use them, and the same from the terminal.

Three runs: one finished after 2 hours with a published retrospective, one after 4 hours, one
still going. The numbers people read must be those runs'.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import struct
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from PIL import Image

from bot.cli import main
from bot.playbook_document import parse_document
from bot.playbook_format import import_playbook

from .conftest import Harness
from .test_retrospectives import STARTER, finish, seed_playbook, start_run

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
HOUR = timedelta(hours=1)


@dataclass
class Runs:
    harness: Harness
    first: str
    second: str
    third: str


async def ephemeral_with(harness: Harness, needle: str) -> dict[str, Any]:
    def has(event: dict[str, Any]) -> bool:
        return needle in json.loads(event["data"]["post"]).get("message", "")

    event = await harness.alice.next_event("ephemeral_message", has, timeout=20)
    post: dict[str, Any] = json.loads(event["data"]["post"])
    return post


async def download(harness: Harness, file_id: str) -> bytes:
    """The file as alice downloads it from the post."""
    return await harness.alice.download(file_id)


@pytest.fixture
async def runs(harness: Harness) -> Runs:
    await seed_playbook(harness)
    first = await start_run(harness, "Incident Response", "Disk full")
    second = await start_run(harness, "Incident Response", "Cache cold")
    third = await start_run(harness, "Incident Response", "Slow queries")
    await harness.command(harness.alice, "/playbook check 1 1", channel_id=first)
    await harness.command(harness.alice, "/playbook assign 1 2 me", channel_id=first)
    await harness.command(harness.alice, "/playbook checkadd 2 Write the postmortem", channel_id=first)
    await harness.command(harness.alice, "/playbook update", channel_id=first)
    update = await harness.alice.next_dialog()
    submission = {"message": "Freed 40 GB; writes resume.", "reminder": "1h"}
    assert await harness.alice.submit_dialog(update, submission, channel_id=first) == {}
    await harness.settle()
    harness.clock.advance(2 * HOUR)
    await finish(harness, first)
    harness.clock.advance(2 * HOUR)
    await finish(harness, second)
    await harness.command(harness.alice, "/playbook retro", channel_id=first)
    dialog = await harness.alice.next_dialog()
    submission = {"metric_0": "2h", "metric_1": "300", "metric_2": "7", "report": "Disk alerts were muted."}
    assert await harness.alice.submit_dialog(dialog, submission, channel_id=first) == {}
    await harness.settle()
    return Runs(harness, first, second, third)


async def test_stats_replies_with_the_numbers_and_sends_the_chart(runs: Runs) -> None:
    harness = runs.harness
    response = await harness.command(harness.alice, "/playbook stats Incident")
    assert response["text"] == "Working out the numbers…"
    reply = (await ephemeral_with(harness, "Insights for"))["message"]
    assert "**Insights for “Incident Response”**, last 12 weeks" in reply
    assert "- Runs started: 3 (this week: " in reply
    assert "- Runs in progress: 1" in reply
    assert "- Runs finished: 2 · time to finish: median 3h, mean 3h" in reply
    assert "**Time to resolve**: last 2h · average 2h · target 1d (1 value)" in reply
    assert "**Cost**: last 300 · average 300 · target 500 (1 value)" in reply
    assert "The chart is in your direct messages with @playbooks." in reply

    bot_id = harness.bot.services.bot.id if harness.bot.services else ""
    direct = await harness.alice.direct_channel_with(bot_id)
    post = (await harness.alice.channel_posts(direct["id"]))[-1]
    assert post["message"] in reply
    png = await download(harness, post["file_ids"][0])
    assert png.startswith(PNG_SIGNATURE)
    assert png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    assert width == 900
    assert height == 5 * 260
    with Image.open(io.BytesIO(png)) as image:
        image.verify()


async def test_team_stats_count_every_run(runs: Runs) -> None:
    harness = runs.harness
    await harness.command(harness.alice, "/playbook stats")
    reply = (await ephemeral_with(harness, "Insights for"))["message"]
    assert "- Runs started: 3 (this week: " in reply
    assert "- Runs finished: 2" in reply
    assert "Time to resolve" not in reply


async def test_stats_of_an_unknown_playbook_says_so(runs: Runs) -> None:
    harness = runs.harness
    await harness.command(harness.alice, "/playbook stats Nonexistent")
    reply = (await ephemeral_with(harness, "Nonexistent"))["message"]
    assert "Insights for" not in reply


def item_titles() -> list[str]:
    document = parse_document(STARTER.read_text(encoding="utf-8"), STARTER.name)
    playbook = import_playbook(document, team_id="t" * 26, importer_id="u" * 26).playbook
    return [item.title for checklist in playbook.checklists for item in checklist.items]


async def test_report_holds_every_task_and_the_retrospective(runs: Runs) -> None:
    harness = runs.harness
    response = await harness.command(harness.alice, "/playbook report", channel_id=runs.first)
    assert response["text"] == "Writing the run's report…"
    reply = (await ephemeral_with(harness, "The report is in the channel"))["message"]
    post = (await harness.alice.channel_posts(runs.first))[-1]
    assert post["message"] == "Run report of **INC-00001 · Incident: Disk full**"
    filename = f"-report.md](/acme/pl/{post['id']})"
    assert filename in reply
    report = (await download(harness, post["file_ids"][0])).decode("utf-8")

    assert report.startswith("# Run report: INC-00001 · Incident: Disk full")
    for title in [*item_titles(), "Write the postmortem"]:
        assert title.replace("|", "\\|") in report
    assert "| 1.1 |" in report
    assert "| Done | " in report
    assert "| Owner | @alice |" in report
    assert "Disk alerts were muted." in report
    assert "| Time to resolve | 2h | 1d |" in report
    assert "@alice finished the run" in report
    assert "## Status updates" in report
    assert "Freed 40 GB; writes resume." in report


async def test_report_outside_a_run_channel_says_so(harness: Harness) -> None:
    response = await harness.command(harness.alice, "/playbook report")
    assert response["text"] == "This command only works in a run's channel."


# The terminal ---------------------------------------------------------------------------------------


@pytest.fixture
def cli(runs: Runs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Any]:
    """``playbooks-bot`` against the harness's database and Mattermost."""
    for name in list(os.environ):
        if name.startswith("PLAYBOOKS_"):
            monkeypatch.delenv(name)
    config = tmp_path / "bot.yaml"
    settings = {
        "mattermost_url": runs.harness.url,
        "mattermost_token": runs.harness.mattermost.token("playbooks"),
        "teams": ["acme"],
        "database_url": f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite'}",
    }
    config.write_text(yaml.safe_dump(settings))

    async def run(*argv: str) -> int:
        return await asyncio.to_thread(main, [*argv, "--config", str(config)])

    return run


async def test_cli_stats_prints_the_same_numbers(
    runs: Runs, cli: Callable[..., Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert await cli("stats", "--playbook", "Incident Response") == 0
    out = capsys.readouterr().out
    assert "Insights for “Incident Response”" in out
    assert "- Runs in progress: 1" in out
    assert "- Runs finished: 2 · time to finish: median 3h, mean 3h" in out
    week_rows = [line for line in out.splitlines() if line.startswith("20") and "-W" in line]
    assert len(week_rows) == 12
    assert sum(int(row.split()[1]) for row in week_rows) == 3
    assert sum(int(row.split()[2]) for row in week_rows) == 2


async def test_cli_report_writes_markdown_and_html(
    runs: Runs, cli: Callable[..., Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await cli("report", runs.first) == 0
    markdown = capsys.readouterr().out
    assert markdown.startswith("# Run report: INC-00001 · Incident: Disk full")
    output = tmp_path / "report.html"
    assert await cli("report", runs.first, "--format", "html", "--output", str(output)) == 0
    page = output.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "<h2>Retrospective</h2>" in page
    for title in item_titles():
        assert title.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") in page
    assert await cli("report", "nosuchrun") == 1
    assert "There is no run with the id or channel id 'nosuchrun'." in capsys.readouterr().err
