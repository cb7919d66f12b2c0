"""Outgoing integration calls: slash commands, actions, dialogs (placeholder)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from .app import Simulator


class Integrations:
    """Makes the HTTP calls Mattermost makes to integrations (placeholder)."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim


def register(app: web.Application) -> None:
    """Add the integration routes."""
