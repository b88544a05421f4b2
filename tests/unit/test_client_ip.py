from __future__ import annotations

from typing import Any

import pytest

from waitroom.protection.client_ip import UNKNOWN_CLIENT, client_ip, subnet_of


def scope(peer: str | None, forwarded: list[str] | None = None) -> dict[str, Any]:
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded or []]
    return {"type": "http", "client": (peer, 1234) if peer else None, "headers": headers}


def test_without_trusted_proxies_the_socket_peer_is_the_client() -> None:
    assert client_ip(scope("203.0.113.9", ["1.2.3.4"]), trusted_proxy_count=0) == "203.0.113.9"


def test_one_trusted_proxy_uses_the_rightmost_entry_and_ignores_spoofed_ones() -> None:
    request = scope("10.0.0.2", ["6.6.6.6, 203.0.113.9"])
    assert client_ip(request, trusted_proxy_count=1) == "203.0.113.9"


def test_two_trusted_proxies_across_repeated_headers() -> None:
    request = scope("10.0.0.2", ["6.6.6.6, 203.0.113.9", "198.51.100.1"])
    assert client_ip(request, trusted_proxy_count=2) == "203.0.113.9"


@pytest.mark.parametrize(
    ("entry", "expected"),
    [("[2001:db8::1]:443", "2001:db8::1"), ("203.0.113.9:5555", "203.0.113.9")],
)
def test_ports_and_brackets_are_stripped(entry: str, expected: str) -> None:
    assert client_ip(scope("10.0.0.2", [entry]), trusted_proxy_count=1) == expected


def test_garbage_falls_back_to_the_peer_or_unknown() -> None:
    assert client_ip(scope("10.0.0.2", ["not-an-ip"]), trusted_proxy_count=1) == "10.0.0.2"
    assert client_ip(scope(None), trusted_proxy_count=0) == UNKNOWN_CLIENT


def test_subnets() -> None:
    assert subnet_of("203.0.113.77") == "203.0.113.0/24"
    assert subnet_of("2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::/64"
    assert subnet_of("::ffff:203.0.113.77") == "203.0.113.0/24"
    assert subnet_of("unknown") == "unknown"
