"""Strict mode: requests are checked against Mattermost's patched OpenAPI spec and extra rules."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from mattermost_sim import Simulator
from mattermost_sim.app import SIM_KEY, mattermost_middleware
from mattermost_sim.openapi_spec import PathIndex, SpecPatchError, load_patched_spec, patch_spec
from mattermost_sim.request_rules import (
    action_problems,
    attachments_problems,
    channel_problems,
    check_call,
    message_problems,
    props_problems,
)
from mattermost_sim.seed import load_seed_file
from mattermost_sim.validation import Rejection, RequestValidator, default_spec_path, middleware

SEED = Path(__file__).resolve().parents[2] / "seed.yaml"
BOT = {"Authorization": "Bearer bot-token"}
ID_A, ID_B, ID_C = "a" * 26, "b" * 26, "c" * 26
CATEGORIES = f"/api/v4/users/{ID_A}/teams/{ID_B}/channels/categories"


@pytest.fixture(scope="module")
def validator() -> RequestValidator:
    """A validator with the spec; tests needing the spec skip (with the reason) without it."""
    checker = RequestValidator(default_spec_path())
    if checker.skip_reason is not None:
        pytest.skip(checker.skip_reason)
    return checker


def check(
    validator: RequestValidator,
    method: str,
    path: str,
    body: Any = None,
    *,
    headers: dict[str, str] | None = None,
    **options: Any,
) -> Rejection | None:
    """Check one JSON request as the bot sends it."""
    raw = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    return validator.check(method, path, body=raw, headers=BOT if headers is None else headers, **options)


def problems(rejection: Rejection | None) -> str:
    """All problems of a rejection as one string (empty when accepted)."""
    return "; ".join(rejection.problems) if rejection else ""


def attachment(**fields: Any) -> dict[str, Any]:
    """Props holding one attachment."""
    return {"attachments": [{"text": "status", **fields}]}


# ---------------------------------------------------------------- valid requests pass

VALID_REQUESTS: list[tuple[str, str, Any, dict[str, str]]] = [
    ("GET", "/api/v4/users/me", None, {}),
    ("GET", f"/api/v4/users/{ID_A}", None, {}),
    ("GET", "/api/v4/users/username/alice", None, {}),
    ("POST", "/api/v4/users/ids", [ID_A, ID_B], {"since": "0"}),
    ("GET", "/api/v4/teams/name/acme", None, {}),
    ("GET", f"/api/v4/teams/{ID_A}", None, {}),
    (
        "POST",
        "/api/v4/channels",
        {"team_id": ID_A, "name": "inc-7-db", "display_name": "Inc 7", "type": "P"},
        {},
    ),
    ("GET", f"/api/v4/channels/{ID_A}", None, {}),
    ("GET", f"/api/v4/teams/{ID_A}/channels/name/town-square", None, {"include_deleted": "true"}),
    ("GET", "/api/v4/teams/name/acme/channels/name/town-square", None, {}),
    ("POST", f"/api/v4/channels/{ID_A}/members", {"user_id": ID_B}, {}),
    ("POST", f"/api/v4/channels/{ID_A}/members", {"user_ids": [ID_B, ID_C], "post_root_id": ""}, {}),
    ("GET", f"/api/v4/channels/{ID_A}/members", None, {"page": "0", "per_page": "200"}),
    ("POST", "/api/v4/channels/direct", [ID_A, ID_B], {}),
    ("POST", "/api/v4/posts", {"channel_id": ID_A, "message": "hi", "root_id": "", "file_ids": [ID_B]}, {}),
    ("POST", "/api/v4/posts", {"channel_id": ID_A, "message": "", "props": attachment(color="good")}, {}),
    ("POST", "/api/v4/posts", {"channel_id": ID_A, "message": "x"}, {"set_online": "false"}),
    (
        "POST",
        "/api/v4/posts",
        {"channel_id": ID_A, "message": "!", "metadata": {"priority": {"priority": "urgent"}}},
        {},
    ),
    ("GET", f"/api/v4/posts/{ID_A}", None, {}),
    ("PUT", f"/api/v4/posts/{ID_A}", {"id": ID_A, "message": "edited", "props": {"k": "v"}}, {}),
    ("PUT", f"/api/v4/posts/{ID_A}/patch", {"message": "patched", "props": attachment(color="#1A2b3C")}, {}),
    ("DELETE", f"/api/v4/posts/{ID_A}", None, {}),
    (
        "POST",
        "/api/v4/posts/ephemeral",
        {"user_id": ID_A, "post": {"channel_id": ID_B, "message": "psst"}},
        {},
    ),
    ("GET", f"/api/v4/channels/{ID_A}/posts", None, {"page": "0", "per_page": "60"}),
    ("GET", f"/api/v4/channels/{ID_A}/posts", None, {"since": "1700000000000"}),
    ("GET", CATEGORIES, None, {}),
    (
        "POST",
        CATEGORIES,
        {"user_id": ID_A, "team_id": ID_B, "display_name": "Incidents", "type": "custom"},
        {},
    ),
    ("PUT", CATEGORIES, [{"id": ID_C, "user_id": ID_A, "team_id": ID_B, "channel_ids": [ID_C]}], {}),
    ("GET", CATEGORIES + "/order", None, {}),
    ("PUT", CATEGORIES + "/order", [ID_C], {}),
    ("PUT", f"{CATEGORIES}/{ID_C}", {"id": ID_C, "user_id": ID_A, "team_id": ID_B, "sorting": "manual"}, {}),
    ("DELETE", f"{CATEGORIES}/{ID_C}", None, {}),
    ("POST", "/api/v4/users/me/typing", {"channel_id": ID_A, "parent_id": ""}, {}),
    ("POST", "/api/v4/reactions", {"user_id": ID_A, "post_id": ID_B, "emoji_name": "eyes"}, {}),
    ("DELETE", f"/api/v4/users/{ID_A}/posts/{ID_B}/reactions/eyes", None, {}),
    (
        "POST",
        "/api/v4/commands",
        {"team_id": ID_A, "trigger": "incident", "method": "P", "url": "http://bot/c", "auto_complete": True},
        {},
    ),
    ("GET", "/api/v4/commands", None, {"team_id": ID_A, "custom_only": "true"}),
    (
        "PUT",
        f"/api/v4/commands/{ID_C}",
        {"id": ID_C, "team_id": ID_A, "trigger": "incident", "method": "P"},
        {},
    ),
    ("PUT", f"/api/v4/commands/{ID_C}/regen_token", None, {}),
    ("DELETE", f"/api/v4/commands/{ID_C}", None, {}),
    (
        "POST",
        "/api/v4/commands/execute",
        {"channel_id": ID_A, "command": "/incident start db", "team_id": ID_B},
        {},
    ),
    (
        "POST",
        "/api/v4/actions/dialogs/open",
        {"trigger_id": "t", "url": "http://bot/d", "dialog": {"title": "Start", "elements": []}},
        {},
    ),
    (
        "POST",
        "/api/v4/actions/dialogs/submit",
        {
            "url": "http://bot/d",
            "channel_id": ID_A,
            "submission": {"name": "x", "ok": True},
            "callback_id": "c",
        },
        {},
    ),
    ("POST", f"/api/v4/posts/{ID_A}/actions/ack", {"selected_option": "sev1"}, {}),
    ("POST", f"/api/v4/posts/{ID_A}/actions/ack", None, {}),
    ("GET", f"/api/v4/files/{ID_A}", None, {}),
    ("GET", f"/api/v4/files/{ID_A}/info", None, {}),
    ("POST", "/api/v4/bots", {"username": "playbooks", "display_name": "Playbooks"}, {}),
    ("GET", f"/api/v4/bots/{ID_A}", None, {}),
    ("POST", f"/api/v4/users/{ID_A}/tokens", {"description": "bot"}, {}),
]


@pytest.mark.parametrize(("method", "path", "body", "query"), VALID_REQUESTS)
def test_valid_requests_pass(
    validator: RequestValidator, method: str, path: str, body: Any, query: dict[str, str]
) -> None:
    rejection = check(validator, method, path, body, query=query, session_user_id=ID_A)
    assert rejection is None, problems(rejection)


def test_multipart_upload_passes_without_a_body(validator: RequestValidator) -> None:
    # The middleware leaves multipart bodies to the route; params and the token are still checked.
    rejection = validator.check(
        "POST", "/api/v4/files", query={"channel_id": ID_A}, headers=BOT, content_type="multipart/form-data"
    )
    assert rejection is None


def test_dialog_open_needs_no_token(validator: RequestValidator) -> None:
    body = {"trigger_id": "t", "url": "http://bot/d", "dialog": {"title": "Start", "elements": []}}
    assert check(validator, "POST", "/api/v4/actions/dialogs/open", body, headers={}) is None


async def test_ping_needs_no_token(sim: Simulator) -> None:
    # Mattermost answers a health check without a token; strict mode must not count it as bad
    # (a process looking for its own server may call a port the simulator holds).
    assert sim.validator is not None
    async with aiohttp.ClientSession() as http, http.get(sim.url + "/api/v4/system/ping") as response:
        assert response.status == 200
        assert await response.json() == {"status": "OK"}
    assert sim.validator.violations == []


# ---------------------------------------------------------------- invalid requests fail


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "expected"),
    [
        ("POST", "/api/v4/posts", {"channel_id": ID_A}, 400, "'message' is a required property"),
        ("POST", "/api/v4/posts", {"channel_id": ID_A, "message": 5}, 400, "body.message: 5 is not of type"),
        (
            "PUT",
            f"/api/v4/posts/{ID_A}/patch",
            {"props": "{}"},
            400,
            "body.props: '{}' is not of type 'object'",
        ),
        ("PUT", f"/api/v4/posts/{ID_A}", {"id": ID_A, "props": "x"}, 400, "is not of type 'object'"),
        ("POST", f"/api/v4/channels/{ID_A}/members", {"post_root_id": ""}, 400, "body"),
        (
            "POST",
            "/api/v4/channels",
            {"team_id": ID_A, "name": "x", "display_name": "X", "type": "D"},
            400,
            "body.type",
        ),
        ("POST", "/api/v4/channels/direct", [ID_A], 400, "is too short"),
        (
            "POST",
            "/api/v4/commands",
            {"team_id": ID_A, "trigger": "x", "method": "POST", "url": "u"},
            400,
            "method",
        ),
        ("POST", "/api/v4/posts", None, 400, "a JSON request body is required"),
        ("POST", "/api/v4/posts", b'{"channel_id": ', 400, "not valid JSON"),
        ("GET", "/api/v4/incidents", None, 404, "no such endpoint"),
        ("PATCH", f"/api/v4/posts/{ID_A}", None, 405, "no such method"),
    ],
)
def test_invalid_requests_fail(
    validator: RequestValidator, method: str, path: str, body: Any, status: int, expected: str
) -> None:
    rejection = check(validator, method, path, body)
    assert rejection is not None
    assert expected in problems(rejection)
    assert rejection.error.status == status


def test_bad_query_parameter_is_a_url_param_error(validator: RequestValidator) -> None:
    rejection = check(validator, "GET", f"/api/v4/channels/{ID_A}/posts", query={"page": "first"})
    assert rejection is not None
    assert rejection.problems == ["query parameter 'page': 'first' is not a valid integer"]
    assert rejection.error.error_id == "api.context.invalid_url_param.app_error"


@pytest.mark.parametrize("headers", [{}, {"Authorization": "bot-token"}, {"Authorization": "Basic Ym90"}])
def test_missing_or_wrong_auth_is_401(validator: RequestValidator, headers: dict[str, str]) -> None:
    rejection = check(validator, "GET", "/api/v4/users/me", headers=headers)
    assert rejection is not None
    assert rejection.error.status == 401
    assert rejection.error.error_id == "api.context.session_expired.app_error"


def test_wrong_content_type_is_named(validator: RequestValidator) -> None:
    body = json.dumps({"channel_id": ID_A, "message": "hi"}).encode()
    rejection = validator.check("POST", "/api/v4/posts", body=body, headers=BOT, content_type="text/plain")
    assert "content type 'text/plain' is not accepted here (send application/json)" in problems(rejection)


def test_extra_rules_run_with_the_spec(validator: RequestValidator) -> None:
    body = {"id": ID_B, "message": "x" * 16384}
    rejection = check(validator, "PUT", f"/api/v4/posts/{ID_A}", body)
    assert rejection is not None
    assert any("16384 runes" in text for text in rejection.problems)
    assert any("must equal the post id" in text for text in rejection.problems)


def test_oversized_json_body_is_refused(validator: RequestValidator) -> None:
    body = {"channel_id": ID_A, "message": "hi", "props": {"blob": "x" * 300_000}}
    assert "Mattermost reads at most 300000" in problems(check(validator, "POST", "/api/v4/posts", body))


def test_record_and_take_violations(validator: RequestValidator) -> None:
    fresh = RequestValidator(default_spec_path())
    rejection = check(validator, "POST", "/api/v4/posts", {"channel_id": ID_A})
    assert rejection is not None
    fresh.record("POST", "/api/v4/posts", rejection)
    assert fresh.take_violations() == ["POST /api/v4/posts: body: 'message' is a required property"]
    assert fresh.violations == []


# ---------------------------------------------------------------- the patched spec


def test_patched_spec_fixes_the_documented_defects(validator: RequestValidator) -> None:
    spec_path = default_spec_path()
    assert spec_path is not None
    spec = load_patched_spec(spec_path)
    paths = spec["paths"]
    post = paths["/api/v4/posts/{post_id}"]["put"]["requestBody"]["content"]["application/json"]["schema"]
    assert post["properties"]["props"]["type"] == "object"
    assert "200" in paths["/api/v4/reactions"]["post"]["responses"]
    assert "201" not in paths["/api/v4/reactions"]["post"]["responses"]
    categories = paths[CATEGORIES.replace(ID_A, "{user_id}").replace(ID_B, "{team_id}")]
    listed = categories["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert listed == {"$ref": "#/components/schemas/OrderedSidebarCategories"}
    assert spec["servers"] == [{"url": "/"}]
    assert all(path.startswith("/api/v4/") for path in paths)


def test_patched_spec_has_unique_operation_ids(validator: RequestValidator) -> None:
    spec_path = default_spec_path()
    assert spec_path is not None
    operation_ids = [
        operation["operationId"]
        for item in load_patched_spec(spec_path)["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict) and "operationId" in operation
    ]
    assert len(operation_ids) == len(set(operation_ids))


def test_a_document_without_mattermost_operations_is_refused() -> None:
    raw = {"openapi": "3.0.0", "paths": {"/api/v4/a": {"get": {"operationId": "A"}}}}
    with pytest.raises(SpecPatchError, match=r"spec has no PUT /api/v4/posts/\{post_id\} to patch"):
        patch_spec(raw)


def test_patched_spec_is_cached_as_json(validator: RequestValidator, tmp_path: Path) -> None:
    spec_path = default_spec_path()
    assert spec_path is not None
    first = load_patched_spec(spec_path, cache=tmp_path)
    [cached] = tmp_path.glob("mattermost-openapi-*.json")
    assert json.loads(cached.read_bytes()) == first
    cached.write_text("{not json")  # a damaged cache is rebuilt, not trusted
    assert load_patched_spec(spec_path, cache=tmp_path) == first


def test_path_index_prefers_literal_segments() -> None:
    index = PathIndex(["/api/v4/channels/{channel_id}", "/api/v4/channels/direct", "/api/v4/users/{user_id}"])
    assert [template for template, _ in index.matches("/api/v4/channels/direct")] == [
        "/api/v4/channels/direct",
        "/api/v4/channels/{channel_id}",
    ]
    assert index.matches("/api/v4/users/me") == [("/api/v4/users/{user_id}", {"user_id": "me"})]
    assert index.matches("/api/v4/users/") == []


# ---------------------------------------------------------------- without the spec


def test_without_the_spec_only_the_extra_rules_run(tmp_path: Path) -> None:
    checker = RequestValidator(tmp_path / "absent.yaml")
    assert checker.skip_reason is not None
    assert "absent.yaml is missing" in checker.skip_reason
    assert checker.check("GET", "/api/v4/anything") is None
    rejection = checker.check("POST", "/api/v4/channels/direct", body=json.dumps([ID_A]).encode())
    assert rejection is not None
    assert rejection.problems == ["body must be a JSON array of exactly two user ids"]
    assert checker.check("POST", "/api/v4/posts", body=b"{oops").problems == ["body is not valid JSON"]  # type: ignore[union-attr]


# ---------------------------------------------------------------- rules


def test_message_limit_counts_runes() -> None:
    assert message_problems("é" * 16383) == []
    assert message_problems("é" * 16384) == ["message has 16384 runes; Mattermost allows 16383"]
    assert message_problems(None) == ["message must be a string"]


def test_props_must_be_a_small_object() -> None:
    assert props_problems("{}") == ["props must be a JSON object"]
    assert props_problems({"big": "x" * 800_000})[0].startswith("props serialise to")
    assert props_problems(None) == []


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"color": "#00ff00"}, []),
        ({"color": "danger"}, []),
        ({"color": "red"}, ["props.attachments[0].color 'red' must be good, warning, danger or #RRGGBB"]),
        ({"color": "#0f0"}, ["props.attachments[0].color '#0f0' must be good, warning, danger or #RRGGBB"]),
        ({"title": "T", "title_link": "https://x.example/run"}, []),
        ({"title_link": "https://x.example/run"}, ["props.attachments[0].title_link needs title"]),
        (
            {"author_name": "a", "author_icon": "ftp://x/i.png"},
            ["props.attachments[0].author_icon 'ftp://x/i.png' must be an http(s) URL"],
        ),
        (
            {"fields": [{"title": "Sev", "value": "1", "short": "yes"}]},
            ["props.attachments[0].fields[0].short must be a boolean"],
        ),
        ({"ts": 1700000000}, []),
        ({"ts": True}, ["props.attachments[0].ts must be a string or an integer"]),
    ],
)
def test_attachment_rules(fields: dict[str, Any], expected: list[str]) -> None:
    assert props_problems(attachment(**fields)) == expected


def test_action_ids_are_alphanumeric_and_unique() -> None:
    actions = [
        {"id": "ack", "name": "Ack", "integration": {"url": "http://bot/a", "context": {"k": 1}}},
        {"id": "ack", "name": "Again"},
        {"id": "end-run", "name": "End"},
        {"name": "Server assigns my id"},
    ]
    assert attachments_problems([{"actions": actions}]) == [
        "props.attachments[0].actions[2].id 'end-run' must match [A-Za-z0-9]+ or clicks on it 404",
        "props.attachments[0].actions[1].id 'ack' repeats in this post",
    ]


def test_action_ids_are_unique_across_attachments() -> None:
    problems_found = attachments_problems(
        [{"actions": [{"id": "go", "name": "Go"}]}, {"actions": [{"id": "go", "name": "Go"}]}]
    )
    assert problems_found == ["props.attachments[1].actions[0].id 'go' repeats in this post"]


def test_action_shape() -> None:
    assert action_problems({"id": "x", "name": "", "type": "link", "style": "loud"}, "a") == [
        "a.name is required",
        "a.type 'link' must be button or select",
        "a.style 'loud' is not a Mattermost button style",
    ]
    assert action_problems({"name": "n", "integration": {"url": "/plugins/p/x", "context": []}}, "a") == [
        "a.integration.context must be an object"
    ]
    assert action_problems({"name": "n", "integration": {"url": "bot/x"}}, "a") == [
        "a.integration.url 'bot/x' must be an http(s) URL or a /plugins/ path"
    ]


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("inc-12-db-down", True),
        ("a", True),
        ("a__b", True),
        ("Inc", False),
        ("-inc", False),
        ("inc-", True),  # current servers allow a trailing "-"; older ones did not
        ("x" * 65, False),
        (f"{ID_A}__{ID_B}", False),
        ("0123456789abcdef0123456789abcdef01234567", False),
    ],
)
def test_channel_names(name: str, ok: bool) -> None:
    body = {"name": name, "display_name": "Incident", "type": "O", "team_id": ID_A}
    assert (channel_problems(body) == []) is ok


def test_channel_text_limits() -> None:
    body = {"name": "ok", "display_name": " ", "header": "h" * 1025, "purpose": "p" * 251}
    assert channel_problems(body) == [
        "header has 1025 runes; Mattermost allows 1024",
        "purpose has 251 runes; Mattermost allows 250",
        "display_name must not be blank",
    ]


def test_direct_channel_needs_two_ids() -> None:
    assert list(check_call("POST", "/api/v4/channels/direct", [ID_A, ID_A])) == []
    assert list(check_call("POST", "/api/v4/channels/direct", [ID_A, "alice"])) == [
        "body[1] 'alice' is not a 26-character user id"
    ]
    assert list(check_call("POST", "/api/v4/channels/direct", [ID_A, ID_B, ID_C])) == [
        "body must be a JSON array of exactly two user ids"
    ]


def test_categories_belong_to_the_path_user_and_team() -> None:
    path = "/api/v4/users/me/teams/" + ID_B + "/channels/categories"
    good = {"user_id": ID_A, "team_id": ID_B, "display_name": "X", "type": "custom"}
    assert list(check_call("POST", path, good, session_user_id=ID_A)) == []
    assert list(check_call("POST", path, {**good, "user_id": ID_C}, session_user_id=ID_A)) == [
        f"user_id '{ID_C}' must equal the path's user_id '{ID_A}'"
    ]
    assert list(check_call("PUT", path, [{**good, "team_id": ID_C}], session_user_id=ID_A)) == [
        f"body[0].team_id '{ID_C}' must equal the path's team_id '{ID_B}'"
    ]
    assert list(check_call("PUT", f"{path}/{ID_C}", {**good, "id": ID_A}, session_user_id=ID_A)) == [
        f"id '{ID_A}' must equal the path's category_id '{ID_C}'"
    ]
    assert list(check_call("PUT", f"{path}/order", [ID_C], session_user_id=ID_A)) == []


def test_post_rules_cover_every_post_endpoint() -> None:
    long = "x" * 16384
    assert list(check_call("POST", "/api/v4/posts", {"channel_id": ID_A, "message": long}))
    assert list(check_call("PUT", f"/api/v4/posts/{ID_A}/patch", {"props": attachment(color="red")}))
    assert list(check_call("POST", "/api/v4/posts/ephemeral", {"user_id": ID_A, "post": {"message": long}}))
    assert list(check_call("POST", "/api/v4/posts", {"message": "", "file_ids": [ID_A] * 6})) == [
        "file_ids lists 6 files; a post holds at most 5"
    ]


# ---------------------------------------------------------------- the middleware


@pytest.fixture
async def strict_client(validator: RequestValidator) -> AsyncIterator[tuple[TestClient[Any, Any], Simulator]]:
    """A minimal app behind the simulator's middlewares, with echo routes that read the body."""
    simulator = Simulator(strict=True, spec_path=default_spec_path())
    load_seed_file(simulator.state, SEED)
    app = web.Application(middlewares=[mattermost_middleware, middleware])
    app[SIM_KEY] = simulator

    async def echo_json(request: web.Request) -> web.Response:
        return web.json_response({"echo": await request.json()}, status=201)

    async def echo_form(request: web.Request) -> web.Response:
        form = await request.post()
        upload = form["files"]
        assert isinstance(upload, web.FileField)
        return web.json_response({"name": upload.filename, "size": len(upload.file.read())}, status=201)

    async def hook(request: web.Request) -> web.Response:
        return web.Response(text=await request.text())

    app.router.add_post("/api/v4/posts", echo_json)
    app.router.add_post("/api/v4/files", echo_form)
    app.router.add_post("/hooks/commands/{hook_id}", hook)
    app.router.add_get("/_sim/state", hook)
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        yield client, simulator
    finally:
        await client.close()


async def test_middleware_passes_valid_requests_with_the_body_intact(
    strict_client: tuple[TestClient[Any, Any], Simulator],
) -> None:
    client, simulator = strict_client
    body = {"channel_id": ID_A, "message": "hello"}
    response = await client.post("/api/v4/posts", json=body, headers=BOT)
    assert response.status == 201
    assert await response.json() == {"echo": body}
    assert simulator.validator is not None
    assert simulator.validator.violations == []


async def test_middleware_answers_app_error_and_records(
    strict_client: tuple[TestClient[Any, Any], Simulator],
) -> None:
    client, simulator = strict_client
    response = await client.post("/api/v4/posts", json={"channel_id": ID_A, "message": 7}, headers=BOT)
    assert response.status == 400
    error = await response.json()
    assert error["id"] == "api.context.invalid_body_param.app_error"
    assert "body.message: 7 is not of type 'string'" in error["detailed_error"]
    assert error["request_id"] == response.headers["X-Request-Id"]
    assert simulator.validator is not None
    assert simulator.validator.take_violations() == [
        "POST /api/v4/posts: body.message: 7 is not of type 'string'"
    ]


async def test_middleware_refuses_missing_token(
    strict_client: tuple[TestClient[Any, Any], Simulator],
) -> None:
    client, simulator = strict_client
    response = await client.post("/api/v4/posts", json={"channel_id": ID_A, "message": "x"})
    assert response.status == 401
    assert (await response.json())["id"] == "api.context.session_expired.app_error"
    assert simulator.validator is not None
    assert simulator.validator.take_violations() == [
        "POST /api/v4/posts: needs an 'Authorization: Bearer <token>' header"
    ]


async def test_middleware_leaves_multipart_to_the_route(
    strict_client: tuple[TestClient[Any, Any], Simulator],
) -> None:
    client, simulator = strict_client
    form = aiohttp.FormData()
    form.add_field("channel_id", ID_A)
    form.add_field("files", b"incident log", filename="log.txt", content_type="text/plain")
    response = await client.post("/api/v4/files", data=form, headers=BOT)
    assert response.status == 201
    assert await response.json() == {"name": "log.txt", "size": 12}
    assert simulator.validator is not None
    assert simulator.validator.violations == []


async def test_middleware_skips_non_api_paths(strict_client: tuple[TestClient[Any, Any], Simulator]) -> None:
    client, simulator = strict_client
    response = await client.post("/hooks/commands/abc", data="not json")
    assert (response.status, await response.text()) == (200, "not json")
    assert (await client.get("/_sim/state")).status == 200
    assert simulator.validator is not None
    assert simulator.validator.violations == []


async def test_strict_simulator_checks_requests(sim: Simulator, validator: RequestValidator) -> None:
    assert sim.validator is not None
    async with aiohttp.ClientSession() as http:
        async with http.get(sim.url + "/api/v4/users/me", headers=BOT) as response:
            assert response.status == 200
        assert sim.validator.violations == []
        async with http.put(
            f"{sim.url}/api/v4/posts/{ID_A}/patch", json={"props": "{}"}, headers=BOT
        ) as response:
            assert response.status == 400
    assert sim.validator.take_violations() == [
        f"PUT /api/v4/posts/{ID_A}/patch: body.props: '{{}}' is not of type 'object'"
    ]
