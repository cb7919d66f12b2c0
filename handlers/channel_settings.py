"""``/playbook channel settings``: show and switch a channel's keyword prompts and welcome message."""

from __future__ import annotations

from typing import Any

from bot.callback_data import ToggleChannelSetting
from bot.domain.channel_settings import ChannelSettings
from bot.render.channel_settings import channel_settings_post, channel_usage
from bot.services import channel_settings
from bot.services.context import Services

from .callbacks import ActionRequest, ActionResult
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
    routers.actions.action(ToggleChannelSetting)(toggle_setting)


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
        return Reply(channel_usage(services.command_trigger))
    changes = channel_settings.parse_changes(call.args[1:], services.command_trigger)
    if changes:
        settings, is_run = await channel_settings.change(services, call.channel_id, call.user_id, changes)
    else:
        settings, is_run = await channel_settings.current(services, call.channel_id)
    post = _post(services, call.channel_id, settings, is_run)
    return Reply(post["message"], attachments=post["props"]["attachments"])


async def toggle_setting(
    click: ActionRequest, data: ToggleChannelSetting, services: Services
) -> ActionResult:
    """A toggle button: set one switch and show the settings again."""
    channel_id = data.channel_id
    settings, is_run = await channel_settings.change(
        services, channel_id, click.user_id, {data.setting.value: data.on}
    )
    # The settings were shown ephemerally, and Mattermost can't edit an ephemeral post: the new
    # state comes as a note to the person instead (each button sets a value, so a second click is harmless).
    return ActionResult(ephemeral_text=_post(services, channel_id, settings, is_run)["message"])
