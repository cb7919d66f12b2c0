"""``/playbook channel settings``: show and switch a channel's keyword prompts and welcome message."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.render.channel_settings import CHANNEL_SETTING_ACTION, channel_settings_post
from bot.services import channel_settings
from bot.services.channel_settings import SETTING_FIELDS, ChannelSettingsError
from bot.services.context import Services
from storage.repositories.listening import ChannelSettings

from .callbacks import ActionRequest, ActionResult
from .http import STALE_BUTTON
from .registry import Routers
from .replies import Reply
from .slash import CommandCall

GROUP = "Channels"


def register(routers: Routers) -> None:
    """Add ``channel settings`` and its toggle buttons."""
    routers.commands.command(
        "channel",
        "settings [prompts on|off] [welcome on|off]",
        "this channel's keyword prompts and welcome message",
        group=GROUP,
    )(channel_command)
    routers.actions.action(CHANNEL_SETTING_ACTION)(toggle_setting)


def _post(
    services: Services, channel_id: str, settings: ChannelSettings, is_run_channel: bool
) -> dict[str, Any]:
    return channel_settings_post(
        settings,
        channel_id=channel_id,
        is_run_channel=is_run_channel,
        signer=services.signer,
        url=services.action_url,
        trigger=services.command_trigger,
    )


async def channel_command(call: CommandCall) -> Reply:
    """``/playbook channel settings [prompts on|off] [welcome on|off]``."""
    services: Services = call.services
    if not call.args or call.args[0].lower() != "settings":
        return Reply(f"Use `/{services.command_trigger} channel settings [prompts on|off] [welcome on|off]`.")
    try:
        changes = channel_settings.parse_changes(call.args[1:], services.command_trigger)
        if changes:
            settings, is_run = await channel_settings.change(services, call.channel_id, call.user_id, changes)
        else:
            settings, is_run = await channel_settings.current(services, call.channel_id)
    except ChannelSettingsError as error:
        return Reply(error.message)
    post = _post(services, call.channel_id, settings, is_run)
    return Reply(post["message"], attachments=post["props"]["attachments"])


async def toggle_setting(
    click: ActionRequest, payload: Mapping[str, Any], services: Services
) -> ActionResult:
    """A toggle button: set one switch and show the settings again."""
    channel_id, name, value = payload.get("c"), payload.get("k"), payload.get("v")
    if not isinstance(channel_id, str) or name not in SETTING_FIELDS or value not in (0, 1):
        return ActionResult(ephemeral_text=STALE_BUTTON)
    try:
        settings, is_run = await channel_settings.change(
            services, channel_id, click.user_id, {str(name): bool(value)}
        )
    except ChannelSettingsError as error:
        return ActionResult(ephemeral_text=error.message)
    # The settings were shown ephemerally, and Mattermost can't edit an ephemeral post: the new
    # state comes as a note to the person instead (each button sets a value, so a second click is harmless).
    return ActionResult(ephemeral_text=_post(services, channel_id, settings, is_run)["message"])
