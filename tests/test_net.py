"""The SSRF guard for outgoing webhooks: which URLs and addresses are refused, and pinning."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Sequence
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.net import (
    AddressInfo,
    PinnedResolver,
    ResolvedTarget,
    UnresolvableTargetError,
    UnsafeTargetError,
    blocked_reason,
    pinned_connector,
    resolve_public_target,
)

# Written out here, independently of bot.net, so the test does not just repeat the implementation.
BLOCKED_V4 = [
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.0.2.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "224.0.0.0/4",
    "240.0.0.0/4",
]
BLOCKED_V6 = ["::/128", "::1/128", "fe80::/10", "fc00::/7", "ff00::/8", "2001:db8::/32", "fec0::/10"]
PUBLIC = ["8.8.8.0/24", "1.1.1.0/24", "93.184.216.0/24", "2606:4700::/32", "2a00:1450::/32"]


def addresses_in(networks: list[str]) -> st.SearchStrategy[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """Any address inside one of ``networks``."""
    parsed = [ipaddress.ip_network(network) for network in networks]
    return st.sampled_from(parsed).flatmap(
        lambda network: st.integers(0, network.num_addresses - 1).map(
            lambda offset: network.network_address + offset
        )
    )


def literal_url(address: ipaddress.IPv4Address | ipaddress.IPv6Address, path: str = "/hook") -> str:
    host = f"[{address}]" if address.version == 6 else str(address)
    return f"https://{host}{path}"


def answers(*addresses: str) -> Any:
    """A look-up answering like getaddrinfo with ``addresses``, counting its calls."""
    calls: list[str] = []

    async def lookup(host: str, port: int) -> Sequence[AddressInfo]:
        calls.append(host)
        result: list[AddressInfo] = []
        for address in addresses:
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            sockaddr = (address, port, 0, 0) if family == socket.AF_INET6 else (address, port)
            result.append((family, socket.SOCK_STREAM, 6, "", sockaddr))
        return result

    lookup.calls = calls  # type: ignore[attr-defined]
    return lookup


FAST = settings(max_examples=60, deadline=None)


@FAST
@given(addresses_in(BLOCKED_V4 + BLOCKED_V6))
async def test_non_public_addresses_are_refused(address: Any) -> None:
    with pytest.raises(UnsafeTargetError, match="may not be sent"):
        await resolve_public_target(literal_url(address), allow_private=False)


@FAST
@given(addresses_in(BLOCKED_V4))
async def test_non_public_ipv4_inside_ipv6_is_refused(address: ipaddress.IPv4Address) -> None:
    mapped = ipaddress.IPv6Address(f"::ffff:{address}")
    six_to_four = ipaddress.IPv6Address((0x2002 << 112) | (int(address) << 80) | 1)
    nat64 = ipaddress.IPv6Address(f"64:ff9b::{address}")
    for wrapped in (mapped, six_to_four, nat64):
        assert blocked_reason(wrapped) is not None, wrapped
        with pytest.raises(UnsafeTargetError):
            await resolve_public_target(literal_url(wrapped), allow_private=False)


@FAST
@given(addresses_in(PUBLIC))
async def test_public_addresses_are_accepted_and_returned(address: Any) -> None:
    target = await resolve_public_target(literal_url(address), allow_private=False)
    assert target.address == address
    assert target.addresses == (address,)
    assert target.port == 443


@FAST
@given(st.ip_addresses())
def test_any_accepted_address_is_globally_routable(address: Any) -> None:
    reason = blocked_reason(address)
    if reason is None:
        inner = getattr(address, "ipv4_mapped", None)
        if inner is None and address in ipaddress.ip_network("64:ff9b::/96"):
            inner = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        judged = inner or address
        assert judged.is_global
        assert not judged.is_multicast


@FAST
@given(addresses_in(BLOCKED_V4 + BLOCKED_V6))
async def test_private_addresses_pass_when_allowed(address: Any) -> None:
    target = await resolve_public_target(literal_url(address), allow_private=True)
    assert target.address == address


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "169.254.169.254", "10.0.0.1", "::1", "fd12:3456::1", "::ffff:169.254.169.254", "0.0.0.0"],
)
async def test_the_usual_ssrf_targets_are_refused_with_their_kind(address: str) -> None:
    with pytest.raises(UnsafeTargetError) as refused:
        await resolve_public_target(literal_url(ipaddress.ip_address(address)), allow_private=False)
    assert "allow_private_webhook_addresses" in str(refused.value)


async def test_localhost_by_name_is_refused() -> None:
    with pytest.raises(UnsafeTargetError, match="loopback"):
        await resolve_public_target("http://localhost:8080/hook", allow_private=False)


async def test_one_private_answer_among_public_ones_refuses_the_host() -> None:
    lookup = answers("93.184.216.34", "10.0.0.7")
    with pytest.raises(UnsafeTargetError, match="private"):
        await resolve_public_target("https://hooks.example.com/x", allow_private=False, lookup=lookup)


async def test_every_public_answer_is_kept_in_order_without_repeats() -> None:
    lookup = answers("93.184.216.34", "2606:2800:220:1::1", "93.184.216.34")
    target = await resolve_public_target(
        "http://Hooks.Example.COM./x?t=1", allow_private=False, lookup=lookup
    )
    assert target.host == "hooks.example.com"
    assert target.port == 80
    assert [str(address) for address in target.addresses] == ["93.184.216.34", "2606:2800:220:1::1"]
    assert lookup.calls == ["hooks.example.com"]


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/hook",
        "file:///etc/passwd",
        "gopher://example.com/",
        "javascript:alert(1)",
        "//example.com/hook",
        "example.com/hook",
        "",
    ],
)
async def test_only_http_and_https_are_accepted(url: str) -> None:
    with pytest.raises(UnsafeTargetError, match="http"):
        await resolve_public_target(url, allow_private=True)


@pytest.mark.parametrize(
    "url",
    [
        "https://user:hunter2-secret@example.com/hook",
        "https://hunter2-secret@example.com/hook",
        "https://:hunter2-secret@example.com/hook",
    ],
)
async def test_credentials_in_the_url_are_refused_without_echoing_them(url: str) -> None:
    with pytest.raises(UnsafeTargetError, match="user name or password") as refused:
        await resolve_public_target(url, allow_private=True)
    assert "hunter2-secret" not in str(refused.value)


@pytest.mark.parametrize(
    "url", ["https://example.com:99999/x", "https://example.com:abc/x", "http://[::1/x", "https:///x"]
)
async def test_broken_hosts_and_ports_are_refused(url: str) -> None:
    with pytest.raises(UnsafeTargetError):
        await resolve_public_target(url, allow_private=True)


async def test_a_name_that_does_not_resolve_is_reported_without_the_path() -> None:
    async def fail(host: str, port: int) -> Sequence[AddressInfo]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    with pytest.raises(UnresolvableTargetError) as failed:
        await resolve_public_target(
            "https://nowhere.invalid/secret-path?token=abc", allow_private=False, lookup=fail
        )
    assert "nowhere.invalid" in str(failed.value)
    assert "secret-path" not in str(failed.value)
    assert "abc" not in str(failed.value)


async def test_a_slow_lookup_is_bounded() -> None:
    async def hang(host: str, port: int) -> Sequence[AddressInfo]:
        await asyncio.sleep(10)
        return []

    with pytest.raises(UnresolvableTargetError):
        await resolve_public_target(
            "https://slow.example/x", allow_private=False, lookup=hang, lookup_timeout=0.05
        )


@FAST
@given(st.text(max_size=80))
async def test_arbitrary_text_is_refused_or_vetted_never_crashes(text: str) -> None:
    async def nothing(host: str, port: int) -> Sequence[AddressInfo]:
        raise socket.gaierror(socket.EAI_NONAME, "unknown")

    try:
        target = await resolve_public_target(text, allow_private=False, lookup=nothing)
    except (UnsafeTargetError, UnresolvableTargetError):
        return
    assert all(blocked_reason(address) is None for address in target.addresses)


# Pinning ---------------------------------------------------------------------------------------


async def test_the_pinned_connector_connects_to_the_vetted_address_and_never_looks_up_again() -> None:
    received: list[str] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(request.host)
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        # The first answer is what was vetted; a rebinding DNS server would answer differently later.
        lookup = answers("127.0.0.1")
        target = await resolve_public_target(
            f"http://webhook.test:{port}/hook", allow_private=True, lookup=lookup
        )
        timeout = aiohttp.ClientTimeout(total=5)
        async with (
            aiohttp.ClientSession(connector=pinned_connector(target), timeout=timeout) as session,
            session.post(target.url, json={}, allow_redirects=False) as response,
        ):
            assert response.status == 200
        assert received == [f"webhook.test:{port}"]
        assert lookup.calls == ["webhook.test"]
    finally:
        await runner.cleanup()


async def test_the_pinned_resolver_answers_for_no_other_host() -> None:
    target = ResolvedTarget(
        url="https://hooks.example.com/x",
        scheme="https",
        host="hooks.example.com",
        port=443,
        addresses=(ipaddress.ip_address("93.184.216.34"), ipaddress.ip_address("2606:2800:220:1::1")),
    )
    resolver = PinnedResolver(target)
    both = await resolver.resolve("hooks.example.com", 443, family=socket.AF_UNSPEC)
    assert [result["host"] for result in both] == ["93.184.216.34", "2606:2800:220:1::1"]
    only_v4 = await resolver.resolve("HOOKS.example.com", 443, family=socket.AF_INET)
    assert [result["host"] for result in only_v4] == ["93.184.216.34"]
    with pytest.raises(OSError, match="not the vetted"):
        await resolver.resolve("metadata.internal", 80)
    await resolver.close()
