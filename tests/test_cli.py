"""``playbooks-bot playbook import|export|list`` against a running simulator."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

import aiohttp
import pytest
import yaml

from bot.cli import main
from mattermost_sim import Simulator
from tests.e2e.conftest import unused_port
from tests.paths import PLAYBOOK_TEMPLATES

TEMPLATES = PLAYBOOK_TEMPLATES
TEMPLATE_FILES = sorted(TEMPLATES.glob("*.json")) if TEMPLATES.is_dir() else []
needs_templates = pytest.mark.skipif(
    len(TEMPLATE_FILES) < 2, reason=f"the shared playbook templates are not in {TEMPLATES}"
)
INCIDENT = "Incident Resolution Template"
READY_LINE = b"Playbooks Bot is running as"
START_ATTEMPTS = 3
START_TIMEOUT_S = 30.0
OKR = "OKR Management Template"


@pytest.fixture
def config(sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A configuration file for the seeded simulator, with no PLAYBOOKS_* variables in the way."""
    for name in list(os.environ):
        if name.startswith("PLAYBOOKS_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "bot.yaml"
    settings = {
        "mattermost_url": sim.url,
        "mattermost_token": "bot-token",
        "teams": ["acme"],
        "database_url": f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite'}",
    }
    path.write_text(yaml.safe_dump(settings))
    return path


def config_with(config: Path, path: Path, **changes: str) -> Path:
    """A copy of the configuration ``config`` at ``path``, with ``changes``."""
    path.write_text(yaml.safe_dump(yaml.safe_load(config.read_text()) | changes))
    return path


async def run(*argv: str) -> int:
    """The CLI's exit status (its own event loop runs in a thread, as in a separate process)."""
    return await asyncio.to_thread(main, list(argv))


def template(name: str) -> Path:
    return next(path for path in TEMPLATE_FILES if path.name.startswith(name))


async def import_templates(config: Path) -> None:
    for path in TEMPLATE_FILES:
        assert await run("playbook", "import", str(path), "--team", "acme", "--config", str(config)) == 0


@needs_templates
async def test_import_then_list_shows_both_templates(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await import_templates(config)
    imported = capsys.readouterr().out
    assert f"Imported “{INCIDENT}” in team acme" in imported
    assert "4 checklists, 14 tasks." in imported

    assert await run("--config", str(config), "playbook", "list") == 0
    listing = capsys.readouterr().out.splitlines()
    assert listing[0].split() == ["TEAM", "ID", "VISIBILITY", "CHECKLISTS", "TASKS", "TITLE"]
    assert [line.split(maxsplit=5)[-1] for line in listing[1:]] == [INCIDENT, OKR]
    assert all(line.split()[:1] == ["acme"] and " public " in line for line in listing[1:])


@needs_templates
async def test_export_round_trips_through_json_and_yaml(config: Path, tmp_path: Path) -> None:
    await import_templates(config)
    original = json.loads(template("incident").read_text())

    as_json, as_yaml = tmp_path / "out.json", tmp_path / "out.yaml"
    args = ["playbook", "export", "incident resolution template", "--config", str(config)]
    assert await run(*args, "--output", str(as_json)) == 0
    assert json.loads(as_json.read_text()) == original
    assert as_json.read_text() == template("incident").read_text().rstrip("\n") + "\n"

    assert await run(*args, "--format", "yaml", "--team", "acme", "--output", str(as_yaml)) == 0
    assert yaml.safe_load(as_yaml.read_text()) == original

    # Importing the YAML export replaces the playbook with identical content.
    assert await run("playbook", "import", str(as_yaml), "--team", "acme", "--config", str(config)) == 0
    assert await run(*args, "--output", str(as_json)) == 0
    assert json.loads(as_json.read_text()) == original


@needs_templates
async def test_export_writes_to_stdout_by_default(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    await import_templates(config)
    capsys.readouterr()
    assert await run("playbook", "export", OKR, "--config", str(config)) == 0
    assert json.loads(capsys.readouterr().out) == json.loads(template("okr").read_text())


async def test_a_bad_file_prints_its_problems_and_fails(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\ntitle: ''\nmetrics:\n  - title: Time\n    type: metric_weeks\n")
    assert await run("playbook", "import", str(bad), "--team", "acme", "--config", str(config)) == 1
    err = capsys.readouterr().err
    assert "The playbook cannot be imported" in err
    assert "- title: must be a non-empty string" in err
    assert "- metrics[0].type: must be one of" in err
    assert "Traceback" not in err


async def test_an_unknown_team_is_a_friendly_error(
    config: Path, tmp_path: Path, sim: Simulator, capsys: pytest.CaptureFixture[str]
) -> None:
    playbook = tmp_path / "ok.json"
    playbook.write_text(json.dumps({"version": 1, "title": "Ok", "checklists": []}))
    assert await run("playbook", "import", str(playbook), "--team", "nowhere", "--config", str(config)) == 1
    err = capsys.readouterr().err.strip()
    assert err == (
        "playbooks-bot: There is no team named 'nowhere' that the bot can see. "
        "Check the name (as in the team's URL) and that the bot is a member."
    )
    if sim.validator is not None:
        sim.validator.take_violations()  # the unknown team's 404 is the point of this test


async def test_import_as_a_person_makes_them_its_admin(config: Path, tmp_path: Path, sim: Simulator) -> None:
    playbook = tmp_path / "mine.json"
    playbook.write_text(json.dumps({"version": 1, "title": "Mine", "checklists": []}))
    argv = ["playbook", "import", str(playbook), "--team", "acme", "--config", str(config)]
    assert await run(*argv, "--as", "alice") == 0
    # Re-importing as the bot is refused: only the playbook's admins (alice) may replace it.
    assert await run(*argv) == 1
    assert await run(*argv, "--as", "@alice") == 0
    assert await run(*argv, "--as", "nobody") == 1
    if sim.validator is not None:
        sim.validator.take_violations()  # looking up the unknown user answers 404


async def test_import_sets_the_files_schedules_as_the_importer(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    playbook = tmp_path / "review.yaml"
    playbook.write_text(
        "version: 1\ntitle: Review\nschedules:\n  - cron: 0 9 * * MON\n    timezone: Europe/Paris\n"
    )
    argv = ["playbook", "import", str(playbook), "--team", "acme", "--config", str(config)]
    assert await run(*argv, "--as", "alice") == 0
    out = capsys.readouterr().out
    assert 'scheduled: cron "0 9 * * mon" (Europe/Paris), next Mon ' in out
    assert "as @alice" in out

    playbook.write_text("version: 1\ntitle: Review\nschedules:\n  - every: 5m\n")
    assert await run(*argv, "--as", "alice") == 1
    assert (
        "schedules[0].every: A schedule can start runs at most every 15 minutes." in capsys.readouterr().err
    )


async def test_a_missing_file_or_config_fails_in_one_line(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "missing.json"
    assert await run("playbook", "import", str(missing), "--team", "acme", "--config", str(config)) == 1
    assert capsys.readouterr().err.strip() == f"playbooks-bot: {missing}: no such file."
    assert await run("playbook", "list", "--config", str(tmp_path / "nope.yaml")) == 2
    assert "does not exist" in capsys.readouterr().err
    assert await run("playbook", "list") == 2  # no config.yaml here and no environment
    assert "mattermost_url is required" in capsys.readouterr().err


async def test_serve_with_a_wrong_token_says_why_in_one_line(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = config_with(config, tmp_path / "wrong.yaml", mattermost_token="nope", listen="127.0.0.1:0")
    assert await run("serve", "--config", str(wrong)) == 2
    err = capsys.readouterr().err
    assert err.splitlines()[-1] == (
        "playbooks-bot: Mattermost refused the bot's token: "
        "check mattermost_token (PLAYBOOKS_MATTERMOST_TOKEN)."
    )


async def start_serving(config: Path, tmp_path: Path) -> tuple[asyncio.subprocess.Process, int]:
    """``serve`` started and ready (it logged that it runs), and its port.

    The port is chosen before the process binds it, so another process may take it in between:
    the bot then exits saying it could not listen, and it is started again on another port.
    """
    for _ in range(START_ATTEMPTS):
        port = unused_port()
        address = f"127.0.0.1:{port}"
        served = config_with(config, tmp_path / "serve.yaml", listen=address, public_url=f"http://{address}")
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "serve", "--config", str(served),
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert process.stderr is not None
        logged = b""
        async with asyncio.timeout(START_TIMEOUT_S):
            # Each line is an event: the line saying the bot runs, or the end when it exited.
            while READY_LINE not in logged and (line := await process.stderr.readline()):
                logged += line
        if READY_LINE in logged:
            return process, port
        await process.wait()
        if b"Could not listen" not in logged:
            raise AssertionError(f"serve exited with {process.returncode}:\n{logged.decode()}")
    raise AssertionError(f"serve found no free port in {START_ATTEMPTS} attempts")


async def test_serve_runs_until_sigterm_and_stops_cleanly(config: Path, tmp_path: Path) -> None:
    process, port = await start_serving(config, tmp_path)
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{port}/healthz") as response,
        ):
            assert response.status == 200
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(START_TIMEOUT_S):
            _, stderr = await process.communicate()
        assert process.returncode == 0, stderr.decode()
        assert b"Traceback" not in stderr
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
