"""Mattermost's AppError: the JSON error body every REST failure carries."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web


class AppError(Exception):
    """An error answered the way Mattermost answers it: status code plus AppError JSON."""

    def __init__(
        self,
        status: int,
        error_id: str,
        message: str,
        detailed_error: str = "",
        where: str = "",
        *,
        keep_detail: bool = False,
    ) -> None:
        super().__init__(f"{status} {error_id}: {message}")
        self.status = status
        self.error_id = error_id
        self.message = message
        self.detailed_error = detailed_error
        self.where = where
        # Mattermost blanks ``detailed_error`` unless ``EnableDeveloper`` is on; the simulator's own
        # strict-mode refusals keep theirs, since they explain a broken contract to a test author.
        self.keep_detail = keep_detail

    def body(self, request_id: str, *, developer: bool = True) -> dict[str, Any]:
        """The AppError JSON object, as ``model.AppError`` serialises it.

        Without ``developer`` (``ServiceSettings.EnableDeveloper``) ``detailed_error`` is blank,
        as Mattermost's handler wipes it (``WipeDetailed``).
        """
        body: dict[str, Any] = {
            "id": self.error_id,
            "message": self.message,
            "detailed_error": self.detailed_error if developer or self.keep_detail else "",
            "status_code": self.status,
        }
        if request_id:
            body["request_id"] = request_id
        return body

    def response(self, request_id: str, *, developer: bool = True) -> web.Response:
        """Render as an aiohttp response with Mattermost's headers (see :meth:`body`)."""
        return web.Response(
            status=self.status,
            body=json.dumps(self.body(request_id, developer=developer)).encode(),
            content_type="application/json",
            headers={"X-Request-Id": request_id},
        )


def unauthorized() -> AppError:
    """401 for a missing, invalid or expired token."""
    return AppError(
        401,
        "api.context.session_expired.app_error",
        "Invalid or expired session, please login again.",
        "token not valid",
    )


def forbidden(permission: str = "") -> AppError:
    """403 for a request the session's permissions do not allow."""
    detail = f"userId=..., permission={permission}" if permission else ""
    return AppError(
        403,
        "api.context.permissions.app_error",
        "You do not have the appropriate permissions.",
        detail,
    )


def not_found(error_id: str, message: str = "Unable to find the resource.") -> AppError:
    """404 with a store-style error id."""
    return AppError(404, error_id, message)


def invalid_param(name: str) -> AppError:
    """400 for a missing or malformed body parameter, as ``NewInvalidParamError`` (``SetInvalidParam``)."""
    return AppError(
        400,
        "api.context.invalid_body_param.app_error",
        f"Invalid or missing {name} in request body.",
    )


def invalid_url_param(name: str) -> AppError:
    """400 for a malformed URL parameter, as ``SetInvalidURLParam``."""
    return AppError(
        400,
        "api.context.invalid_url_param.app_error",
        f"Invalid or missing {name} parameter in request URL.",
    )
