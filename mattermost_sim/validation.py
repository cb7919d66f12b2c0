"""Strict mode: every REST request is checked against Mattermost's (patched) OpenAPI spec.

The spec covers method, path, parameters, JSON body and the bearer token;
:mod:`.request_rules` adds the rules Mattermost enforces that the spec cannot express. A request
that breaks either is recorded in :attr:`RequestValidator.violations` and answered the way the
strictest Mattermost would (401, 404, 405 or 400 AppError) before any route runs.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy, MultiDict, MultiDictProxy

from .app import MAX_PAYLOAD_BYTES, Handler, bearer_token, sim_of
from .errors import AppError, unauthorized
from .openapi_spec import HTTP_METHODS
from .request_rules import check_call, rule_for

log = logging.getLogger(__name__)

API_PREFIX = "/api/v4/"
UNCHECKED_PREFIXES = ("/api/v4/websocket",)
FILE_UPLOAD_PATH = "/api/v4/files"


def default_spec_path() -> Path | None:
    """``../shared/mattermost-openapi-v4.yaml`` beside the project, if present."""
    candidate = Path(__file__).resolve().parent.parent.parent / "shared" / "mattermost-openapi-v4.yaml"
    return candidate if candidate.is_file() else None


def is_checked_path(path: str) -> bool:
    """Whether strict mode checks requests to ``path``: REST API calls, not the websocket."""
    return path.startswith(API_PREFIX) and not path.startswith(UNCHECKED_PREFIXES)


@dataclass(frozen=True)
class Rejection:
    """What was wrong with a request and the AppError Mattermost would answer."""

    problems: list[str]
    error: AppError


BODY_PARAM = "api.context.invalid_body_param.app_error"


@dataclass
class _Problems:
    """Problems of one request and the answer the first (most telling) one calls for."""

    items: list[str] = field(default_factory=list)
    status: int = 400
    error_id: str = BODY_PARAM

    def add(self, text: str, status: int = 400, error_id: str = BODY_PARAM) -> None:
        if not self.items:
            self.status, self.error_id = status, error_id
        self.items.append(text)


class RequestValidator:
    """Checks REST requests against the spec and the extra rules; records every violation.

    Without the spec file only the extra rules run, and :attr:`skip_reason` says why.
    """

    def __init__(self, spec_path: Path | None) -> None:
        self.spec_path = spec_path
        self.violations: list[str] = []
        self.skip_reason: str | None = None
        self._openapi: Any = None
        if spec_path is None or not Path(spec_path).is_file():
            self.skip_reason = (
                f"OpenAPI checks skipped: the Mattermost spec file {spec_path or '(none given)'} is missing;"
                " only the rules the spec cannot express are checked"
            )
        else:
            resolved = Path(spec_path).resolve()
            stat = resolved.stat()
            from .openapi_check import request_validator

            self._openapi = request_validator(str(resolved), stat.st_mtime_ns, stat.st_size)

    def check(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        content_type: str = "application/json",
        query: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        headers: Mapping[str, str] | None = None,
        cookies: Mapping[str, str] | None = None,
        session_user_id: str | None = None,
    ) -> Rejection | None:
        """The rejection of one request, or None when it is valid. Records nothing."""
        problems = _Problems()
        if self._openapi is not None:
            from openapi_core.datatypes import RequestParameters

            from .openapi_check import ApiRequest, spec_problems

            parameters = RequestParameters(
                query=_multidict(query),
                header=headers if isinstance(headers, CIMultiDictProxy) else CIMultiDict(headers or {}),
                cookie=dict(cookies or {}),
            )
            request = ApiRequest(method.lower(), path, body or None, content_type, parameters)
            for problem in spec_problems(self._openapi, request):
                problems.add(problem.text, problem.status, problem.error_id)
        if body and content_type.startswith("application/json") and len(body) > MAX_PAYLOAD_BYTES:
            problems.add(f"body has {len(body)} bytes; Mattermost reads at most {MAX_PAYLOAD_BYTES}")
        # The rules run on bodies the spec accepts, so that one mistake is reported once.
        if body and not problems.items and rule_for(method, path) is not None:
            try:
                parsed = json.loads(body)
            except ValueError:
                if self._openapi is None:
                    problems.add("body is not valid JSON")
            else:
                for text in check_call(method, path, parsed, session_user_id):
                    problems.add(text)
        if not problems.items:
            return None
        return Rejection(problems.items, _app_error(problems))

    def record(self, method: str, path: str, rejection: Rejection) -> None:
        """Add each problem to :attr:`violations` as ``"METHOD /path: what is wrong"``."""
        for problem in rejection.problems:
            self.violations.append(f"{method.upper()} {path}: {problem}")

    def take_violations(self) -> list[str]:
        """The violations so far, clearing them (for tests that send bad requests on purpose)."""
        taken, self.violations = self.violations, []
        return taken


def _multidict(query: Mapping[str, str] | Iterable[tuple[str, str]] | None) -> MultiDictProxy[str]:
    if isinstance(query, MultiDictProxy):
        return query
    return MultiDictProxy(MultiDict(query or {}))


def _app_error(problems: _Problems) -> AppError:
    detail = "; ".join(problems.items)
    if problems.status == 401:
        error = unauthorized()
        error.detailed_error = detail
        error.keep_detail = True
        return error
    messages = {
        404: "Sorry, we could not find the page.",
        405: "Method not allowed.",
    }
    message = messages.get(problems.status, f"Invalid request: {detail}")
    return AppError(problems.status, problems.error_id, message, detail, keep_detail=True)


# ---------------------------------------------------------------- middleware


def _reads_body(request: web.Request) -> bool:
    # Multipart bodies are streamed by the route (aiohttp's multipart reader cannot replay a body
    # read here), and file uploads may also be raw bytes the spec does not describe.
    return (
        request.body_exists
        and request.content_type != "multipart/form-data"
        and not (request.method == "POST" and request.path == FILE_UPLOAD_PATH)
    )


@web.middleware
async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Validate REST requests; answer Mattermost's error and record the violation when invalid."""
    simulator = sim_of(request)
    validator = simulator.validator
    if validator is None or not is_checked_path(request.path) or request.method.lower() not in HTTP_METHODS:
        return await handler(request)
    # aiohttp keeps the bytes read here, so the route's request.json()/read() sees them again.
    body = await request.read() if _reads_body(request) else None
    token = bearer_token(request)
    user = simulator.state.user_by_token(token) if token else None
    rejection = validator.check(
        request.method,
        request.path,
        body=body,
        content_type=request.content_type,
        query=request.query,
        headers=request.headers,
        cookies=request.cookies,
        session_user_id=user.id if user is not None else None,
    )
    if rejection is not None:
        validator.record(request.method, request.path, rejection)
        log.warning("strict mode rejected %s %s: %s", request.method, request.path, rejection.problems)
        raise rejection.error
    return await handler(request)
