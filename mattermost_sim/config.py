"""The simulator's ``ServiceSettings``, read and patched through ``/api/v4/config`` as on Mattermost.

:class:`SimConfig` holds the settings the simulator obeys; a few of them live on
:class:`~mattermost_sim.integrations.Integrations` (its timeout and override switches) and are
read and written there. ``GET /api/v4/config`` and ``PUT /api/v4/config/patch`` (system admins,
``api4/config.go``) answer ``{"ServiceSettings": {…}}`` with just these settings: the real server
answers its whole configuration.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .app import current_user, sim_of
from .errors import AppError, forbidden

if TYPE_CHECKING:
    from .app import Simulator

# What ``mattermost_real`` configures, so that integrations on this machine can be called.
LOOPBACK_ALLOWED = "127.0.0.0/8 localhost ::1"

# Mattermost's reserved ranges (``httpservice.reservedIPRanges``): refused unless allowed.
RESERVED_NETWORKS = tuple(
    ipaddress.ip_network(cidr)
    for cidr in (
        "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "0.0.0.0/8", "169.254.0.0/16",
        "192.0.0.0/24", "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "192.88.99.0/24",
        "198.18.0.0/15", "224.0.0.0/4", "240.0.0.0/4", "255.255.255.255/32", "100.64.0.0/10",
        "::/128", "::1/128", "100::/64", "2001::/23", "2001:2::/48", "2001:db8::/32", "2001::/32",
        "fc00::/7", "fe80::/10", "ff00::/8", "2002::/16", "64:ff9b::/96", "2001:10::/28", "2001:20::/28",
    )
)  # fmt: skip


@dataclass
class SimConfig:
    """The ``ServiceSettings`` the simulator obeys, with Mattermost's defaults unless noted.

    ``allowed_untrusted_internal_connections`` defaults to what ``mattermost_real`` sets (loopback
    allowed), not Mattermost's empty default, so that tests and the demo reach integrations on
    this machine.
    """

    post_edit_time_limit: int = -1
    allowed_untrusted_internal_connections: str = LOOPBACK_ALLOWED
    enable_developer: bool = False
    enable_default_channel_leave_join_messages: bool = True

    def allowed_entries(self) -> list[str]:
        """The allow-list split as Mattermost splits it (spaces and commas)."""
        return self.allowed_untrusted_internal_connections.replace(",", " ").split()

    def host_allowed(self, host: str) -> bool:
        """Whether a host name (or literal address) is listed as it is written."""
        return host in self.allowed_entries()

    def address_refusal(self, address: str) -> str:
        """Why Mattermost would refuse to connect to ``address`` (an IP), or ``""`` if it would not."""
        ip = ipaddress.ip_address(address)
        if not any(ip in network for network in RESERVED_NETWORKS):
            return ""
        for entry in self.allowed_entries():
            try:
                if ip in ipaddress.ip_network(entry, strict=False) and "/" in entry:
                    return ""
            except ValueError:
                continue
        return f"IP {address} is in a reserved range and not in AllowedUntrustedInternalConnections"


# JSON name → (where it lives, attribute, type)
_SETTINGS: dict[str, tuple[str, str, type]] = {
    "PostEditTimeLimit": ("config", "post_edit_time_limit", int),
    "AllowedUntrustedInternalConnections": ("config", "allowed_untrusted_internal_connections", str),
    "EnableDeveloper": ("config", "enable_developer", bool),
    "ExperimentalEnableDefaultChannelLeaveJoinMessages": (
        "config",
        "enable_default_channel_leave_join_messages",
        bool,
    ),
    "OutgoingIntegrationRequestsTimeout": ("integrations", "timeout", int),
    "EnablePostUsernameOverride": ("integrations", "enable_post_username_override", bool),
    "EnablePostIconOverride": ("integrations", "enable_post_icon_override", bool),
}


def service_settings(sim: Simulator) -> dict[str, Any]:
    """The settings as ``ServiceSettings`` JSON."""
    settings: dict[str, Any] = {}
    for name, (owner, attribute, kind) in _SETTINGS.items():
        value = getattr(sim.config if owner == "config" else sim.integrations, attribute)
        settings[name] = kind(value)
    return settings


def apply_service_settings(sim: Simulator, patch: dict[str, Any]) -> None:
    """Set the known settings a patch names (unknown ones are ignored); types already checked."""
    for name, value in patch.items():
        if name in _SETTINGS:
            owner, attribute, _ = _SETTINGS[name]
            setattr(sim.config if owner == "config" else sim.integrations, attribute, value)


def _invalid_config() -> AppError:
    return AppError(
        400, "api.context.invalid_body_param.app_error", "Invalid or missing config in request body."
    )


def _decoded_patch(raw: bytes) -> dict[str, Any]:
    """The ``ServiceSettings`` of a ``Config`` body, with Go's decoding rules (400 otherwise)."""
    try:
        body = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError):
        raise _invalid_config() from None
    if not isinstance(body, dict):
        raise _invalid_config()
    settings = body.get("ServiceSettings")
    if settings is None:
        return {}
    if not isinstance(settings, dict):
        raise _invalid_config()
    for name, value in settings.items():
        kind = _SETTINGS.get(name, (None, None, None))[2]
        if kind is None or value is None:
            continue
        if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
            raise _invalid_config()
        if kind is not int and not isinstance(value, kind):
            raise _invalid_config()
    return {name: value for name, value in settings.items() if value is not None}


async def get_config(request: web.Request) -> web.Response:
    """``GET /api/v4/config``: system admins (``sysconsole_read_*``)."""
    user = current_user(request)
    if not user.is_system_admin:
        raise forbidden("sysconsole_read_environment_web_server")
    return web.json_response({"ServiceSettings": service_settings(sim_of(request))})


async def patch_config(request: web.Request) -> web.Response:
    """``PUT /api/v4/config/patch``: decode, then system admins only; answers the new settings."""
    user = current_user(request)
    patch = _decoded_patch(await request.read())
    if not user.is_system_admin:
        raise forbidden("sysconsole_write_environment_web_server")
    sim = sim_of(request)
    apply_service_settings(sim, patch)
    return web.json_response({"ServiceSettings": service_settings(sim)})


def register(app: web.Application) -> None:
    """Add the configuration routes."""
    app.router.add_get("/api/v4/config", get_config)
    app.router.add_put("/api/v4/config/patch", patch_config)
