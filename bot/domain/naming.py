"""Names of runs and of their channels, and run ids.

Run names come from the playbook's ``channel_name_template`` and the name the person gives
(playbooks.md, "Our decisions"): ``<name>``-style placeholders and ``{NAME}``-style tokens are
replaced by the given name, and a template without either is the default name, which the given
name overrides.

Channel names ("slugs") must satisfy Mattermost's rules for every server version we support:
``^[a-z0-9][a-z0-9-]{0,62}[a-z0-9]$``, never shaped like a direct or group message name. Ours
start with the run's id (``inc-00042-database-down``), which keeps them unique per playbook and
sorted by run in the sidebar; :func:`next_candidate` resolves the rare remaining collision.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

from bot.domain.errors import DomainError

MAX_RUN_NAME_LENGTH = 1024
MAX_CHANNEL_DISPLAY_NAME_LENGTH = 64
MAX_CHANNEL_NAME_LENGTH = 64
MAX_RUN_NUMBER = 10**15 - 1
DEFAULT_SLUG_PREFIX = "run"
_MAX_PREFIX_SLUG_LENGTH = 16

_PLACEHOLDER = re.compile(r"<(\w(?:[\w .-]{0,62}\w)?)>|\{(\w(?:[\w .-]{0,62}\w)?)\}")
_VALID_CHANNEL_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,62}[a-z0-9]")
_GROUP_MESSAGE_NAME = re.compile(r"[0-9a-f]{40}")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_ZERO_WIDTH_JOINER = "\u200d"

# Letters that Unicode decomposition leaves alone but that have a customary ASCII spelling.
_LATIN_FOLDS = {
    "ß": "ss",
    "æ": "ae",
    "ø": "o",
    "œ": "oe",
    "đ": "d",
    "ð": "d",
    "þ": "th",
    "ł": "l",
    "\u0131": "i",
}
# Russian and Ukrainian letters, by code point: U+0430 "a" to U+044F "ya", then the extras.
# fmt: off
_CYRILLIC_ROMAN = (
    "a", "b", "v", "g", "d", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p",
    "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya",
)
# fmt: on
_CYRILLIC = dict(zip(map(chr, range(0x430, 0x450)), _CYRILLIC_ROMAN, strict=True)) | {
    "\u0451": "e",
    "\u0454": "ye",
    "\u0456": "i",
    "\u0457": "yi",
    "\u0491": "g",
}
_APOSTROPHES = {"'": "", "\u2019": ""}  # "Don't" reads better as "dont" than as "don-t"
_TRANSLITERATION = str.maketrans({**_LATIN_FOLDS, **_APOSTROPHES, **_CYRILLIC})


class RunNameRequiredError(DomainError):
    """The run needs a name and none was given."""


def run_display_name(template: str, given_name: str, *, values: Mapping[str, str] | None = None) -> str:
    """The run's name from the playbook's name template and the name the person gave.

    Placeholders (``<name>``, ``{NAME}``) become ``given_name``, except tokens named in ``values``
    (matched case-insensitively, e.g. ``{"SEQ": "INC-00042"}``), which become their value. A
    template without placeholders is the default, used when no name is given. Whitespace runs
    collapse to one space, and the result is at most :data:`MAX_RUN_NAME_LENGTH` characters.
    """
    given = _collapse(given_name)
    known = {key.strip().casefold(): _collapse(value) for key, value in (values or {}).items()}
    template = _collapse(template)
    needs_given = False

    def fill(match: re.Match[str]) -> str:
        nonlocal needs_given
        token = (match.group(1) or match.group(2)).strip().casefold()
        if token in known:
            return known[token]
        needs_given = True
        return given

    filled = _PLACEHOLDER.sub(fill, template)
    if _PLACEHOLDER.search(template):
        if needs_given and not given:
            raise RunNameRequiredError(f"Give the run a name; this playbook names runs “{template}”.")
        name = _collapse(filled)
    else:
        name = given or template
    if not name:
        raise RunNameRequiredError("Give the run a name.")
    return name[:MAX_RUN_NAME_LENGTH].rstrip()


def channel_display_name(run_name: str) -> str:
    """A channel display name for a run: the name with whitespace collapsed, cut to 64 characters
    without splitting an accented letter or an emoji sequence."""
    text = _collapse(run_name)
    cut = MAX_CHANNEL_DISPLAY_NAME_LENGTH
    if len(text) <= cut:
        return text
    # Back off to the start of the character cluster the limit falls in.
    while cut > 0 and (_joins_previous(text[cut]) or text[cut - 1] == _ZERO_WIDTH_JOINER):
        cut -= 1
    return text[:cut].rstrip()


def _joins_previous(char: str) -> bool:
    """Whether ``char`` belongs to the character before it (accents, joiners, emoji modifiers)."""
    return (
        unicodedata.category(char) in ("Mn", "Mc", "Me")
        or char == _ZERO_WIDTH_JOINER
        or "\ufe00" <= char <= "\ufe0f"
        or "\U0001f3fb" <= char <= "\U0001f3ff"
    )


def format_run_id(prefix: str, number: int) -> str:
    """The run's sequential id as the plugin formats it: ``INC-00042``, or ``00042`` without a
    prefix; numbers beyond five digits are never cut (``INC-100000``)."""
    if number < 0:
        raise ValueError(f"run numbers are not negative: {number}")
    prefix = prefix.strip()
    return f"{prefix}-{number:05d}" if prefix else f"{number:05d}"


def channel_slug(display_name: str, run_number: int, *, prefix: str = "") -> str:
    """A valid, unique-per-playbook Mattermost channel name for a run.

    It starts with the run id in lower case (``inc-00042``; ``run-00042`` when the playbook has no
    prefix) and continues with the ASCII-folded display name as far as 64 characters allow:
    ``channel_slug("Database down", 42, prefix="INC") == "inc-00042-database-down"``. Accents are
    dropped, Cyrillic is transliterated, other scripts and emoji are left out.
    """
    if not 0 <= run_number <= MAX_RUN_NUMBER:
        raise ValueError(f"run number out of range: {run_number}")
    head = f"{_prefix_slug(prefix)}-{run_number:05d}"
    budget = MAX_CHANNEL_NAME_LENGTH - len(head) - 1
    tail = _truncate_slug(ascii_slug(display_name), budget)
    return f"{head}-{tail}" if tail else head


def next_candidate(name: str, attempt: int) -> str:
    """The channel name to try after ``attempt`` collisions: ``name`` itself for 0, then
    ``name-2``, ``name-3``… cut so the result stays valid."""
    if attempt < 0:
        raise ValueError(f"attempt must not be negative: {attempt}")
    if is_valid_channel_name(name):
        base = name
    else:
        base = _truncate_slug(ascii_slug(name), MAX_CHANNEL_NAME_LENGTH) or DEFAULT_SLUG_PREFIX
    if attempt == 0:
        return base if is_valid_channel_name(base) else f"{base}-1"
    suffix = f"-{attempt + 1}"
    return _truncate_slug(base, MAX_CHANNEL_NAME_LENGTH - len(suffix)) + suffix


def is_valid_channel_name(name: str) -> bool:
    """Whether ``name`` is a channel name every supported Mattermost server accepts for a public
    or private channel."""
    return bool(_VALID_CHANNEL_NAME.fullmatch(name)) and not _GROUP_MESSAGE_NAME.fullmatch(name)


def ascii_slug(text: str) -> str:
    """Lower-case ASCII letters and digits of ``text`` joined by single dashes; accents folded,
    Cyrillic transliterated, anything else (other scripts, emoji, punctuation) a separator."""
    folded = unicodedata.normalize("NFKD", text.lower().translate(_TRANSLITERATION))
    ascii_only = "".join(ch if ch.isascii() else ("" if unicodedata.combining(ch) else " ") for ch in folded)
    return _NOT_SLUG.sub("-", ascii_only.lower()).strip("-")


def _prefix_slug(prefix: str) -> str:
    return _truncate_slug(ascii_slug(prefix), _MAX_PREFIX_SLUG_LENGTH) or DEFAULT_SLUG_PREFIX


def _truncate_slug(slug: str, limit: int) -> str:
    """Cut a slug to ``limit`` characters, at a word boundary when one is reasonably close."""
    if limit <= 0:
        return ""
    if len(slug) <= limit:
        return slug
    cut = slug[:limit]
    boundary = cut.rfind("-")
    if boundary >= limit // 2 and slug[limit] != "-":
        cut = cut[:boundary]
    return cut.strip("-")


def _collapse(text: str) -> str:
    return " ".join(text.split())
