"""The service's logs: plain text or JSON lines, with request context, and never a secret.

:func:`configure_logging` installs one handler on the root logger. Each line carries the time,
level, logger and message, plus the fields bound with :func:`log_context` for the request being
handled (``run_id``, ``user_id``, ``kind``…): they travel in a :mod:`contextvars` variable, so
work started for a request — awaited calls, tasks it spawns — logs them too.

Whatever is written passes through a :class:`Redactor`: the values registered with
:func:`register_secret` (the bot token, command tokens, the signing secret, database passwords)
and anything shaped like a credential (``Authorization`` headers, ``token=`` form fields,
signatures, passwords in URLs) become ``[redacted]``, in messages and tracebacks alike.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import IO, Any, TextIO

REDACTED = "[redacted]"
# Shorter values are too likely to occur by chance in ordinary text to be replaced everywhere.
MIN_SECRET_LENGTH = 6

_context: ContextVar[Mapping[str, str] | None] = ContextVar("playbooks_log_context", default=None)

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Authorization: Bearer abc / 'Authorization': 'Token abc' / authorization=abc
    (
        re.compile(
            r"""(authorization['"]?\s*[:=]\s*['"]?(?:bearer|token|basic)?\s*)[^\s'",;}]+""", re.IGNORECASE
        ),
        rf"\1{REDACTED}",
    ),
    # Form and query fields: token=…, access_token=…, secret=…, password=…, sig=…
    (
        re.compile(r"""(\b(?:\w*token|secret|password|passwd|sig|signature)=)[^&\s'",;]+""", re.IGNORECASE),
        rf"\1{REDACTED}",
    ),
    # The same as JSON or repr: "token": "…", 'sig': '…'
    (
        re.compile(
            r"""(['"](?:\w*token|secret|password|sig|signature)['"]\s*:\s*['"])[^'"]*(['"])""",
            re.IGNORECASE,
        ),
        rf"\1{REDACTED}\2",
    ),
    # Signature headers (X-Playbooks-Signature: sha256=…)
    (re.compile(r"(signature[\w-]*['\"]?\s*:\s*['\"]?)[^\s'\",;}]+", re.IGNORECASE), rf"\1{REDACTED}"),
    # The password of a URL: scheme://user:password@host
    (re.compile(r"(\w://[^/\s:@]*:)[^@\s/]+@"), rf"\1{REDACTED}@"),
    # HMAC-SHA256 signatures and other bare 256-bit hex digests
    (re.compile(r"\b[0-9a-fA-F]{64}\b"), REDACTED),
)


class Redactor:
    """Replaces registered secret values and credential-shaped text with ``[redacted]``."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._lock = threading.Lock()

    def add(self, secret: str | None) -> None:
        """Never let ``secret`` through (ignored when shorter than :data:`MIN_SECRET_LENGTH`)."""
        if secret and len(secret) >= MIN_SECRET_LENGTH:
            with self._lock:
                self._secrets.add(secret)

    def redact(self, text: str) -> str:
        """``text`` with every secret and credential-shaped substring replaced."""
        with self._lock:
            secrets = sorted(self._secrets, key=len, reverse=True)
        for secret in secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        for pattern, replacement in _PATTERNS:
            text = pattern.sub(replacement, text)
        return text


REDACTOR = Redactor()
"""The process's redactor, used by every handler :func:`configure_logging` installs."""


def register_secret(secret: str | None) -> None:
    """Keep ``secret`` out of every log line from now on."""
    REDACTOR.add(secret)


def redact(text: str) -> str:
    """``text`` as it may be logged or shown: secrets and credentials replaced."""
    return REDACTOR.redact(text)


@contextmanager
def log_context(**fields: str | None) -> Iterator[None]:
    """Add ``fields`` (``run_id=…``, ``user_id=…``) to every line logged inside the block.

    Empty and ``None`` values are left out; inner blocks add to (and may override) outer ones.
    """
    added = {name: str(value) for name, value in fields.items() if value}
    token = _context.set({**current_log_context(), **added})
    try:
        yield
    finally:
        _context.reset(token)


def bind_log_context(**fields: str | None) -> None:
    """Add ``fields`` to the current context until it ends (the request's task, typically)."""
    added = {name: str(value) for name, value in fields.items() if value}
    if added:
        _context.set({**current_log_context(), **added})


def current_log_context() -> Mapping[str, str]:
    """The fields currently bound with :func:`log_context` or :func:`bind_log_context`."""
    return _context.get() or {}


class _ContextFilter(logging.Filter):
    """Copies the bound context onto each record (as ``record.context``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.context = dict(current_log_context())
        return True


class TextFormatter(logging.Formatter):
    """``time level logger: message [key=value …]``, redacted."""

    def __init__(self, redactor: Redactor = REDACTOR) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self._redactor = redactor

    def format(self, record: logging.LogRecord) -> str:
        """The redacted line, with the context fields appended."""
        line = super().format(record)
        context: Mapping[str, str] = getattr(record, "context", {})
        if context:
            first, newline, rest = line.partition("\n")
            fields = " ".join(f"{name}={value}" for name, value in sorted(context.items()))
            line = f"{first} [{fields}]{newline}{rest}"
        return self._redactor.redact(line)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ``time``, ``level``, ``logger``, ``message``, the context fields,
    and ``exception`` (the traceback) when there is one; every string redacted."""

    def __init__(self, redactor: Redactor = REDACTOR) -> None:
        super().__init__()
        self._redactor = redactor

    def format(self, record: logging.LogRecord) -> str:
        """The record as one redacted JSON line."""
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        context: Mapping[str, str] = getattr(record, "context", {})
        for name, value in context.items():
            entry.setdefault(name, value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        redacted = {
            name: self._redactor.redact(value) if isinstance(value, str) else value
            for name, value in entry.items()
        }
        return json.dumps(redacted, ensure_ascii=False)


class _StandardErrorHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever ``sys.stderr`` is when a record is emitted (it may be replaced later)."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        """Ignored: the stream is always the current standard error."""


def configure_logging(level: str | int = "INFO", json: bool = False, stream: IO[str] | None = None) -> None:
    """Send the process's logs to ``stream`` (standard error by default), as JSON lines when
    ``json``, at ``level`` and above; replaces handlers installed by an earlier call."""
    handler: logging.Handler = _StandardErrorHandler() if stream is None else logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter() if json else TextFormatter())
    handler.addFilter(_ContextFilter())
    handler.set_name("playbooks-bot")
    root = logging.getLogger()
    for existing in list(root.handlers):
        if existing.get_name() == "playbooks-bot":
            root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
    # APScheduler only wakes the scheduler; its INFO lines on every wake-up say nothing useful.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
