"""Per-channel switches: keyword prompts, and the welcome message for people joining a run's channel."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace

from bot.domain.channel_settings import ChannelSettings
from bot.domain.errors import DomainError
from bot.mattermost.errors import MattermostError
from storage.repositories.listening import ListeningRepository
from storage.repositories.runs import RunRepository

from .context import Services

log = logging.getLogger(__name__)

__all__ = ["ChannelSettingsError", "change", "current", "parse_changes", "welcome_enabled"]

SETTING_FIELDS = {"prompts": "keyword_prompts", "welcome": "welcome_message"}
SWITCH_VALUES = {"on": True, "off": False}


class ChannelSettingsError(DomainError):
    """The settings can't be shown or changed; ``message`` says why."""


def parse_changes(args: Sequence[str], trigger: str = "playbook") -> dict[str, bool]:
    """``["prompts", "off", "welcome", "on"]`` → ``{"prompts": False, "welcome": True}``."""
    usage = f"Use `/{trigger} channel settings [prompts on|off] [welcome on|off]`."
    words = [word.lower() for word in args]
    if len(words) % 2:
        raise ChannelSettingsError(f"Say `on` or `off` after `{args[-1]}`. {usage}")
    changes: dict[str, bool] = {}
    for name, value in zip(words[::2], words[1::2], strict=True):
        if name not in SETTING_FIELDS:
            raise ChannelSettingsError(f"`{name}` is not a channel setting. {usage}")
        if value not in SWITCH_VALUES:
            raise ChannelSettingsError(f"`{name}` can be `on` or `off`, not `{value}`.")
        changes[name] = SWITCH_VALUES[value]
    return changes


def applied(settings: ChannelSettings, changes: Mapping[str, bool]) -> ChannelSettings:
    """``settings`` with the named switches set."""
    return replace(settings, **{SETTING_FIELDS[name]: value for name, value in changes.items()})


async def _is_member(services: Services, channel_id: str, user_id: str) -> bool:
    try:
        return await services.gateway.is_channel_member(channel_id, user_id)
    except MattermostError as error:
        log.warning("could not check membership of %s in %s: %s", user_id, channel_id, error)
        return False


async def current(services: Services, channel_id: str) -> tuple[ChannelSettings, bool]:
    """The channel's settings and whether it is a run's channel; raises
    :class:`ChannelSettingsError` when the bot is not in the channel."""
    if not await _is_member(services, channel_id, services.bot.id):
        raise ChannelSettingsError(
            "I'm not a member of this channel, so I neither watch it nor welcome anyone here. "
            "Add me to the channel first."
        )
    async with services.transaction() as session:
        settings = await ListeningRepository(session).channel_settings(channel_id)
        is_run_channel = await RunRepository(session).get_by_channel(channel_id) is not None
    return settings, is_run_channel


async def change(
    services: Services, channel_id: str, user_id: str, changes: Mapping[str, bool]
) -> tuple[ChannelSettings, bool]:
    """Apply ``changes`` for ``user_id``, who must be a member of the channel or a system admin."""
    settings, is_run_channel = await current(services, channel_id)
    may_change = await _is_member(services, channel_id, user_id) or await services.people.is_system_admin(
        user_id
    )
    if not may_change:
        raise ChannelSettingsError("Only members of this channel can change its settings.")
    changed = applied(settings, changes)
    async with services.transaction() as session:
        await ListeningRepository(session).save_channel_settings(channel_id, changed, user_id)
    return changed, is_run_channel


async def welcome_enabled(services: Services, channel_id: str) -> bool:
    """Whether people joining the channel get its run's welcome message."""
    async with services.transaction() as session:
        return (await ListeningRepository(session).channel_settings(channel_id)).welcome_message
