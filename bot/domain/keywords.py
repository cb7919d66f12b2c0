"""Finding playbook keywords in messages: whole tokens, any case, many playbooks in one pass.

A message and each keyword are split into tokens: runs of word characters (letters, digits,
``_``) and single other characters (``#``, ``-``, ``.``…), each noting whether it touches the
token before it or is separated by whitespace. A keyword matches where its tokens appear in a row
with the same touching (any whitespace stands for any whitespace), ignoring case, and the match
does not continue a word on either side. So ``sev-1`` matches "SEV-1!" but neither "sev-10" nor
"xsev-1", ``#incident`` matches "an #Incident" but not "a#incident", and ``database down``
matches "database   down".

:class:`KeywordMatcher` holds every keyword of a team in one token trie, so a message is read
once whatever the number of playbooks: the cost is its length times the longest keyword's tokens.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

_TOKEN = re.compile(r"\w+|[^\w\s]")


@dataclass(frozen=True, slots=True)
class Token:
    """A token: its case-folded text, whether it is made of word characters, and whether it
    touches the token before it (no whitespace between)."""

    text: str
    is_word: bool
    touches_previous: bool


def tokenize(text: str) -> list[Token]:
    """The tokens of ``text``, in order."""
    tokens: list[Token] = []
    previous_end = -1
    for found in _TOKEN.finditer(text):
        word = found.group()
        is_word = word[0].isalnum() or word[0] == "_"  # what ``\w`` matches
        tokens.append(Token(word.casefold(), is_word, found.start() == previous_end))
        previous_end = found.end()
    return tokens


@dataclass(frozen=True, slots=True)
class KeywordHit:
    """A playbook whose keywords a message contains, with those keywords as the playbook spells them."""

    playbook_id: str
    keywords: tuple[str, ...]


@dataclass(slots=True)
class _Node:
    """A trie node: children by (token, touches previous); the keywords ending here, per playbook."""

    children: dict[tuple[str, bool], _Node] = field(default_factory=dict)
    ends: list[tuple[str, str]] = field(default_factory=list)  # (playbook id, keyword)


class KeywordMatcher:
    """Every keyword of many playbooks, matched against a message in one pass.

    Build it from ``(playbook id, keywords)`` pairs; blank keywords are skipped. Immutable once
    built, so one matcher can serve concurrent lookups.
    """

    def __init__(self, playbooks: Iterable[tuple[str, Iterable[str]]]) -> None:
        self._roots: dict[str, _Node] = {}
        self._depth = 0
        self.keyword_count = 0
        for playbook_id, keywords in playbooks:
            for keyword in dict.fromkeys(keywords):
                self._add(playbook_id, keyword)

    def _add(self, playbook_id: str, keyword: str) -> None:
        tokens = tokenize(keyword)
        if not tokens:
            return
        node = self._roots.setdefault(tokens[0].text, _Node())
        for token in tokens[1:]:
            node = node.children.setdefault((token.text, token.touches_previous), _Node())
        node.ends.append((playbook_id, keyword))
        self._depth = max(self._depth, len(tokens))
        self.keyword_count += 1

    def __bool__(self) -> bool:
        return self.keyword_count > 0

    def match(self, text: str) -> list[KeywordHit]:
        """The playbooks with a keyword in ``text``, in the order their first keyword appears."""
        # Most messages hold no keyword: when none of their words can begin one, the scan (in C)
        # saves building their tokens.
        if self._roots.keys().isdisjoint(map(str.casefold, _TOKEN.findall(text))):
            return []
        return self.match_tokens(tokenize(text))

    def match_tokens(self, tokens: Sequence[Token]) -> list[KeywordHit]:
        """:meth:`match` on text already split by :func:`tokenize`."""
        found: dict[str, dict[str, None]] = {}
        for start, first in enumerate(tokens):
            node = self._roots.get(first.text)
            if node is None or _continues_word(tokens, start):
                continue
            end = start
            while True:
                if node.ends and not _continued_by_word(tokens, end):
                    for playbook_id, keyword in node.ends:
                        found.setdefault(playbook_id, {})[keyword] = None
                end += 1
                if end >= len(tokens) or end - start >= self._depth:
                    break
                following = node.children.get((tokens[end].text, tokens[end].touches_previous))
                if following is None:
                    break
                node = following
        return [KeywordHit(playbook_id, tuple(keywords)) for playbook_id, keywords in found.items()]


def _continues_word(tokens: Sequence[Token], start: int) -> bool:
    """Whether the character just before a match starting at token ``start`` is a word character."""
    return start > 0 and tokens[start].touches_previous and tokens[start - 1].is_word


def _continued_by_word(tokens: Sequence[Token], end: int) -> bool:
    """Whether the character just after a match ending at token ``end`` is a word character."""
    following = end + 1
    return following < len(tokens) and tokens[following].touches_previous and tokens[following].is_word
