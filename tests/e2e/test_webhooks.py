"""Outgoing webhooks as a receiver sees them: signed, retried after failures, refused for loopback.

A small aiohttp server on 127.0.0.1 plays the receiver. Loopback is allowed only where the bot's
settings say so (``allow_private_webhook_addresses``). Time moves with the fake clock and
``harness.tick()`` runs what fell due; nothing sleeps.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from pydantic import SecretStr
from sqlalchemy import select

from bot.domain.playbook_settings import WebhookSettings
from bot.domain.webhooks import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, verify_signature
from bot.playbook_document import parse_document
from bot.playbook_format import import_playbook
from bot.security import derive_key
from storage.models_jobs import ScheduledJobRow
from storage.models_webhooks import WebhookDeliveryRow
from storage.repositories.playbooks import PlaybookRepository
from tests.servers import Backstage

from .conftest import Harness, running_harness

STARTER = Path(__file__).parents[2] / "bot" / "starter_playbooks" / "incident-response.yaml"
SECRET = "webhook-test-secret-with-enough-entropy"
KEY = derive_key(SECRET, "webhooks")
PAST_BACKOFF = timedelta(seconds=16)  # the first retry comes at most 15 s after a failure


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def payload(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


@dataclass
class Receiver:
    """Answers each request with the next of ``statuses`` (then 200) and keeps what it got."""

    url: str = ""
    statuses: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append(Received(dict(request.headers), await request.read()))
        status = self.statuses.pop(0) if self.statuses else 200
        return web.Response(status=status, text="boom" if status >= 500 else "ok")


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    receiver = Receiver()
    app = web.Application()
    app.router.add_post("/hooks/playbooks", receiver.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    receiver.url = f"http://127.0.0.1:{port}/hooks/playbooks?token=receiver-secret"
    try:
        yield receiver
    finally:
        await runner.cleanup()


@pytest.fixture
async def open_harness(mattermost: Backstage, tmp_path: Path) -> AsyncIterator[Harness]:
    """A bot allowed to call loopback addresses, with a known secret."""
    database = f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite'}"
    async with running_harness(
        mattermost, database, allow_private_webhook_addresses=True, secret=SecretStr(SECRET)
    ) as harness:
        yield harness


async def seed_playbook(
    harness: Harness, url: str, *, on_creation: bool = True, on_update: bool = False
) -> str:
    """The starter incident playbook (public runs) with webhooks to ``url``; its title."""
    document = parse_document(STARTER.read_text(encoding="utf-8"), STARTER.name)
    alice_id = await harness.alice.my_id()
    playbook = import_playbook(document, team_id=harness.team_id, importer_id=alice_id).playbook
    playbook = replace(
        playbook,
        channel=replace(playbook.channel, create_public_channel=True),
        creation_webhooks=WebhookSettings(urls=(url,), enabled=on_creation),
        status_updates=replace(
            playbook.status_updates, webhooks=WebhookSettings(urls=(url,), enabled=on_update)
        ),
    )
    assert harness.bot.services is not None
    async with harness.bot.services.transaction() as session:
        await PlaybookRepository(session).add(playbook)
    return playbook.title


async def start_run(harness: Harness, title: str, name: str) -> str:
    """Alice starts a run; its channel's id."""
    await harness.command(harness.alice, f'/playbook run "{title}" {name}')
    await harness.settle()
    slug = "-".join(name.lower().split())
    channels = await harness.alice.my_channels(harness.team_id)
    return str(next(c for c in channels if slug in c["name"])["id"])


def assert_signed(harness: Harness, received: Received) -> None:
    header = received.headers[SIGNATURE_HEADER]
    assert verify_signature(received.body, header, KEY, now=harness.clock().timestamp())
    assert not verify_signature(
        received.body, header, derive_key(SECRET, "buttons"), now=harness.clock().timestamp()
    )


async def test_a_new_run_is_posted_signed_and_retried_after_a_500(
    open_harness: Harness, receiver: Receiver
) -> None:
    harness = open_harness
    receiver.statuses = [500]
    title = await seed_playbook(harness, receiver.url)
    channel_id = await start_run(harness, title, "Database down")

    await harness.tick()
    assert len(receiver.received) == 1
    first = receiver.received[0]
    assert_signed(harness, first)
    assert first.headers[EVENT_HEADER] == "run_created"
    assert first.headers["Content-Type"] == "application/json"
    payload = first.payload
    assert payload["event"] == "run_created"
    assert payload["delivery_id"] == first.headers[DELIVERY_HEADER]
    assert payload["run"]["name"] == "Incident: Database down"
    assert payload["run"]["channel"]["id"] == channel_id
    assert payload["run"]["channel"]["url"] == (
        f"{harness.url}/acme/channels/{payload['run']['channel']['name']}"
    )
    assert payload["run"]["owner"]["username"] == "alice"
    assert payload["actor"]["username"] == "alice"
    assert payload["run"]["status"] == "in_progress"

    await harness.tick()  # the retry is not due yet
    assert len(receiver.received) == 1
    harness.clock.advance(PAST_BACKOFF)
    await harness.tick()
    assert len(receiver.received) == 2
    retry = receiver.received[1]
    assert retry.headers[DELIVERY_HEADER] == first.headers[DELIVERY_HEADER]
    assert retry.body == first.body
    assert_signed(harness, retry)

    harness.clock.advance(timedelta(hours=2))
    await harness.tick()
    assert len(receiver.received) == 2  # delivered: nothing more is sent

    reply = await harness.command(harness.alice, "/playbook webhooks", channel_id=channel_id)
    assert "delivered" in reply["text"]
    assert "2 attempts" in reply["text"]
    assert "run created" in reply["text"]
    assert "receiver-secret" not in reply["text"]  # the query is hidden


async def test_a_status_update_is_posted_with_the_update_and_its_author(
    open_harness: Harness, receiver: Receiver
) -> None:
    harness = open_harness
    title = await seed_playbook(harness, receiver.url, on_creation=False, on_update=True)
    channel_id = await start_run(harness, title, "Cache outage")
    await harness.tick()
    assert receiver.received == []  # creation webhooks are off

    await harness.command(harness.alice, "/playbook update", channel_id=channel_id)
    dialog = await harness.alice.next_dialog()
    submission = {"message": "Failover done; watching error rates.", "reminder": "3600"}
    options = [
        o["value"] for e in dialog["dialog"]["elements"] if e["name"] == "reminder" for o in e["options"]
    ]
    submission["reminder"] = options[0]
    assert await harness.alice.submit_dialog(dialog, submission, channel_id=channel_id) == {}
    await harness.settle()
    await harness.tick()

    assert len(receiver.received) == 1
    received = receiver.received[0]
    assert_signed(harness, received)
    assert received.headers[EVENT_HEADER] == "status_updated"
    assert received.payload["update"]["message"] == "Failover done; watching error rates."
    assert received.payload["actor"]["username"] == "alice"


async def test_loopback_is_refused_by_default_and_recorded(harness: Harness, receiver: Receiver) -> None:
    title = await seed_playbook(harness, receiver.url)
    await start_run(harness, title, "Disk full")
    await harness.tick()
    harness.clock.advance(timedelta(hours=1))
    await harness.tick()
    assert receiver.received == []  # no request was made, and none is retried

    reply = await harness.command(harness.alice, f'/playbook webhooks "{title}"')
    assert "failed" in reply["text"]
    assert "loopback" in reply["text"]
    assert "1 attempt" in reply["text"]
    exposition = (await harness.bot.metrics.exposition()).decode()
    assert "playbooks_webhook_failures_total 1.0" in exposition


async def test_webhooks_outside_a_run_channel_says_how_to_use_it(harness: Harness) -> None:
    reply = await harness.command(harness.alice, "/playbook webhooks")
    assert "has no run" in reply["text"]
    missing = await harness.command(harness.alice, "/playbook webhooks No such playbook")
    assert "can't find a playbook called “No such playbook”" in missing["text"]


async def stored_texts(harness: Harness) -> list[str]:
    """Every value the bot recorded about deliveries and their jobs, as text."""
    assert harness.bot.services is not None
    async with harness.bot.services.transaction() as session:
        rows = [
            *(await session.execute(select(WebhookDeliveryRow))).scalars(),
            *(await session.execute(select(ScheduledJobRow))).scalars(),
        ]
    return [str(getattr(row, column.key)) for row in rows for column in row.__table__.columns]


@pytest.mark.parametrize("failure", ["answered 500", "refused as loopback"])
async def test_a_failed_delivery_logs_and_records_no_key_or_signature(
    failure: str, mattermost: Backstage, tmp_path: Path, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    refused = failure == "refused as loopback"
    allowed: dict[str, Any] = {} if refused else {"allow_private_webhook_addresses": True}
    database = f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite'}"
    async with running_harness(mattermost, database, secret=SecretStr(SECRET), **allowed) as harness:
        receiver.statuses = [500]
        title = await seed_playbook(harness, receiver.url)
        channel_id = await start_run(harness, title, "Pager storm")
        await harness.tick()
        reply = await harness.command(harness.alice, "/playbook webhooks", channel_id=channel_id)
        recorded = await stored_texts(harness)

    assert len(receiver.received) == (0 if refused else 1)
    assert ("refused" if refused else "HTTP 500") in reply["text"]
    assert ("refused: " if refused else "failed (attempt 1): HTTP 500") in caplog.text
    assert recorded
    secrets = {
        SECRET,
        KEY.hex(),
        base64.b64encode(KEY).decode(),
        base64.urlsafe_b64encode(KEY).decode().rstrip("="),
    }
    for received in receiver.received:
        signature = received.headers[SIGNATURE_HEADER]
        secrets |= {signature, signature.partition("v1=")[2]}
    for value in secrets:
        assert value not in caplog.text
        assert value not in reply["text"]
        assert not any(value in text for text in recorded)
