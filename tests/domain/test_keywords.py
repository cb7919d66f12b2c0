"""Keyword matching: whole tokens in any case, punctuation and several words, many playbooks."""

from __future__ import annotations

import re
import string
import time

from hypothesis import given
from hypothesis import strategies as st

from bot.domain.keywords import KeywordHit, KeywordMatcher, tokenize


def matched(matcher: KeywordMatcher, text: str) -> dict[str, tuple[str, ...]]:
    return {hit.playbook_id: hit.keywords for hit in matcher.match(text)}


INCIDENT = KeywordMatcher([("inc", ["sev-1", "#incident", "database down"]), ("db", ["db", "postgres"])])


def test_keywords_match_in_any_case() -> None:
    assert matched(INCIDENT, "SEV-1 declared") == {"inc": ("sev-1",)}
    assert matched(INCIDENT, "Our Postgres is slow") == {"db": ("postgres",)}


def test_punctuation_keywords_match_only_as_whole_tokens() -> None:
    assert matched(INCIDENT, "this is sev-1!") == {"inc": ("sev-1",)}
    assert matched(INCIDENT, "(sev-1)") == {"inc": ("sev-1",)}
    assert matched(INCIDENT, "sev-10 is not an outage") == {}
    assert matched(INCIDENT, "xsev-1") == {}
    assert matched(INCIDENT, "sev - 1") == {}
    assert matched(INCIDENT, "an #Incident here") == {"inc": ("#incident",)}
    assert matched(INCIDENT, "a#incident") == {}
    assert matched(INCIDENT, "#incidents") == {}


def test_words_never_match_inside_longer_words() -> None:
    assert matched(INCIDENT, "dbs and adb") == {}
    assert matched(INCIDENT, "db_down") == {}
    assert matched(INCIDENT, "db-down") == {"db": ("db",)}
    assert matched(INCIDENT, "the db.") == {"db": ("db",)}


def test_multi_word_keywords_allow_any_spacing() -> None:
    assert matched(INCIDENT, "Database\n  DOWN again") == {"inc": ("database down",)}
    assert matched(INCIDENT, "database downtime") == {}
    assert matched(INCIDENT, "databasedown") == {}


def test_every_playbook_and_keyword_found_in_order_of_appearance() -> None:
    hits = INCIDENT.match("postgres: database down, sev-1, db gone")
    assert hits == [KeywordHit("db", ("postgres", "db")), KeywordHit("inc", ("database down", "sev-1"))]


def test_overlapping_keywords_of_different_playbooks_both_match() -> None:
    matcher = KeywordMatcher([("a", ["db"]), ("b", ["db down"]), ("c", ["down"])])
    assert matched(matcher, "db down") == {"a": ("db",), "b": ("db down",), "c": ("down",)}


def test_blank_keywords_and_playbooks_without_keywords_never_match() -> None:
    matcher = KeywordMatcher([("a", ["", "   "]), ("b", [])])
    assert not matcher
    assert matcher.match("anything at all") == []


def test_unicode_words_fold_case() -> None:
    matcher = KeywordMatcher([("de", ["Straße gesperrt"]), ("gr", ["ΣΦΑΛΜΑ"])])
    assert matched(matcher, "STRASSE gesperrt!") == {"de": ("Straße gesperrt",)}
    assert matched(matcher, "νέο σφαλμα") == {"gr": ("ΣΦΑΛΜΑ",)}


WORD = st.text(alphabet=string.ascii_letters + string.digits + "_", min_size=1, max_size=8)
KEYWORD = st.lists(WORD, min_size=1, max_size=3).map(" ".join)


@given(keyword=KEYWORD, prefix=st.text(alphabet=string.ascii_letters + "_", max_size=4), suffix=WORD)
def test_never_matches_inside_a_longer_word(keyword: str, prefix: str, suffix: str) -> None:
    matcher = KeywordMatcher([("p", [keyword])])
    assert matcher.match(prefix + keyword + suffix) == []
    if prefix:
        assert matcher.match(prefix + keyword) == []


@given(keyword=KEYWORD, before=st.sampled_from(["", " ", "(", "**", "\n", "> "]))
def test_always_matches_itself_as_a_token(keyword: str, before: str) -> None:
    matcher = KeywordMatcher([("p", [keyword])])
    assert matched(matcher, f"{before}{keyword.upper()}.") == {"p": (keyword,)}


TEXT_ALPHABET = string.ascii_lowercase[:4] + "AB-#. \n"


@given(
    keyword=st.text(alphabet=TEXT_ALPHABET, min_size=1, max_size=6).filter(lambda k: k.strip()),
    text=st.text(alphabet=TEXT_ALPHABET, max_size=30),
)
def test_agrees_with_a_plain_regular_expression(keyword: str, text: str) -> None:
    """On ASCII, matching is the regex ``(?<!\\w)keyword(?!\\w)`` with case ignored, where
    whitespace in the keyword stands for any whitespace and touching tokens must touch."""
    tokens = re.findall(r"\w+|[^\w\s]|\s+", keyword.strip())
    pattern = "".join(r"\s+" if t.isspace() else re.escape(t) for t in tokens)
    expected = re.search(rf"(?<!\w){pattern}(?!\w)", text, re.IGNORECASE) is not None
    assert bool(KeywordMatcher([("p", [keyword])]).match(text)) is expected


def test_tokens_remember_whether_they_touch() -> None:
    assert [(t.text, t.is_word, t.touches_previous) for t in tokenize("Sev-1 now")] == [
        ("sev", True, False),
        ("-", False, True),
        ("1", True, True),
        ("now", True, False),
    ]


def test_many_playbooks_are_matched_in_time_linear_in_the_message() -> None:
    playbooks = [(f"p{n}", [f"service{n} down", f"alert-{n}", f"#team{n}", f"code{n}"]) for n in range(500)]
    matcher = KeywordMatcher(playbooks)
    assert matcher.keyword_count == 2000
    message = "nothing to see here, just chatting about lunch and the weather " * 20
    assert matched(matcher, message + " alert-499 and SERVICE7 down") == {
        "p499": ("alert-499",),
        "p7": ("service7 down",),
    }

    def seconds_for(text: str) -> float:
        started = time.perf_counter()
        for _ in range(20):
            matcher.match(text)
        return time.perf_counter() - started

    short, long = seconds_for(message), seconds_for(message * 8)
    # Eight times the text costs about eight times as much, whatever the number of keywords.
    assert long < short * 16 + 0.05
    assert short / 20 < 0.05
