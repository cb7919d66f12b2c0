"""Any slash-command form or text is parsed into a call or refused with a clear message."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.registry import build_routers
from handlers.replies import CommandRequest, MalformedRequestError, Reply
from handlers.slash import CommandCall

FAST = settings(max_examples=60, deadline=None)
ROUTER = build_routers().commands
REQUIRED = ("token", "team_id", "channel_id", "user_id", "command")
FIELDS = (*REQUIRED, "text", "team_domain", "channel_name", "user_name", "trigger_id", "response_url")

words = st.one_of(
    st.sampled_from([route.name for route in ROUTER.routes]),
    st.sampled_from(['"', "'", "\\", "--", "@alice", "#1", "“quoted”", "\x00", "\u202e"]),
    st.text(max_size=20),
)
command_texts = st.lists(words, max_size=6).map(" ".join) | st.text(max_size=300)


def request_with(text: str) -> CommandRequest:
    return CommandRequest(
        token="t",
        team_id="team",
        team_domain="",
        channel_id="chan",
        channel_name="",
        user_id="user",
        user_name="",
        command="/playbook",
        text=text,
        trigger_id="",
        response_url="",
    )


@FAST
@given(command_texts)
def test_any_text_parses_to_a_known_sub_command_or_a_helpful_reply(text: str) -> None:
    parsed = ROUTER.parse(request_with(text), services=None)
    if isinstance(parsed, Reply):
        assert parsed.text.strip()
        assert f"/{ROUTER.trigger}" in parsed.text
    else:
        assert isinstance(parsed, CommandCall)
        assert parsed.name in {route.name for route in ROUTER.routes}
        assert parsed.deferred == []


@FAST
@given(st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=10), st.text(max_size=50), max_size=12))
def test_any_form_is_a_request_or_names_what_is_wrong(form: dict[str, str]) -> None:
    body = urlencode(form)
    try:
        request: CommandRequest | MalformedRequestError = CommandRequest.from_body(body)
    except MalformedRequestError as error:
        request = error
    if isinstance(request, MalformedRequestError):
        assert str(request).startswith(("missing field", "field "))
    else:
        assert all(name in form for name in REQUIRED)
        assert request.text == form.get("text", "")


@FAST
@given(st.binary(max_size=400).map(lambda raw: raw.decode("latin-1")))
def test_any_body_text_is_parsed_or_refused(body: str) -> None:
    problem = ""
    try:
        CommandRequest.from_body(body)
    except MalformedRequestError as error:
        problem = str(error) or "(no message)"
    assert problem != "(no message)"


@FAST
@given(st.sampled_from(REQUIRED), st.integers(20_001, 40_000))
def test_oversized_fields_are_refused_by_name(name: str, length: int) -> None:
    form = {field: "x" for field in REQUIRED} | {name: "y" * length}
    with pytest.raises(MalformedRequestError, match=f"field '{name}' is too long"):
        CommandRequest.from_body(urlencode(form))
