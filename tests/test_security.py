"""Signed button contexts, token comparison and key derivation."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.security import (
    ContextSigner,
    ExpiredContext,
    ForgedContext,
    InvalidContextError,
    constant_time_equals,
    derive_key,
)

KEY = derive_key("a configured secret of reasonable length", "buttons")
NOW = 1_780_000_000.0  # seconds
PAYLOAD: dict[str, str | int] = {
    "action": "set_state",
    "run": "r1",
    "item": "i7",
    "state": "closed",
    "rev": 3,
}


class Clock:
    """A settable stand-in for ``time.time``."""

    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def signer(clock: Clock | None = None) -> ContextSigner:
    return ContextSigner(KEY, clock=clock or Clock())


# Round trips ----------------------------------------------------------------------------------


def test_a_signed_context_verifies_to_its_payload() -> None:
    context = signer().sign(PAYLOAD)
    assert set(context) == {*PAYLOAD, "sig"}
    assert len(str(context["sig"])) == 64
    assert signer().verify(context) == PAYLOAD


def test_a_context_survives_a_json_round_trip_through_mattermost() -> None:
    context = signer().sign({**PAYLOAD, "title": "Café ☕ “quoted”"})
    assert signer().verify(json.loads(json.dumps(context))) == {**PAYLOAD, "title": "Café ☕ “quoted”"}


def test_signing_does_not_depend_on_key_order() -> None:
    reordered = dict(reversed(list(PAYLOAD.items())))
    assert signer().sign(PAYLOAD)["sig"] == signer().sign(reordered)["sig"]


def test_the_menu_choice_mattermost_adds_is_not_part_of_the_payload() -> None:
    context = {**signer().sign(PAYLOAD), "selected_option": "skipped"}
    assert signer().verify(context) == PAYLOAD


@given(
    st.dictionaries(
        st.text(min_size=1, max_size=20).filter(lambda k: k not in {"sig", "exp", "selected_option"}),
        st.one_of(st.text(max_size=50), st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)),
        max_size=10,
    )
)
def test_any_acceptable_payload_round_trips(payload: dict[str, str | int]) -> None:
    assert signer().verify(json.loads(json.dumps(signer().sign(payload)))) == payload


# Forgeries ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda c: {**c, "state": "open"}, id="changed value"),
        pytest.param(lambda c: {**c, "rev": "3"}, id="int turned string"),
        pytest.param(lambda c: {**c, "extra": "x"}, id="added field"),
        pytest.param(lambda c: {k: v for k, v in c.items() if k != "item"}, id="removed field"),
        pytest.param(lambda c: {k: v for k, v in c.items() if k != "sig"}, id="no signature"),
        pytest.param(lambda c: {**c, "sig": "0" * 64}, id="wrong signature"),
        pytest.param(lambda c: {**c, "sig": str(c["sig"]).upper()}, id="upper-case signature"),
        pytest.param(lambda c: {**c, "sig": str(c["sig"])[:-1]}, id="short signature"),
        pytest.param(lambda c: {**c, "sig": 12345}, id="signature not a string"),
        pytest.param(lambda c: {**c, "sig": "é" * 64}, id="non-ASCII signature"),
        pytest.param(lambda c: {**c, "rev": True}, id="boolean value"),
        pytest.param(lambda c: {**c, "rev": 3.0}, id="float value"),
        pytest.param(lambda c: {**c, "nested": {"a": 1}}, id="nested object"),
        pytest.param(lambda c: {**c, "list": [1, 2]}, id="list value"),
        pytest.param(lambda c: {**c, "exp": 1}, id="expiry added"),
        pytest.param(lambda c: {**c, 7: "x"}, id="non-string key"),
    ],
)
def test_tampered_contexts_are_forged(tamper: Any) -> None:
    context = signer().sign(PAYLOAD)
    with pytest.raises(ForgedContext):
        signer().verify(tamper(context))


@pytest.mark.parametrize("context", [None, "sig", 42, ["sig"], b"{}", {}], ids=repr)
def test_anything_but_a_signed_object_is_forged(context: object) -> None:
    with pytest.raises(ForgedContext):
        signer().verify(context)


def test_a_context_signed_with_another_key_is_forged() -> None:
    other = ContextSigner(derive_key("a configured secret of reasonable length", "webhooks"), clock=Clock())
    with pytest.raises(ForgedContext, match="does not match"):
        signer().verify(other.sign(PAYLOAD))


def test_huge_contexts_are_refused_before_any_hashing() -> None:
    many = {f"k{i}": i for i in range(10_000)}
    with pytest.raises(ForgedContext, match="too many fields"):
        signer().verify({**many, "sig": "0" * 64})
    with pytest.raises(ForgedContext, match="malformed"):
        signer().verify({"blob": "x" * 10_000_000, "sig": "0" * 64})
    with pytest.raises(ForgedContext, match="malformed"):
        signer().verify({"n": 10**400, "sig": "0" * 64})
    with pytest.raises(ForgedContext, match="no valid signature"):
        signer().verify({"a": "b", "sig": "0" * 10_000_000})


def test_errors_never_echo_the_values_they_refuse() -> None:
    secret_looking = "s3cr3t-value-" + "x" * 5000
    with pytest.raises(ForgedContext) as raised:
        signer().verify({"token": secret_looking, "sig": "0" * 64})
    assert "s3cr3t" not in str(raised.value)
    assert isinstance(raised.value, InvalidContextError)


# Expiry ---------------------------------------------------------------------------------------


def test_a_context_with_a_time_to_live_verifies_until_it_expires() -> None:
    clock = Clock()
    context = signer(clock).sign(PAYLOAD, ttl=timedelta(minutes=10))
    assert context["exp"] == int(NOW * 1000) + 600_000
    clock.now = NOW + 599.999
    assert signer(clock).verify(context) == PAYLOAD
    clock.now = NOW + 600
    with pytest.raises(ExpiredContext):
        signer(clock).verify(context)


def test_extending_the_expiry_breaks_the_signature() -> None:
    clock = Clock()
    context = signer(clock).sign(PAYLOAD, ttl=timedelta(seconds=1))
    clock.now = NOW + 5
    with pytest.raises(ForgedContext):
        signer(clock).verify({**context, "exp": int(context["exp"]) + 60_000})


# Bad payloads are programming errors ------------------------------------------------------------


@pytest.mark.parametrize(
    "payload",
    [
        {"sig": "x"},
        {"exp": 1},
        {"selected_option": "x"},
        {"": "empty key"},
        {"k" * 65: "long key"},
        {"v": "x" * 3000},
        {"v": 2**60},
        {"v": True},
        {"v": 1.5},
        {"v": None},
        {f"k{i}": i for i in range(33)},
    ],
)
def test_unsignable_payloads_are_refused(payload: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"reserved|cannot sign"):
        signer().sign(payload)


def test_a_signer_needs_a_real_key_and_hides_it() -> None:
    with pytest.raises(ValueError, match="at least 16 bytes"):
        ContextSigner(b"short")
    with pytest.raises(ValueError, match="at least 16 bytes"):
        ContextSigner("not bytes at all" * 2)  # type: ignore[arg-type]
    assert KEY.hex() not in repr(signer())
    assert repr(signer()) == "ContextSigner(key=<hidden>)"


# Tokens and keys ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "equal"),
    [
        ("token-123", "token-123", True),
        ("token-123", "token-124", False),
        ("token-123", "token-12", False),
        ("", "", True),
        ("ключ", "ключ", True),
        ("ключ", "ключи", False),
        (None, None, False),
        ("token", None, False),
    ],
)
def test_constant_time_equals(a: str | None, b: str | None, equal: bool) -> None:
    assert constant_time_equals(a, b) is equal


def test_derived_keys_are_separate_per_purpose_and_stable() -> None:
    buttons = derive_key("secret", "buttons")
    webhooks = derive_key("secret", "webhooks")
    assert len(buttons) == len(webhooks) == 32
    assert buttons != webhooks
    assert derive_key("secret", "buttons") == buttons
    assert derive_key("other secret", "buttons") != buttons
    assert b"secret" not in buttons


def test_derive_key_needs_a_secret_and_a_purpose() -> None:
    with pytest.raises(ValueError, match="secret"):
        derive_key("", "buttons")
    with pytest.raises(ValueError, match="purpose"):
        derive_key("secret", "")
