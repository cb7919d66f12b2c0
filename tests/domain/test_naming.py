"""Run names, channel names and run ids."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.errors import DomainError
from bot.domain.naming import (
    MAX_RUN_NAME_LENGTH,
    RunNameRequiredError,
    ascii_slug,
    channel_display_name,
    channel_slug,
    format_run_id,
    is_valid_channel_name,
    next_candidate,
    run_display_name,
)

SAFE_CHANNEL_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}[a-z0-9]$")
DM_OR_GM_NAME = re.compile(r"^([a-z0-9]{26}__[a-z0-9]{26}|[0-9a-f]{40})$")


def assert_valid_channel_name(name: str) -> None:
    assert SAFE_CHANNEL_NAME.match(name), name
    assert not DM_OR_GM_NAME.match(name), name
    assert "__" not in name
    assert is_valid_channel_name(name)


# Run names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "given_name", "expected"),
    [
        ("Incident: <name>", "Database down", "Incident: Database down"),
        ("Incident: <run name>", "Database down", "Incident: Database down"),
        ("{NAME} review", "Q3", "Q3 review"),
        ("<Name> — {name}", "x", "x — x"),
        ("QX 20YY - OKR Review", "", "QX 20YY - OKR Review"),
        ("QX 20YY - OKR Review", "Q3 2026 OKR Review", "Q3 2026 OKR Review"),
        ("", "  Database \n  down ", "Database down"),
        ("   ", "Database down", "Database down"),
        ("a < b > c", "", "a < b > c"),  # not a placeholder: a token has no space inside its brackets
    ],
)
def test_run_display_name(template: str, given_name: str, expected: str) -> None:
    assert run_display_name(template, given_name) == expected


def test_known_tokens_take_their_values_and_the_rest_take_the_given_name() -> None:
    name = run_display_name("{SEQ}: {TITLE}", "Database down", values={"seq": "INC-00042"})
    assert name == "INC-00042: Database down"


def test_known_tokens_alone_need_no_given_name() -> None:
    assert run_display_name("Run {SEQ}", "", values={"SEQ": "00007"}) == "Run 00007"


def test_a_template_with_a_placeholder_needs_a_name() -> None:
    with pytest.raises(RunNameRequiredError) as raised:
        run_display_name("Incident: <name>", "   ")
    assert raised.value.message == "Give the run a name; this playbook names runs “Incident: <name>”."
    assert isinstance(raised.value, DomainError)


def test_no_template_and_no_name_is_refused() -> None:
    with pytest.raises(RunNameRequiredError, match=r"Give the run a name\."):
        run_display_name("", "")


def test_run_names_are_bounded() -> None:
    assert len(run_display_name("", "x" * 5000)) == MAX_RUN_NAME_LENGTH


@given(st.text(max_size=200), st.text(max_size=200))
def test_run_display_name_either_names_the_run_or_asks_for_a_name(template: str, given_name: str) -> None:
    try:
        name = run_display_name(template, given_name)
    except RunNameRequiredError:
        return
    assert name
    assert name == name.strip()
    assert len(name) <= MAX_RUN_NAME_LENGTH


def test_channel_display_name_is_collapsed_and_cut_to_64_characters() -> None:
    assert channel_display_name("  Database \t down ") == "Database down"
    assert len(channel_display_name("x" * 100)) == 64
    # A cut never leaves a lone combining accent or a half emoji sequence behind.
    assert channel_display_name("e" * 63 + "e\u0301") == "e" * 63
    assert channel_display_name("a" * 62 + "👩\u200d🚒") == "a" * 62
    assert channel_display_name("a" * 63 + "👍🏽") == "a" * 63


# Channel names --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("display_name", "number", "prefix", "expected"),
    [
        ("Database down", 42, "INC", "inc-00042-database-down"),
        ("Database down", 42, "", "run-00042-database-down"),
        ("QX 20YY - OKR Review", 3, "OKR", "okr-00003-qx-20yy-okr-review"),
        ("Café crème at Straße 5", 1, "", "run-00001-cafe-creme-at-strasse-5"),
        ("Инцидент 42", 7, "", "run-00007-intsident-42"),
        ("日本語", 8, "", "run-00008"),
        ("🔥fire🔥drill🔥", 9, "", "run-00009-fire-drill"),
        ("Don't panic!!!", 10, "", "run-00010-dont-panic"),
        ("\ufb01nal \uff21\uff22\uff23 \uff11\uff12\uff13", 11, "", "run-00011-final-abc-123"),
        ("Database down", 100000, "INC", "inc-100000-database-down"),
        ("x", 5, "Über Team!", "uber-team-00005-x"),
        ("x", 5, "---", "run-00005-x"),
    ],
)
def test_channel_slug(display_name: str, number: int, prefix: str, expected: str) -> None:
    assert channel_slug(display_name, number, prefix=prefix) == expected


def test_long_names_are_cut_at_a_word_boundary_within_64_characters() -> None:
    slug = channel_slug(
        "Database cluster in eu-west-1 is refusing connections from the api tier", 42, prefix="INC"
    )
    assert slug == "inc-00042-database-cluster-in-eu-west-1-is-refusing-connections"
    assert len(slug) <= 64


def test_channel_slugs_sort_by_run_number() -> None:
    slugs = [channel_slug("Same name", number, prefix="INC") for number in (9, 10, 99, 100, 12345)]
    assert slugs == sorted(slugs)


def test_channel_slug_refuses_impossible_run_numbers() -> None:
    with pytest.raises(ValueError, match="out of range"):
        channel_slug("x", -1)
    with pytest.raises(ValueError, match="out of range"):
        channel_slug("x", 10**15)


@given(
    st.text(max_size=300),
    st.integers(min_value=0, max_value=10**15 - 1),
    st.text(max_size=40),
)
def test_any_input_gives_a_valid_channel_name(display_name: str, number: int, prefix: str) -> None:
    slug = channel_slug(display_name, number, prefix=prefix)
    assert_valid_channel_name(slug)
    assert f"{number:05d}" in slug


@given(st.text(max_size=300))
def test_ascii_slug_is_lowercase_ascii_words(text: str) -> None:
    slug = ascii_slug(text)
    assert re.fullmatch(r"([a-z0-9]+(-[a-z0-9]+)*)?", slug)


# Collisions -----------------------------------------------------------------------------------


def test_next_candidate_numbers_the_alternatives() -> None:
    assert next_candidate("inc-00042-database-down", 0) == "inc-00042-database-down"
    assert next_candidate("inc-00042-database-down", 1) == "inc-00042-database-down-2"
    assert next_candidate("inc-00042-database-down", 9) == "inc-00042-database-down-10"


def test_next_candidate_stays_within_64_characters() -> None:
    full = channel_slug("word " * 30, 42, prefix="INC")
    assert len(full) <= 64
    candidate = next_candidate("a" * 64, 12)
    assert candidate == "a" * 61 + "-13"


def test_next_candidate_refuses_negative_attempts() -> None:
    with pytest.raises(ValueError, match="negative"):
        next_candidate("x", -1)


@given(st.text(max_size=100), st.integers(min_value=0, max_value=10_000))
def test_every_candidate_is_valid(name: str, attempt: int) -> None:
    assert_valid_channel_name(next_candidate(name, attempt))


@given(st.integers(min_value=0, max_value=10**15 - 1), st.integers(min_value=1, max_value=50))
def test_candidates_differ_from_the_original(number: int, attempt: int) -> None:
    original = channel_slug("word " * 30, number, prefix="INC")
    assert next_candidate(original, attempt) != original


def test_group_message_shaped_names_are_never_valid() -> None:
    assert not is_valid_channel_name("0123456789abcdef0123456789abcdef01234567")
    assert is_valid_channel_name("inc-00042")
    assert not is_valid_channel_name("a")
    assert not is_valid_channel_name("-abc")
    assert not is_valid_channel_name("abc_def")


# Run ids --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "number", "expected"),
    [
        ("INC", 42, "INC-00042"),
        ("", 42, "00042"),
        ("  OKR ", 7, "OKR-00007"),
        ("INC", 100000, "INC-100000"),
        ("INC", 0, "INC-00000"),
    ],
)
def test_format_run_id(prefix: str, number: int, expected: str) -> None:
    assert format_run_id(prefix, number) == expected


def test_format_run_id_refuses_negative_numbers() -> None:
    with pytest.raises(ValueError, match="negative"):
        format_run_id("INC", -1)
