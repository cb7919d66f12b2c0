"""A channel's own switches, set with ``/playbook channel``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ChannelSettings:
    """A channel's switches: keyword prompts and the welcome message for people who join."""

    keyword_prompts: bool = True
    welcome_message: bool = True
