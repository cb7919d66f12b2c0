"""A playbook's run settings: where runs talk, who owns and joins them, and what they post.

Each group of settings is an immutable value held by :class:`~bot.domain.playbook.Playbook`; the
rules they must follow are in :mod:`bot.domain.playbook_rules`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class ChannelMode(StrEnum):
    """Whether each run gets a new channel or uses an existing one."""

    CREATE_NEW_CHANNEL = "create_new_channel"
    LINK_EXISTING_CHANNEL = "link_existing_channel"


@dataclass(frozen=True, slots=True)
class RunChannelSettings:
    """Where runs talk: a new channel per run (named from the template), or a linked channel."""

    mode: ChannelMode = ChannelMode.CREATE_NEW_CHANNEL
    channel_id: str = ""
    create_public_channel: bool = False
    channel_name_template: str = ""
    new_channel_only: bool = False
    run_number_prefix: str = ""


@dataclass(frozen=True, slots=True)
class DefaultOwnerSettings:
    """The owner given to every new run instead of the person who starts it."""

    user_id: str = ""
    enabled: bool = False


@dataclass(frozen=True, slots=True)
class InviteSettings:
    """Users and groups made participants when a run starts."""

    user_ids: tuple[str, ...] = ()
    group_ids: tuple[str, ...] = ()
    enabled: bool = False


@dataclass(frozen=True, slots=True)
class WelcomeMessageSettings:
    """Posted when a run starts and shown to each person who joins its channel later."""

    message: str = ""
    enabled: bool = False


@dataclass(frozen=True, slots=True)
class RunSummarySettings:
    """The initial summary of each run."""

    template: str = ""
    enabled: bool = False


@dataclass(frozen=True, slots=True)
class WebhookSettings:
    """Outgoing webhooks: the run as JSON, POSTed to each URL."""

    urls: tuple[str, ...] = ()
    enabled: bool = False


@dataclass(frozen=True, slots=True)
class StatusUpdateSettings:
    """Status updates: the reminder, the prefilled text, and where updates also go."""

    enabled: bool = False
    reminder_timer_default_seconds: int = 0
    reminder_message_template: str = ""
    broadcast_channel_ids: tuple[str, ...] = ()
    broadcast_enabled: bool = False
    webhooks: WebhookSettings = field(default_factory=WebhookSettings)


@dataclass(frozen=True, slots=True)
class KeywordSettings:
    """Keywords that, posted in a monitored channel, suggest running this playbook."""

    keywords: tuple[str, ...] = ()
    enabled: bool = False


@dataclass(frozen=True, slots=True)
class RetrospectiveSettings:
    """The retrospective after a run; a reminder interval of 0 reminds once."""

    enabled: bool = False
    template: str = ""
    reminder_interval_seconds: int = 0


@dataclass(frozen=True, slots=True)
class CategorySettings:
    """The sidebar category the run channel is put into."""

    enabled: bool = False
    name: str = ""
