"""Where a real Mattermost's rules differ from what the bot used to assume, on both servers.

* ``pending_post_id`` is remembered for 30 s, in memory: after that (or a restart) a repeated
  key posts again, so the bot finds what it already posted by the key in the post's props.
* ``response_url`` names the host the person's client used, not the one the bot talks to.
* Only team admins may manage slash commands: a bot without the role uses a command an
  administrator made, or starts anyway and says what to do.
* ``PostEditTimeLimit`` refuses REST edits that change an older post's message.
* A dialog submission carries the team the person's client has selected, not the form's.
* Posts received in the same millisecond are listed in no defined order.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from pydantic import SecretStr
from sqlalchemy import delete

from bot.domain.playbook import Playbook
from bot.domain.run import Run
from bot.mattermost.gateway import MattermostGateway
from bot.mattermost.gateway_posts import POST_KEY_PROP
from bot.playbook_format import import_playbook, parse_document
from mattermost_real.server import RealMattermost
from storage.models import RunPostRow
from storage.models_updates import StatusUpdateDeliveryRow
from storage.repositories.playbooks import PlaybookRepository
from storage.repositories.runs import RunRepository
from tests.servers import Backstage

from .conftest import Harness, running_harness, unused_port

STARTER = Path(__file__).parents[2] / "bot" / "starter_playbooks" / "incident-response.yaml"
CHECKLISTS = ["Triage", "Investigate and mitigate", "Resolve", "Learn"]
COMMAND_PATH = "/mattermost/command"


# Helpers --------------------------------------------------------------------------------------


async def rest(
    mattermost: Backstage, method: str, path: str, body: Any = None, *, as_user: str = "root"
) -> Any:
    """A REST call as ``as_user`` (the system administrator by default); raises on a refusal."""
    headers = {"Authorization": f"Bearer {mattermost.token(as_user)}"}
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session,
        session.request(method, f"{mattermost.url}/api/v4{path}", json=body, headers=headers) as response,
    ):
        text = await response.text()
        assert response.status < 400, f"{method} {path}: {response.status} {text[:300]}"
        return await response.json(content_type=None) if text else None


async def team_id_of(mattermost: Backstage, name: str = "acme") -> str:
    return str((await rest(mattermost, "GET", f"/teams/name/{name}"))["id"])


async def demote_bot(mattermost: Backstage) -> None:
    """Take the team admin role from the bot, leaving it Mattermost's default team member."""
    team_id, bot_id = await team_id_of(mattermost), await mattermost.user_id("playbooks")
    await rest(mattermost, "PUT", f"/teams/{team_id}/members/{bot_id}/roles", {"roles": "team_user"})


async def team_commands(mattermost: Backstage, trigger: str) -> list[dict[str, Any]]:
    """The team's custom commands with ``trigger``, as the system administrator sees them."""
    team_id = await team_id_of(mattermost)
    commands = await rest(mattermost, "GET", f"/commands?team_id={team_id}&custom_only=true")
    return [c for c in commands if c["trigger"] == trigger]


async def server_order(mattermost: Backstage, channel_id: str) -> list[dict[str, Any]]:
    """The channel's posts in the server's own order (its ``order``, newest first), oldest first,
    as alice reads them: what a client shows, without re-sorting posts of the same millisecond."""
    listing = await rest(mattermost, "GET", f"/channels/{channel_id}/posts?per_page=200", as_user="alice")
    return [listing["posts"][post_id] for post_id in reversed(listing["order"])]


def bot_id(harness: Harness) -> str:
    assert harness.bot.services is not None
    return harness.bot.services.bot.id


async def bot_posts(harness: Harness, channel_id: str) -> list[dict[str, Any]]:
    """The bot's own (non-system) posts in the channel, in the server's order."""
    posts = await server_order(harness.mattermost, channel_id)
    return [p for p in posts if p["user_id"] == bot_id(harness) and not p["type"].startswith("system_")]


async def seed_playbook(harness: Harness) -> Playbook:
    """The starter incident playbook, imported by alice, its runs in public channels."""
    document = parse_document(STARTER.read_text(), STARTER.name)
    playbook = import_playbook(
        document, team_id=harness.team_id, importer_id=await harness.alice.my_id()
    ).playbook
    playbook = replace(playbook, channel=replace(playbook.channel, create_public_channel=True))
    assert harness.bot.services is not None
    async with harness.bot.services.transaction() as session:
        return await PlaybookRepository(session).add(playbook)


async def start_run(harness: Harness, name: str) -> Run:
    """``/playbook run`` as alice; the run once its set-up is done."""
    await harness.command(harness.alice, f'/playbook run "Incident Response" {name}')
    await harness.settle()
    assert harness.bot.services is not None
    async with harness.bot.services.transaction() as session:
        runs = await RunRepository(session).list(limit=100)
    return next(run for run in runs if run.name.endswith(name))


async def forget_post_keys(mattermost: Backstage, real_server: RealMattermost | None) -> None:
    """Make Mattermost forget every ``pending_post_id``, as 30 s or a restart does.

    A real server keeps them in memory only, so it is restarted (the other way, waiting 30 s, is
    slower); the simulator's clock is moved on by the time it keeps them.
    """
    if real_server is not None:
        real_server.stop_process()
        await real_server.start()
        return
    assert mattermost.sim is not None
    state = mattermost.sim.state
    earlier, ttl = state.clock, state.pending_post_ttl_ms
    state.clock = lambda: earlier() + ttl


async def let_time_pass(mattermost: Backstage, seconds: float) -> None:
    """Let ``seconds`` pass on Mattermost's clock: the simulator's is moved on at once; a real
    server's can only be waited for."""
    if mattermost.sim is None:
        await asyncio.sleep(seconds)
        return
    state = mattermost.sim.state
    earlier = state.clock
    state.clock = lambda: earlier() + int(seconds * 1000)


@asynccontextmanager
async def edit_time_limit(mattermost: Backstage, seconds: int) -> AsyncIterator[None]:
    """``ServiceSettings.PostEditTimeLimit`` set by the system administrator, put back after."""
    await rest(mattermost, "PUT", "/config/patch", {"ServiceSettings": {"PostEditTimeLimit": seconds}})
    try:
        yield
    finally:
        # The real server keeps its configuration in a file that outlives the per-test reset.
        await rest(mattermost, "PUT", "/config/patch", {"ServiceSettings": {"PostEditTimeLimit": -1}})


def database(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite'}"


# 1. Posting once ------------------------------------------------------------------------------


async def test_mattermost_posts_a_repeated_key_again_once_it_forgot_it(
    mattermost: Backstage, real_server: RealMattermost | None
) -> None:
    """The premise: ``pending_post_id`` alone is no idempotency key beyond Mattermost's memory."""
    async with MattermostGateway(mattermost.url, mattermost.token("playbooks")) as gateway:
        channel = await gateway.channel_by_name(await team_id_of(mattermost), "town-square")
        assert channel is not None
        first = await gateway.create_post(channel.id, "digest", key="digest:alice@1")
        assert (await gateway.create_post(channel.id, "digest", key="digest:alice@1")).id == first.id
        await forget_post_keys(mattermost, real_server)
        again = await gateway.create_post(channel.id, "digest", key="digest:alice@1")
        assert again.id != first.id
        found = await gateway.find_keyed_posts(channel.id, ["digest:alice@1"])
        assert found["digest:alice@1"].id == again.id  # the newest post under the key
        assert found["digest:alice@1"].props[POST_KEY_PROP] == "digest:alice@1"


async def test_a_run_whose_posts_were_made_but_not_recorded_is_completed_without_posting_twice(
    mattermost: Backstage,
    real_server: RealMattermost | None,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # As if the bot had stopped after Mattermost took the run's posts, before it recorded them,
    # and Mattermost had forgotten their pending_post_ids by the time the bot started again.
    async with running_harness(mattermost, database(tmp_path)) as harness:
        await seed_playbook(harness)
        run = await start_run(harness, "DB down")
        made = {p["props"][POST_KEY_PROP]: p["id"] for p in await bot_posts(harness, run.channel_id)}
        assert harness.bot.services is not None
        async with harness.bot.services.transaction() as session:
            await session.execute(
                delete(RunPostRow).where(RunPostRow.run_id == run.id, RunPostRow.kind != "welcome")
            )
    await forget_post_keys(mattermost, real_server)

    with caplog.at_level(logging.INFO, logger="bot.services.run_posts"):
        async with running_harness(mattermost, database(tmp_path)) as harness:
            await harness.settle()  # the start-up completes interrupted runs in the background
            posts = await bot_posts(harness, run.channel_id)
            assert len(posts) == 2 + len(CHECKLISTS), [p["message"][:30] for p in posts]
            assert {p["props"][POST_KEY_PROP]: p["id"] for p in posts} == made
            assert harness.bot.services is not None
            async with harness.bot.services.transaction() as session:
                recorded = await RunRepository(session).posts(run.id)
            assert sorted(recorded.values()) == sorted(made.values())
            adopted = [r for r in caplog.records if r.getMessage().startswith(f"run {run.id}: adopting")]
            assert len(adopted) == 1 + len(CHECKLISTS)
            # The adopted checklist is the one the bot edits from now on.
            await harness.command(harness.alice, "/playbook check 1 1", channel_id=run.channel_id)
            await harness.settle()
            triage = await harness.alice.get_post(made[f"{run.id}:checklist:{run.checklists[0].id}"])
            assert triage["message"].startswith("**1. Triage** — 1/4 done")


async def test_an_update_delivered_but_not_recorded_is_not_delivered_twice(
    mattermost: Backstage, real_server: RealMattermost | None, tmp_path: Path
) -> None:
    async with running_harness(mattermost, database(tmp_path)) as harness:
        await seed_playbook(harness)
        run = await start_run(harness, "API slow")
        await harness.command(harness.alice, "/playbook update", channel_id=run.channel_id)
        form = await harness.alice.next_dialog()
        await harness.alice.submit_dialog(form, {"message": "Rolled back.", "reminder": "1h"})
        await harness.settle()
        assert harness.bot.services is not None
        # The delivery was made; its record is lost, as if the bot had stopped right after posting.
        async with harness.bot.services.transaction() as session:
            await session.execute(delete(StatusUpdateDeliveryRow))
        clock = harness.clock
    await forget_post_keys(mattermost, real_server)
    async with running_harness(mattermost, database(tmp_path), clock=clock) as harness:
        harness.clock.advance(timedelta(minutes=1))  # the delivery job, a safety net, falls due
        assert await harness.tick() >= 1
        posts = await bot_posts(harness, run.channel_id)
        updates = [p for p in posts if p["message"].startswith("#### Status update")]
        assert len(updates) == 1


# 2. response_url --------------------------------------------------------------------------------


async def test_a_deferred_reply_arrives_when_the_bot_knows_mattermost_by_another_name(
    mattermost: Backstage, tmp_path: Path
) -> None:
    # People reach Mattermost at 127.0.0.1, so their commands' response_url names that host; the
    # bot is configured with localhost.
    other_name = mattermost.url.replace("127.0.0.1", "localhost")
    assert other_name != mattermost.url
    async with running_harness(mattermost, database(tmp_path), mattermost_url=other_name) as harness:
        await seed_playbook(harness)
        response = await harness.command(harness.alice, '/playbook run "Incident Response" Disk full')
        assert response["text"].startswith("Starting a run of **Incident Response**")
        await harness.settle()
        later = await harness.alice.next_event(
            "ephemeral_message", lambda event: "Started **Incident: Disk full**" in event["data"]["post"]
        )
        assert "in ~inc-00001-incident-disk-full" in later["data"]["post"]
        direct = await harness.alice.direct_channel_with(bot_id(harness))
        assert not [p for p in await bot_posts(harness, direct["id"]) if "Started" in p["message"]]


# 3. Slash command registration ------------------------------------------------------------------


async def command_made_by_an_administrator(mattermost: Backstage, public_url: str) -> dict[str, Any]:
    """``/playbook`` as a system administrator registers it by hand, pointing at the bot."""
    command: dict[str, Any] = await rest(
        mattermost,
        "POST",
        "/commands",
        {
            "team_id": await team_id_of(mattermost),
            "trigger": "playbook",
            "url": f"{public_url}{COMMAND_PATH}",
            "method": "P",
            "auto_complete": True,
        },
    )
    return command


async def test_a_bot_without_team_admin_uses_the_command_an_administrator_made(
    mattermost: Backstage, tmp_path: Path
) -> None:
    await demote_bot(mattermost)
    port = unused_port()
    public_url = f"http://127.0.0.1:{port}"
    command = await command_made_by_an_administrator(mattermost, public_url)
    settings = {
        "listen": f"127.0.0.1:{port}",
        "public_url": public_url,
        "command_tokens": {"acme": SecretStr(command["token"])},
    }
    async with running_harness(mattermost, database(tmp_path), **settings) as harness:
        response = await harness.command(harness.alice, "/playbook list")
        assert "no playbook" in response["text"].lower(), response["text"]
        await seed_playbook(harness)
        response = await harness.command(harness.alice, "/playbook list")
        assert "Incident Response" in response["text"]
    commands = await team_commands(mattermost, "playbook")
    assert [c["id"] for c in commands] == [command["id"]]  # the bot made none of its own


async def test_a_team_admin_bot_adopts_the_command_an_administrator_made_for_it(
    mattermost: Backstage, tmp_path: Path
) -> None:
    port = unused_port()
    public_url = f"http://127.0.0.1:{port}"
    command = await command_made_by_an_administrator(mattermost, public_url)
    settings = {"listen": f"127.0.0.1:{port}", "public_url": public_url}
    async with running_harness(mattermost, database(tmp_path), **settings) as harness:
        response = await harness.command(harness.alice, "/playbook list")
        assert "no playbook" in response["text"].lower(), response["text"]
    assert [c["id"] for c in await team_commands(mattermost, "playbook")] == [command["id"]]


async def test_without_a_command_or_the_permission_the_bot_starts_and_says_what_to_do(
    mattermost: Backstage, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    await demote_bot(mattermost)
    port = unused_port()
    public_url = f"http://127.0.0.1:{port}"
    settings = {"listen": f"127.0.0.1:{port}", "public_url": public_url}
    with caplog.at_level(logging.WARNING, logger="bot.app"):
        async with running_harness(mattermost, database(tmp_path), **settings) as harness:
            assert harness.bot.services is not None
            assert harness.bot.services.team_ids == (harness.team_id,)  # the team is still served
    [said] = [r.getMessage() for r in caplog.records if "/playbook is not connected" in r.getMessage()]
    assert "team 'acme'" in said
    assert "Integrations > Slash Commands > Add Slash Command" in said
    assert "Command Trigger Word 'playbook'" in said
    assert f"Request URL {public_url}{COMMAND_PATH}, Request Method POST" in said
    assert "PLAYBOOKS_COMMAND_TOKENS=acme=<token>" in said
    assert await team_commands(mattermost, "playbook") == []


async def test_a_command_whose_token_the_bot_cannot_read_answers_what_to_do(
    mattermost: Backstage, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    await demote_bot(mattermost)
    port = unused_port()
    public_url = f"http://127.0.0.1:{port}"
    await command_made_by_an_administrator(mattermost, public_url)
    settings = {"listen": f"127.0.0.1:{port}", "public_url": public_url}
    with caplog.at_level(logging.WARNING, logger="bot.app"):
        async with running_harness(mattermost, database(tmp_path), **settings) as harness:
            response = await harness.command(harness.alice, "/playbook list")
    assert response["text"].startswith("Playbooks can't answer /playbook in this team yet")
    assert "PLAYBOOKS_COMMAND_TOKENS" in response["text"]
    [said] = [r.getMessage() for r in caplog.records if "/playbook is not connected" in r.getMessage()]
    assert "cannot read the token of the /playbook command someone made there" in said
    assert "copy its token" in said


# 4. PostEditTimeLimit -----------------------------------------------------------------------------


async def test_past_the_edit_time_limit_a_checklist_is_posted_afresh_and_the_old_one_marked(
    harness: Harness,
) -> None:
    await seed_playbook(harness)
    async with edit_time_limit(harness.mattermost, 1):
        run = await start_run(harness, "Cache cold")
        first = {p["id"] for p in await bot_posts(harness, run.channel_id)}
        await let_time_pass(harness.mattermost, 1.5)  # every post of the run is now too old to edit
        await harness.command(harness.alice, "/playbook check 1 1", channel_id=run.channel_id)
        await harness.settle()

        posts = await bot_posts(harness, run.channel_id)
        triage = [p for p in posts if p["message"].startswith("**1. Triage**")]
        assert len(triage) == 2
        old, fresh = triage
        assert old["id"] in first
        assert fresh["id"] not in first
        assert old["message"].startswith("**1. Triage** — 0/4 done")  # its message can't change
        [note] = old["props"]["attachments"]
        assert "out of date" in note["text"]
        assert "actions" not in note
        assert fresh["message"].startswith("**1. Triage** — 1/4 done")
        assert posts[-1]["id"] == fresh["id"]
        overview = posts[1]  # the overview's message is unchanged, so its edit is allowed
        fields = {f["title"]: f["value"] for f in overview["props"]["attachments"][0]["fields"]}
        assert fields["Progress"] == "1/13 done"

        # From now on the fresh post is the checklist: a click edits it in place (a click's
        # answer is not subject to the limit), and so does a command, until it too is too old.
        await harness.alice.click(fresh["id"], "i2check")
        await harness.settle()
        clicked = await harness.alice.get_post(fresh["id"])
        assert clicked["message"].startswith("**1. Triage** — 2/4 done")
        assert harness.bot.services is not None
        async with harness.bot.services.transaction() as session:
            recorded = await RunRepository(session).posts(run.id)
        assert recorded[f"checklist:{run.checklists[0].id}"] == fresh["id"]


# 5. Dialog submissions ----------------------------------------------------------------------------


async def test_the_start_form_starts_the_run_in_its_own_team_whatever_team_the_submission_names(
    harness: Harness,
) -> None:
    playbook = await seed_playbook(harness)
    ops = await harness.mattermost.add_team("ops", "Ops")
    await harness.mattermost.add_team_member(ops, "alice")
    await harness.command(harness.alice, "/playbook run")
    form = await harness.alice.next_dialog()
    # Alice's client has the ops team selected when she submits.
    answer = await harness.alice.submit_dialog(
        form,
        {"playbookID": playbook.id, "playbookRunName": "Login loop", "playbookRunSummary": ""},
        channel_id=harness.town_square_id,
        team_id=ops,
    )
    assert answer == {}
    await harness.settle()
    channel = await harness.alice.channel_by_name(harness.team_id, "inc-00001-incident-login-loop")
    assert channel["team_id"] == harness.team_id


# 6. Post order ------------------------------------------------------------------------------------


async def test_a_run_channel_lists_the_runs_posts_in_the_order_the_bot_means(harness: Harness) -> None:
    await seed_playbook(harness)
    for number in range(3):  # posts sent together often shared a millisecond; one start may not show it
        run = await start_run(harness, f"Queue stuck {number}")
        posts = await bot_posts(harness, run.channel_id)
        assert posts[0]["message"].startswith(f"#### Welcome to Incident: Queue stuck {number}")
        assert posts[1]["message"] == f"#### INC-0000{number + 1} · Incident: Queue stuck {number}"
        assert [p["message"].split(" — ")[0] for p in posts[2:]] == [
            f"**{n}. {title}**" for n, title in enumerate(CHECKLISTS, start=1)
        ]
        stamps = [p["create_at"] for p in posts]
        assert stamps == sorted(set(stamps)), "two of the run's posts share a create_at"
