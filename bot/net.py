"""Outgoing requests to addresses that people configure (webhooks), safe from SSRF.

A playbook's webhook URL is chosen by its editors, so without care the bot could be made to
call its own database, the cloud's metadata service (169.254.169.254) or anything else on the
private network it runs in. :func:`resolve_public_target` vets a URL before anything is sent:

* only ``http`` and ``https``, and no credentials in the URL;
* the host is resolved once, and *every* address it resolves to must be public: loopback,
  private (RFC 1918), shared (RFC 6598), link-local, unique-local, multicast, reserved and
  unspecified addresses are refused, also when wrapped in IPv6 (IPv4-mapped, 6to4, Teredo,
  NAT64), unless the operator allowed private addresses.

The result carries the vetted addresses, and :func:`pinned_connector` makes aiohttp connect to
exactly those: the name is not looked up a second time, so a DNS answer that changes between
the check and the connection (DNS rebinding) cannot redirect the request. Typical use::

    target = await resolve_public_target(url, allow_private=settings.allow_private_webhook_addresses)
    async with aiohttp.ClientSession(connector=pinned_connector(target)) as session:
        async with session.post(target.url, json=body, allow_redirects=False) as response:
            ...

Always send with ``allow_redirects=False``: a redirect to an IP literal would not go through
the pinned resolver. Error messages name the host at most, never the URL's credentials, path or
query (which often carry a token).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

AddressInfo = tuple[Any, ...]
Lookup = Callable[[str, int], Awaitable[Sequence[AddressInfo]]]
"""``lookup(host, port)`` answers like ``loop.getaddrinfo``: tuples whose last item is the sockaddr."""

DEFAULT_LOOKUP_TIMEOUT = 5.0
ALLOWED_SCHEMES = frozenset({"http", "https"})
_DEFAULT_PORTS = {"http": 80, "https": 443}

# Networks no webhook may reach besides what ipaddress's flags already cover; spelled out because
# the flags' coverage differs between Python releases.
_BLOCKED_NETWORKS = tuple(
    ipaddress.ip_network(network)
    for network in (
        "0.0.0.0/8",  # "this network"
        "100.64.0.0/10",  # carrier-grade NAT (RFC 6598)
        "192.0.0.0/24",  # IETF protocol assignments
        "198.18.0.0/15",  # benchmarking
        "255.255.255.255/32",
        "64:ff9b:1::/48",  # local-use NAT64 (RFC 8215)
        "100::/64",  # discard-only
        "2001::/23",  # IETF protocol assignments
        "2001:db8::/32",  # documentation
        "fc00::/7",  # unique-local
        "fec0::/10",  # site-local (deprecated, still routed by some stacks)
    )
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class TargetError(Exception):
    """A webhook URL that cannot be called; the message is safe to show and to log."""


class UnsafeTargetError(TargetError):
    """The URL is refused for good: wrong scheme, credentials, or a non-public address."""


class UnresolvableTargetError(TargetError):
    """The host name did not resolve (maybe for a while: retrying later may succeed)."""


@dataclass(frozen=True, slots=True)
class ResolvedTarget:
    """A vetted URL and the addresses to connect to (all public unless private ones were allowed)."""

    url: str
    scheme: str
    host: str
    """The host as written in the URL (lower case): the ``Host`` header and the TLS server name."""
    port: int
    addresses: tuple[IPAddress, ...]

    @property
    def address(self) -> IPAddress:
        """The first vetted address (the one a connection tries first)."""
        return self.addresses[0]


def blocked_reason(address: IPAddress) -> str | None:
    """Why a webhook may not be sent to ``address`` (e.g. ``"loopback"``), or ``None`` if it is public.

    IPv6 addresses that embed an IPv4 one (IPv4-mapped, 6to4, Teredo, NAT64) are judged by the
    embedded address as well.
    """
    translated = _translated_ipv4(address)
    if translated is not None:
        # IPv4-mapped and NAT64 addresses reach exactly the IPv4 address inside: judge that alone.
        reason = blocked_reason(translated)
        return None if reason is None else f"{reason} (inside an IPv6 address)"
    for embedded in _embedded_ipv4(address):
        reason = blocked_reason(embedded)
        if reason is not None:
            return f"{reason} (inside an IPv6 address)"
    checks = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
        ("non-public", any(address in network for network in _BLOCKED_NETWORKS)),
        ("non-public", not address.is_global),
    )
    for reason, applies in checks:
        if applies:
            return reason
    return None


def _translated_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv4-mapped or NAT64 (64:ff9b::/96) address stands for."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _embedded_ipv4(address: IPAddress) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses inside a 6to4 or Teredo address, which tunnels may deliver to."""
    if isinstance(address, ipaddress.IPv4Address):
        return []
    embedded = [address.sixtofour]
    if address.teredo is not None:
        embedded.extend(address.teredo)
    return [candidate for candidate in embedded if candidate is not None]


async def resolve_public_target(
    url: str,
    *,
    allow_private: bool,
    lookup: Lookup | None = None,
    lookup_timeout: float = DEFAULT_LOOKUP_TIMEOUT,
) -> ResolvedTarget:
    """Vet ``url`` for an outgoing webhook and resolve its host once.

    ``allow_private`` (the ``allow_private_webhook_addresses`` setting) lets the host be any
    address; the scheme and credential checks still apply. ``lookup`` replaces
    ``loop.getaddrinfo`` (tests); ``lookup_timeout`` bounds the look-up in seconds.

    Raises:
        UnsafeTargetError: not ``http``/``https``, credentials in the URL, an invalid port or
            host, or (unless ``allow_private``) any of the host's addresses is not public.
        UnresolvableTargetError: the host did not resolve, or not within ``lookup_timeout``.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise UnsafeTargetError("the webhook URL is not a valid URL (check its host and port)") from None
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise UnsafeTargetError("webhook URLs must start with http:// or https://")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise UnsafeTargetError("webhook URLs must not contain a user name or password")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise UnsafeTargetError("the webhook URL has no host")
    if any(character.isspace() or character in "\\%" for character in host):
        raise UnsafeTargetError("the webhook URL's host is not a valid host name")
    port = _DEFAULT_PORTS[scheme] if port is None else port
    if not 0 < port < 65536:
        raise UnsafeTargetError("the webhook URL's port must be between 1 and 65535")
    addresses = await _resolve(host, port, lookup, lookup_timeout)
    if not allow_private:
        for address in addresses:
            reason = blocked_reason(address)
            if reason is not None:
                raise UnsafeTargetError(
                    f"webhooks may not be sent to {host}: it resolves to a {reason} address "
                    "(allow_private_webhook_addresses permits this)"
                )
    return ResolvedTarget(url=url.strip(), scheme=scheme, host=host, port=port, addresses=addresses)


async def _resolve(
    host: str, port: int, lookup: Lookup | None, lookup_timeout: float
) -> tuple[IPAddress, ...]:
    literal = _ip_literal(host)
    if literal is not None:
        return (literal,)
    if lookup is None:
        loop = asyncio.get_running_loop()

        async def lookup(name: str, number: int) -> Sequence[AddressInfo]:
            return await loop.getaddrinfo(name, number, type=socket.SOCK_STREAM)

    try:
        async with asyncio.timeout(lookup_timeout):
            answers = await lookup(host, port)
    except (OSError, UnicodeError, TimeoutError):
        # gaierror is an OSError; UnicodeError comes from names that IDNA cannot encode.
        raise UnresolvableTargetError(f"the webhook host {host} could not be resolved") from None
    addresses: list[IPAddress] = []
    for answer in answers:
        # The sockaddr's host; an IPv6 one may carry a zone ("fe80::1%eth0"), which no public address has.
        address = ipaddress.ip_address(str(answer[-1][0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise UnresolvableTargetError(f"the webhook host {host} has no addresses")
    return tuple(addresses)


def _ip_literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


class PinnedResolver(AbstractResolver):
    """An aiohttp resolver that answers only for the vetted host, with the vetted addresses.

    Any other name (a redirect to another host, say) fails to resolve, so nothing but the
    vetted addresses can ever be connected to.
    """

    def __init__(self, target: ResolvedTarget) -> None:
        self._target = target

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """The vetted addresses of the target's host; ``OSError`` for any other host."""
        if host.lower().rstrip(".") != self._target.host:
            raise OSError(f"{host} is not the vetted webhook host")
        results: list[ResolveResult] = []
        for address in self._target.addresses:
            address_family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
            if family not in (socket.AF_UNSPEC, address_family):
                continue
            results.append(
                ResolveResult(
                    hostname=host,
                    host=str(address),
                    port=port or self._target.port,
                    family=address_family,
                    proto=0,
                    flags=socket.AI_NUMERICHOST,
                )
            )
        if not results:
            raise OSError(f"{host} has no vetted address of the requested family")
        return results

    async def close(self) -> None:
        """Nothing to release."""


def pinned_connector(target: ResolvedTarget, **options: Any) -> aiohttp.TCPConnector:
    """A connector that reaches ``target`` only at its vetted addresses (TLS still checks the
    certificate against the host name). ``options`` are passed to :class:`aiohttp.TCPConnector`."""
    return aiohttp.TCPConnector(
        resolver=PinnedResolver(target), use_dns_cache=False, family=socket.AF_UNSPEC, **options
    )
