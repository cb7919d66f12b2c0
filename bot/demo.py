"""``playbooks-bot demo``: a simulated Mattermost and the bot in one process, a person driving a run.

This is the one place where the bot and the simulator meet: everything alice does goes
through Mattermost's API exactly as a real client would, and the transcript at the end is
what the run channel shows.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import tempfile
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from bot.app import BotApp
from bot.config import Settings
from mattermost_sim import Simulator
from mattermost_sim.client import Person
from mattermost_sim.seed import load_seed

DEMO_SEED: dict[str, Any] = {
    "teams": [{"name": "acme", "display_name": "Acme"}],
    "users": [
        {"username": "alice", "token": "alice-token", "teams": ["acme"]},
        {"username": "bob", "token": "bob-token", "teams": ["acme"]},
        {"username": "root", "token": "root-token", "roles": ["system_admin"], "teams": ["acme"]},
        {
            "username": "playbooks",
            "token": "bot-token",
            "is_bot": True,
            "teams": ["acme"],
            # Registers /playbook itself: default roles let only team admins manage slash commands.
            "team_roles": ["team_admin"],
        },
    ],
    "channels": [
        {
            "team": "acme",
            "name": "town-square",
            "display_name": "Town Square",
            "type": "O",
            "members": ["alice", "bob", "root", "playbooks"],
        }
    ],
}
STARTER = "incident-response.yaml"
WAIT_SECONDS = 15.0

Say = Callable[[str], None]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def render_transcript(posts: Sequence[Mapping[str, Any]], names: Mapping[str, str]) -> str:
    """A channel's posts as readable text: author, message, attachments and their buttons."""
    lines: list[str] = []
    for post in posts:
        when = datetime.fromtimestamp(post.get("create_at", 0) / 1000, UTC).strftime("%H:%M:%S")
        author = names.get(str(post.get("user_id", "")), "?")
        lines.append(f"[{when}] @{author}:")
        for text in str(post.get("message", "")).splitlines():
            lines.append(f"    {text}")
        props = post.get("props") or {}
        for attachment in props.get("attachments") or []:
            for key in ("pretext", "title", "text"):
                for text in str(attachment.get(key) or "").splitlines():
                    lines.append(f"    | {text}")
            for field in attachment.get("fields") or []:
                lines.append(f"    | {field.get('title', '')}: {field.get('value', '')}")
            buttons = [f"[{a.get('name', '')}]" for a in attachment.get("actions") or []]
            if buttons:
                lines.append(f"    | {' '.join(buttons)}")
        lines.append("")
    return "\n".join(lines)


async def _find_button(person: Person, post_id: str, label_start: str, item_text: str = "") -> str:
    """The action id of the first button starting with ``label_start`` (in the attachment mentioning
    ``item_text``, when given) on a post, as the person sees it."""
    post = await person.get_post(post_id)
    for attachment in (post.get("props") or {}).get("attachments") or []:
        if item_text and item_text not in str(attachment.get("text", "")):
            continue
        for action in attachment.get("actions") or []:
            if str(action.get("name", "")).startswith(label_start):
                return str(action["id"])
    raise LookupError(f"no {label_start!r} button for {item_text!r} on post {post_id}")


async def play(say: Say, workdir: Path) -> str:
    """Run the whole scenario; return the run channel's transcript."""
    sim = Simulator()
    load_seed(sim.state, DEMO_SEED)
    await sim.start()
    port = _free_port()
    bot = BotApp(
        Settings(
            mattermost_url=sim.url,
            mattermost_token=SecretStr("bot-token"),  # the simulator's seeded token
            teams=["acme"],
            database_url=f"sqlite+aiosqlite:///{workdir / 'demo.sqlite'}",
            listen=f"127.0.0.1:{port}",
            public_url=f"http://127.0.0.1:{port}",
        )
    )
    try:
        say(f"Simulated Mattermost on {sim.url}; Playbooks Bot on 127.0.0.1:{port} (SQLite).")
        await bot.start()
        async with Person(sim.url, "alice-token") as alice:
            await alice.listen()
            team = await alice.team("acme")
            town_square = await alice.channel_by_name(team["id"], "town-square")
            bot_user = await alice.user_by_username("playbooks")

            say("alice sends the built-in incident-response playbook to the bot in a direct message.")
            text = resources.files("bot.starter_playbooks").joinpath(STARTER).read_bytes()
            dm = await alice.direct_channel_with(bot_user["id"])
            file_id = await alice.upload(dm["id"], STARTER, text)
            await alice.post(dm["id"], "Here is our incident playbook.", file_ids=[file_id])
            reply = await alice.next_event("posted", _from_user(bot_user["id"]), timeout=15)
            say("  the bot answers: " + _post_of(reply)["message"].splitlines()[0])

            say('alice types: /playbook run "Incident Response" Database down')
            response = await alice.execute(
                town_square["id"], '/playbook run "Incident Response" Database down', team_id=team["id"]
            )
            say("  the bot acknowledges: " + str(response.get("text", "")).splitlines()[0])
            channel = await _wait_for_run_channel(alice, team["id"])
            say(f"  run channel ~{channel['name']} created.")
            # The overview and the first checklist: the posts with buttons.
            checklists = await _wait_for_posts(alice, channel["id"], minimum=2)
            first = checklists[1] if len(checklists) > 1 else checklists[0]

            for item, label in (("Take ownership", "Check"), ("Start a bridge", "Assign to me")):
                with_item = await _find_button(alice, first["id"], label, item)
                say(f"alice clicks [{label}] on “{item}…”.")
                await alice.click(first["id"], with_item)

            say("alice types: /playbook check 1 2")
            answer = await alice.execute(channel["id"], "/playbook check 1 2", team_id=team["id"])
            say("  the bot answers: " + _first_line(answer))

            say("alice types: /playbook finish")
            answer = await alice.execute(channel["id"], "/playbook finish", team_id=team["id"])
            say("  the bot answers: " + _first_line(answer))
            if answer.get("attachments"):
                event = await alice.next_event("ephemeral_message", _has_confirm_button, timeout=WAIT_SECONDS)
                ephemeral = _post_of(event)
                confirm = _confirm_button(ephemeral)
                say("alice confirms [Finish anyway]; the bot posts the summary.")
                await alice.click(ephemeral["id"], confirm)
            if bot.callbacks is not None:
                await bot.callbacks.background.drain()

            posts = await alice.channel_posts(channel["id"])
            names = {u["id"]: u["username"] for u in await alice.users_by_ids([p["user_id"] for p in posts])}
            return render_transcript(posts, names)
    finally:
        await bot.stop()
        await sim.stop()


def _from_user(user_id: str) -> Callable[[Mapping[str, Any]], bool]:
    def matches(event: Mapping[str, Any]) -> bool:
        return _post_of(event).get("user_id") == user_id

    return matches


def _post_of(event: Mapping[str, Any]) -> dict[str, Any]:
    post: dict[str, Any] = json.loads(event["data"]["post"])
    return post


def _has_confirm_button(event: Mapping[str, Any]) -> bool:
    try:
        _confirm_button(_post_of(event))
    except LookupError:
        return False
    return True


def _first_line(response: Mapping[str, Any]) -> str:
    texts = [str(response.get("text") or "")]
    texts += [str(a.get("text") or a.get("pretext") or "") for a in response.get("attachments") or []]
    for text in texts:
        for line in text.splitlines():
            if line.strip():
                return line.strip()
    return "(no text)"


def _confirm_button(post: Mapping[str, Any]) -> str:
    for attachment in (post.get("props") or {}).get("attachments") or []:
        for action in attachment.get("actions") or []:
            if "anyway" in str(action.get("name", "")).lower():
                return str(action["id"])
    raise LookupError("the finish confirmation has no [Finish anyway] button")


async def _wait_for_run_channel(person: Person, team_id: str) -> dict[str, Any]:
    async with asyncio.timeout(WAIT_SECONDS):
        while True:
            for channel in await person.my_channels(team_id):
                if channel["name"].startswith("inc-"):
                    return dict(channel)
            await asyncio.sleep(0.1)


async def _wait_for_posts(person: Person, channel_id: str, minimum: int) -> list[Any]:
    """The channel's posts with attachments, once there are at least ``minimum`` of them (the run's
    posts come one after another, so counting all posts could stop before the checklists)."""
    async with asyncio.timeout(WAIT_SECONDS):
        while True:
            posts: list[Any] = await person.channel_posts(channel_id)
            interactive = [p for p in posts if (p.get("props") or {}).get("attachments")]
            if len(interactive) >= minimum:
                return interactive
            await asyncio.sleep(0.1)


def run_demo(say: Say = print) -> int:
    """Entry point of ``playbooks-bot demo``: play the scenario and print the transcript."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    with tempfile.TemporaryDirectory(prefix="playbooks-demo-") as workdir:
        transcript = asyncio.run(play(say, Path(workdir)))
    say("\n=== The run channel, as Mattermost shows it ===\n")
    say(transcript)
    return 0
