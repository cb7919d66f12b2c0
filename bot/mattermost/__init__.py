"""Everything the bot says to and hears from Mattermost: the REST gateway and the websocket supervisor."""

from .errors import (
    Forbidden,
    MalformedResponse,
    MattermostError,
    NotFound,
    RateLimited,
    Unauthorized,
    Unavailable,
)
from .gateway import MattermostGateway
from .types import MMChannel, MMCommand, MMFileInfo, MMPost, MMTeam, MMUser
from .websocket import WebsocketSupervisor

__all__ = [
    "Forbidden",
    "MMChannel",
    "MMCommand",
    "MMFileInfo",
    "MMPost",
    "MMTeam",
    "MMUser",
    "MalformedResponse",
    "MattermostError",
    "MattermostGateway",
    "NotFound",
    "RateLimited",
    "Unauthorized",
    "Unavailable",
    "WebsocketSupervisor",
]
