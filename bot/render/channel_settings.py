"""``/playbook channel settings``: a channel's switches, each with a button to flip it."""

from __future__ import annotations

from typing import Any

from bot.callback_data import ChannelSettingName, ToggleChannelSetting
from bot.domain.channel_settings import ChannelSettings
from bot.render.buttons import button
from bot.security import ContextSigner


def _state(on: bool) -> str:
    return "**on**" if on else "**off**"


def channel_settings_post(
    settings: ChannelSettings,
    *,
    channel_id: str,
    is_run_channel: bool,
    signer: ContextSigner,
    url: str,
    trigger: str = "playbook",
) -> dict[str, Any]:
    """The settings as a ``message`` and ``props`` with a toggle button per switch."""
    welcome_scope = (
        "people who join this run's channel get its welcome message"
        if is_run_channel
        else "people who join get the welcome message of a run in this channel (this is not a run's channel)"
    )
    message = "\n".join(
        [
            "#### Settings of this channel",
            f"- Keyword prompts: {_state(settings.keyword_prompts)} — when a message contains a "
            "playbook's keywords, I suggest running it in the message's thread.",
            f"- Welcome message: {_state(settings.welcome_message)} — {welcome_scope}.",
            "",
            f"Members of the channel can change them: `/{trigger} channel settings prompts on|off` "
            "or `welcome on|off`, or with the buttons.",
        ]
    )
    actions = [
        button(
            "prompts",
            f"Turn keyword prompts {'off' if settings.keyword_prompts else 'on'}",
            ToggleChannelSetting(channel_id, ChannelSettingName.PROMPTS, on=not settings.keyword_prompts),
            signer=signer,
            url=url,
        ),
        button(
            "welcome",
            f"Turn welcome message {'off' if settings.welcome_message else 'on'}",
            ToggleChannelSetting(channel_id, ChannelSettingName.WELCOME, on=not settings.welcome_message),
            signer=signer,
            url=url,
        ),
    ]
    attachment = {"fallback": "Channel settings", "actions": actions}
    return {"message": message, "props": {"attachments": [attachment]}}


def channel_usage(trigger: str) -> str:
    """How to use ``/playbook channel``."""
    return f"Use `/{trigger} channel settings [prompts on|off] [welcome on|off]`."
