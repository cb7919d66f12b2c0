"""What :class:`~bot.mattermost.gateway.MattermostGateway` gives the parts it is made of."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .transport import BoundedCall
from .types import MMUser


class GatewayPart:
    """A mixin of the gateway: the driver, its client and the bounded call, set by
    ``MattermostGateway.__init__``, and the bot's own user."""

    _driver: Any
    _client: Any
    _call: BoundedCall

    if TYPE_CHECKING:

        async def me(self) -> MMUser:
            """Provided by ``MattermostGateway``."""
