"""Signing button contexts, comparing tokens and deriving keys.

Mattermost does not sign the requests it sends when someone clicks a button; it only keeps the
button's ``integration.context`` away from clients (mattermost-wire.md §2.4). The bot therefore
signs every context it hands out with HMAC-SHA256 and verifies it on the way back, so a click
request can only carry a context the bot itself wrote — optionally for a limited time.

A signed context is the payload plus ``sig`` (and ``exp``, a Unix time in milliseconds, when it
expires). The signature covers the canonical JSON of every other field (sorted keys, no
whitespace, ASCII only), so adding, removing or changing any field breaks it. Mattermost adds
``selected_option`` to a menu's context; that key is never signed and :meth:`ContextSigner.verify`
leaves it out of the payload it returns.

Keys are never logged or shown: ``repr`` of a signer hides its key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

ContextValue = str | int

SIGNATURE_KEY = "sig"
EXPIRY_KEY = "exp"
UNSIGNED_KEYS = frozenset({"selected_option"})
"""Keys Mattermost itself adds to a context, which no signature can cover."""

MIN_KEY_BYTES = 16
MAX_FIELDS = 32
MAX_KEY_LENGTH = 64
MAX_STRING_LENGTH = 2048
MAX_INT = 2**53 - 1  # what survives a round trip through any JSON parser
_SIGNATURE = re.compile(r"[0-9a-f]{64}")
# Separates context signatures from any other HMAC made with the same key.
_DOMAIN = b"playbooks-bot/button-context/v1\n"
_KDF_SALT = b"playbooks-bot/derive-key/v1"


class InvalidContextError(Exception):
    """A button context that cannot be trusted. The message names no secret and no value."""


class ForgedContext(InvalidContextError):  # noqa: N818 - named for what happened, like the HTTP error
    """The context was not signed by us, or was altered after signing."""


class ExpiredContext(InvalidContextError):  # noqa: N818
    """The context was signed by us but its time is up."""


class ContextSigner:
    """Signs and verifies button contexts with one key (see :func:`derive_key`)."""

    __slots__ = ("_clock", "_key", "_keyed")

    def __init__(self, key: bytes, *, clock: Callable[[], float] = time.time) -> None:
        """``clock`` returns the current Unix time in seconds; tests pass a fixed one."""
        if not isinstance(key, bytes) or len(key) < MIN_KEY_BYTES:
            raise ValueError(f"a signing key needs at least {MIN_KEY_BYTES} bytes")
        self._key = key
        self._clock = clock
        # The keyed hash with the domain prefix already fed in; each signature continues a copy,
        # which signs the very same bytes as ``hmac.new(key, _DOMAIN + canonical)``.
        self._keyed = hmac.new(key, _DOMAIN, hashlib.sha256)

    def __repr__(self) -> str:
        return "ContextSigner(key=<hidden>)"

    def sign(
        self, payload: Mapping[str, ContextValue], *, ttl: timedelta | None = None
    ) -> dict[str, ContextValue]:
        """The payload plus its signature, expiring ``ttl`` from now when given.

        Keys are non-empty strings other than ``sig``, ``exp`` and ``selected_option``; values are
        strings or integers. A payload that breaks these rules or the size limits is a programming
        error (``ValueError``), so nothing is signed that :meth:`verify` would refuse.
        """
        reserved = {SIGNATURE_KEY, EXPIRY_KEY} | UNSIGNED_KEYS
        if any(key in reserved for key in payload):
            raise ValueError(f"payload keys {sorted(reserved)} are reserved")
        fields = dict(payload)
        if ttl is not None:
            fields[EXPIRY_KEY] = self._now_ms() + int(ttl.total_seconds() * 1000)
        problem = _shape_problem(fields)
        if problem:
            raise ValueError(f"cannot sign this payload: {problem}")
        return {**fields, SIGNATURE_KEY: self._signature(fields)}

    def verify(self, context: object) -> dict[str, ContextValue]:
        """The signed payload of ``context`` (without ``sig``, ``exp`` and ``selected_option``).

        Raises :class:`ForgedContext` for anything not signed with this key — wrong type, missing or
        malformed signature, changed, added or removed fields, oversized input — and
        :class:`ExpiredContext` when a genuine context's ``exp`` has passed.
        """
        if not isinstance(context, Mapping):
            raise ForgedContext("the context is not an object")
        if len(context) > MAX_FIELDS + 1 + len(UNSIGNED_KEYS):
            raise ForgedContext("the context has too many fields")
        signature = context.get(SIGNATURE_KEY)
        if not isinstance(signature, str) or not _SIGNATURE.fullmatch(signature):
            raise ForgedContext("the context carries no valid signature")
        fields = {
            key: value for key, value in context.items() if key != SIGNATURE_KEY and key not in UNSIGNED_KEYS
        }
        problem = _shape_problem(fields)
        if problem:
            raise ForgedContext(f"the context is malformed: {problem}")
        expected = self._signature(fields)
        if not hmac.compare_digest(expected.encode("ascii"), signature.encode("ascii")):
            raise ForgedContext("the context's signature does not match")
        expires = fields.pop(EXPIRY_KEY, None)
        if expires is not None:
            if not isinstance(expires, int) or isinstance(expires, bool):
                raise ForgedContext("the context's expiry is not a time")
            if self._now_ms() >= expires:
                raise ExpiredContext("the context has expired")
        return fields

    def _signature(self, fields: Mapping[str, ContextValue]) -> str:
        canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
        mac = self._keyed.copy()
        mac.update(canonical.encode("ascii"))
        return mac.hexdigest()

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)


def _shape_problem(fields: Mapping[Any, object]) -> str | None:
    """What makes ``fields`` unacceptable as a context payload, or ``None``. Never echoes values."""
    if len(fields) > MAX_FIELDS:
        return f"more than {MAX_FIELDS} fields"
    for key, value in fields.items():
        if not isinstance(key, str) or not key or len(key) > MAX_KEY_LENGTH:
            return "a key is not a short non-empty string"
        if isinstance(value, bool) or not isinstance(value, str | int):
            return f"the value of {key[:MAX_KEY_LENGTH]!r} is not a string or an integer"
        if isinstance(value, str) and len(value) > MAX_STRING_LENGTH:
            return f"the value of {key!r} is longer than {MAX_STRING_LENGTH} characters"
        if isinstance(value, int) and abs(value) > MAX_INT:
            return f"the value of {key!r} is out of range"
    return None


def constant_time_equals(a: str | None, b: str | None) -> bool:
    """Whether two secrets (slash-command tokens, say) are equal, in time that does not depend on
    where they differ. A missing secret (``None``) equals nothing, not even another ``None``."""
    if a is None or b is None:
        return False
    return hmac.compare_digest(a.encode("utf-8", "surrogatepass"), b.encode("utf-8", "surrogatepass"))


def derive_key(secret: str, purpose: str) -> bytes:
    """A 32-byte key for one ``purpose`` (``"buttons"``, ``"webhooks"``…) from the configured
    ``secret``: HKDF-SHA256 (RFC 5869) with a fixed salt and ``purpose`` as its info, so keys for
    different purposes are unrelated and none reveals the secret."""
    if not secret:
        raise ValueError("the secret must not be empty")
    if not purpose:
        raise ValueError("the purpose must not be empty")
    pseudo_random_key = hmac.new(_KDF_SALT, secret.encode("utf-8"), hashlib.sha256).digest()
    return hmac.new(pseudo_random_key, purpose.encode("utf-8") + b"\x01", hashlib.sha256).digest()
