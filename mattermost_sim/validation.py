"""Strict mode: check every request against Mattermost's OpenAPI spec (placeholder)."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web


def default_spec_path() -> Path | None:
    """``../shared/mattermost-openapi-v4.yaml`` beside the project, if present."""
    candidate = Path(__file__).resolve().parent.parent.parent / "shared" / "mattermost-openapi-v4.yaml"
    return candidate if candidate.is_file() else None


class RequestValidator:
    """Validates requests; records violations (placeholder)."""

    def __init__(self, spec_path: Path | None) -> None:
        self.spec_path = spec_path
        self.violations: list[str] = []


@web.middleware
async def middleware(request: web.Request, handler):  # type: ignore[no-untyped-def]
    """Validate the request, then handle it."""
    return await handler(request)
