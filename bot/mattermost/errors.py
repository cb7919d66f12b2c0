"""The errors the Mattermost gateway raises, whatever the transport or driver underneath."""

from __future__ import annotations


class MattermostError(Exception):
    """Mattermost refused or failed a request.

    ``status`` is the HTTP status (0 when no response arrived), ``error_id`` Mattermost's
    stable error key (e.g. ``api.context.session_expired.app_error``; empty when the body
    was not a Mattermost error) and ``message`` the human-readable text.
    """

    def __init__(self, status: int, error_id: str, message: str) -> None:
        super().__init__(f"{status} {error_id}: {message}" if error_id else f"{status}: {message}")
        self.status = status
        self.error_id = error_id
        self.message = message


class NotFound(MattermostError):  # noqa: N818 - named for what happened, like HTTP statuses
    """404: the object does not exist (or the bot may not know that it does)."""


class Forbidden(MattermostError):  # noqa: N818 - named for what happened, like HTTP statuses
    """403: the bot lacks a permission."""


class Unauthorized(MattermostError):  # noqa: N818 - named for what happened, like HTTP statuses
    """401: the bot's token is missing, revoked or expired."""


class RateLimited(MattermostError):  # noqa: N818 - named for what happened, like HTTP statuses
    """429 after the driver's own retries; ``retry_after`` is the server's wait in seconds, if given."""

    def __init__(self, status: int, error_id: str, message: str, retry_after: float | None = None) -> None:
        super().__init__(status, error_id, message)
        self.retry_after = retry_after


class Unavailable(MattermostError):  # noqa: N818 - named for what happened, like HTTP statuses
    """Mattermost could not be reached or failed: a timeout, a connection error or a 5xx."""


class MalformedResponse(MattermostError):  # noqa: N818 - named for what happened, like HTTP statuses
    """A successful response whose body is not the JSON shape Mattermost documents."""


def error_for_status(status: int, error_id: str, message: str) -> MattermostError:
    """The most specific :class:`MattermostError` for an HTTP status."""
    if status == 401:
        return Unauthorized(status, error_id, message)
    if status == 403:
        return Forbidden(status, error_id, message)
    if status == 404:
        return NotFound(status, error_id, message)
    if status == 429:
        return RateLimited(status, error_id, message)
    if status >= 500:
        return Unavailable(status, error_id, message)
    return MattermostError(status, error_id, message)
