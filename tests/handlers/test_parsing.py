"""Parsing of Mattermost's callbacks: forms, clicks, submissions, and the sub-command router."""

from __future__ import annotations

import contextlib
from urllib.parse import urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.services.run_access import RunAction
from handlers.callbacks import ActionRequest, DialogRequest
from handlers.replies import CommandRequest, MalformedRequestError, Reply
from handlers.slash import CommandCall, CommandRouter

FORM = {
    "token": "tok",
    "team_id": "team1",
    "team_domain": "acme",
    "channel_id": "chan1",
    "channel_name": "town-square",
    "user_id": "user1",
    "user_name": "alice",
    "command": "/playbook",
    "text": "run  Incident response",
    "trigger_id": "trig",
    "response_url": "http://mm/hooks/commands/x",
}


def test_command_form_parses_every_field() -> None:
    request = CommandRequest.from_body(urlencode(FORM))
    assert request.user_name == "alice"
    assert request.text == "run  Incident response"
    assert request.response_url == "http://mm/hooks/commands/x"


def test_command_form_missing_field_is_refused() -> None:
    form = dict(FORM)
    del form["user_id"]
    with pytest.raises(MalformedRequestError, match="user_id"):
        CommandRequest.from_body(urlencode(form))


def test_oversize_field_is_refused() -> None:
    with pytest.raises(MalformedRequestError, match="too long"):
        CommandRequest.from_body(urlencode(FORM | {"text": "x" * 50_000}))


@given(st.text(max_size=300))
def test_any_body_parses_or_is_refused_cleanly(body: str) -> None:
    with contextlib.suppress(MalformedRequestError):
        CommandRequest.from_body(body)


def _router() -> CommandRouter:
    router = CommandRouter()

    @router.command("run", "[name]", "start a run")
    async def run(call: CommandCall) -> Reply:
        return Reply(f"run {call.rest}")

    @router.command("help", "", "this help", group="Help")
    async def help_(call: CommandCall) -> Reply:
        return Reply(router.help_text())

    return router


async def test_router_dispatches_with_quoted_arguments() -> None:
    router = _router()
    call = router.parse(CommandRequest.from_body(urlencode(FORM | {"text": 'run "db down" now'})), None)
    assert isinstance(call, CommandCall)
    assert call.args == ["db down", "now"]
    assert (await router.dispatch(call)).text == "run db down now"


def test_router_unknown_subcommand_says_so_without_the_whole_help() -> None:
    reply = _router().parse(CommandRequest.from_body(urlencode(FORM | {"text": "launch"})), None)
    assert isinstance(reply, Reply)
    assert reply.text == "`launch` is not a `/playbook` command. `/playbook help` lists every command."


def test_router_unknown_subcommand_suggests_the_closest() -> None:
    reply = _router().parse(CommandRequest.from_body(urlencode(FORM | {"text": "rn db"})), None)
    assert isinstance(reply, Reply)
    assert reply.text.startswith("`rn` is not a `/playbook` command. Did you mean `/playbook run [name]`")


def test_router_unbalanced_quote_is_explained() -> None:
    reply = _router().parse(CommandRequest.from_body(urlencode(FORM | {"text": 'run "db'})), None)
    assert isinstance(reply, Reply)
    assert "quotation mark" in reply.text


def test_free_text_is_read_as_typed_quotes_and_apostrophes_included() -> None:
    router = _router()

    @router.command("note", "TEXT…", "free text", free_text=True)
    async def note(call: CommandCall) -> Reply:
        return Reply(call.text_after(1))

    for text, after in (
        ('note 1 Call "the vendor"  now', 'Call "the vendor"  now'),
        ("note 1 Don't panic", "Don't panic"),
        ("note 1", ""),
    ):
        call = router.parse(CommandRequest.from_body(urlencode(FORM | {"text": text})), None)
        assert isinstance(call, CommandCall), text
        assert call.text_after(1) == after
    # Other commands still refuse an unclosed quotation mark.
    refused = router.parse(CommandRequest.from_body(urlencode(FORM | {"text": "run don't"})), None)
    assert isinstance(refused, Reply)
    assert "quotation mark is not closed" in refused.text


def test_router_empty_text_means_help() -> None:
    call = _router().parse(CommandRequest.from_body(urlencode(FORM | {"text": ""})), None)
    assert isinstance(call, CommandCall)
    assert call.name == "help"


def test_a_run_number_right_after_a_run_command_names_the_run() -> None:
    router = _router()

    @router.command("check", "CHECKLIST TASK", "check a task", needs=RunAction.CHANGE)
    async def check(call: CommandCall) -> Reply:
        return Reply()

    def parsed(text: str) -> CommandCall:
        call = router.parse(CommandRequest.from_body(urlencode(FORM | {"text": text})), None)
        assert isinstance(call, CommandCall)
        return call

    numbered = parsed("check #42 1 2")
    assert (numbered.run_number, numbered.args) == (42, ["1", "2"])
    later = parsed("check 1 #2")  # only right after the command's name
    assert (later.run_number, later.args) == (None, ["1", "#2"])
    not_about_a_run = parsed("run #7 drill")  # "run" needs no run: the text is its own
    assert (not_about_a_run.run_number, not_about_a_run.args) == (None, ["#7", "drill"])


def test_router_refuses_duplicate_registration() -> None:
    router = _router()

    async def again(call: CommandCall) -> Reply:
        return Reply()

    with pytest.raises(ValueError, match="twice"):
        router.command("run", "", "")(again)


def test_click_needs_a_context_object() -> None:
    with pytest.raises(MalformedRequestError, match="context"):
        ActionRequest.from_json({"user_id": "u", "context": "nope"})
    with pytest.raises(MalformedRequestError, match="object"):
        ActionRequest.from_json(["not", "an", "object"])


def test_click_with_non_string_field_is_refused() -> None:
    with pytest.raises(MalformedRequestError, match="user_id"):
        ActionRequest.from_json({"user_id": 5, "context": {}})


def test_submission_values_read_tolerantly() -> None:
    submission = DialogRequest.from_json(
        {"user_id": "u", "callback_id": "start", "submission": {"name": "  db  ", "n": 3, "gone": None}}
    )
    assert submission.text("name") == "db"
    assert submission.text("n") == "3"
    assert submission.text("gone") == ""
    assert submission.text("missing") == ""


def test_reply_renders_command_response() -> None:
    body = Reply("hi", attachments=[{"text": "x"}]).to_command_response()
    assert body == {
        "response_type": "ephemeral",
        "text": "hi",
        "skip_slack_parsing": True,
        "attachments": [{"text": "x"}],
    }
