"""Webhook payloads (pinned shape) and signatures: signing, verifying, tolerance, tampering."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.run import Run, RunStatus
from bot.domain.status import StatusUpdate
from bot.domain.webhooks import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    channel_url,
    delivery_headers,
    people_in,
    run_created_payload,
    shown_url,
    signature_header,
    status_updated_payload,
    verify_signature,
    with_links,
)

KEY = b"k" * 32
BODY = b'{"event":"run_created"}'
T = 1_795_000_000
STARTED = datetime(2026, 11, 23, 9, 0, 5, 123000, tzinfo=UTC)
RUN = Run(
    id="run1",
    number=7,
    playbook_id="pb1",
    team_id="team1",
    name="Database down",
    owner_id="owner1",
    reporter_id="starter1",
    channel_id="chan1",
    created_at=STARTED,
    summary="Primary is unreachable.",
    sequential_id="INC-00007",
    status=RunStatus.IN_PROGRESS,
)
UPDATE = StatusUpdate(
    id="upd1",
    run_id="run1",
    author_id="author1",
    message="Failover done.",
    posted_at=STARTED + timedelta(hours=1),
    next_reminder_at=STARTED + timedelta(hours=2),
)


def test_a_signature_verifies_with_the_same_key_body_and_a_current_time() -> None:
    header = signature_header(BODY, KEY, T)
    assert header.startswith(f"t={T},v1=")
    assert verify_signature(BODY, header, KEY, now=T + 10)


def test_the_signature_is_hmac_sha256_over_timestamp_dot_body() -> None:
    import hashlib
    import hmac

    expected = hmac.new(KEY, f"{T}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert signature_header(BODY, KEY, T) == f"t={T},v1={expected}"


@pytest.mark.parametrize("skew", [-301, 301, 10_000])
def test_a_signature_outside_the_tolerance_is_refused(skew: int) -> None:
    header = signature_header(BODY, KEY, T)
    assert not verify_signature(BODY, header, KEY, timedelta(minutes=5), now=T + skew)
    assert verify_signature(BODY, header, KEY, abs(skew) + 1, now=T + skew)


def test_a_tampered_body_a_wrong_key_or_a_moved_timestamp_is_refused() -> None:
    header = signature_header(BODY, KEY, T)
    assert not verify_signature(BODY + b" ", header, KEY, now=T)
    assert not verify_signature(BODY, header, b"x" * 32, now=T)
    moved = header.replace(f"t={T}", f"t={T + 1}")
    assert not verify_signature(BODY, moved, KEY, now=T)


@pytest.mark.parametrize(
    "header",
    ["", "v1=abc", f"t={T}", f"t=abc,v1={'0' * 64}", f"t={T},t={T},v1={'0' * 64}", "garbage", f"t={T},v1=é"],
)
def test_malformed_headers_are_refused_without_error(header: str) -> None:
    assert not verify_signature(BODY, header, KEY, now=T)


def test_any_of_several_v1_signatures_may_match_for_key_rotation() -> None:
    good = signature_header(BODY, KEY, T).split(",")[1]
    assert verify_signature(BODY, f"t={T},v1={'0' * 64},{good}", KEY, now=T)


def test_delivery_headers_name_the_event_and_delivery_and_sign_the_body() -> None:
    headers = delivery_headers(BODY, KEY, event="run_created", delivery_id="d1", timestamp=T)
    assert headers["Content-Type"] == "application/json"
    assert headers[EVENT_HEADER] == "run_created"
    assert headers[DELIVERY_HEADER] == "d1"
    assert verify_signature(BODY, headers[SIGNATURE_HEADER], KEY, now=T)


def test_run_created_payload_shape() -> None:
    payload = run_created_payload(RUN, delivery_id="d1")
    linked = with_links(
        payload,
        channel_name="database-down",
        channel_url=channel_url("https://chat.example.com/", "acme", "database-down"),
        usernames={"owner1": "olivia", "starter1": "sam"},
    )
    assert people_in(payload) == {"owner1", "starter1"}
    assert linked == {
        "version": 1,
        "event": "run_created",
        "delivery_id": "d1",
        "at": "2026-11-23T09:00:05Z",
        "run": {
            "id": "run1",
            "name": "Database down",
            "sequential_id": "INC-00007",
            "playbook_id": "pb1",
            "team_id": "team1",
            "channel": {
                "id": "chan1",
                "name": "database-down",
                "url": "https://chat.example.com/acme/channels/database-down",
            },
            "owner": {"id": "owner1", "username": "olivia"},
            "status": "in_progress",
            "summary": "Primary is unreachable.",
            "created_at": "2026-11-23T09:00:05Z",
            "finished_at": None,
        },
        "update": None,
        "actor": {"id": "starter1", "username": "sam"},
    }
    json.dumps(linked)  # serialisable as it is


def test_status_updated_payload_carries_the_update_and_its_author() -> None:
    payload = with_links(
        status_updated_payload(RUN, UPDATE, delivery_id="d2"),
        channel_name="database-down",
        channel_url="https://chat.example.com/acme/channels/database-down",
        usernames={"author1": "ana"},
    )
    assert payload["event"] == "status_updated"
    assert payload["at"] == "2026-11-23T10:00:05Z"
    assert payload["update"] == {
        "id": "upd1",
        "message": "Failover done.",
        "posted_at": "2026-11-23T10:00:05Z",
        "next_reminder_at": "2026-11-23T11:00:05Z",
    }
    assert payload["actor"] == {"id": "author1", "username": "ana"}
    assert payload["run"]["owner"] == {"id": "owner1", "username": None}


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://hooks.example.com/in/abc?token=secret", "https://hooks.example.com/in/abc?…"),
        ("http://user:pw@10.0.0.1:8080/x", "http://10.0.0.1:8080/x"),
        ("http://[::1]:9/h", "http://[::1]:9/h"),
        ("http://host:99999/", "(invalid URL)"),
    ],
)
def test_urls_are_shown_without_credentials_or_query(url: str, shown: str) -> None:
    assert shown_url(url) == shown
