"""The real client IP, taken from proxy headers only as far as the proxies are trusted.

With ``trusted_proxy_count = N`` the waiting room sits behind N proxies that each append the
address they saw to ``X-Forwarded-For``; the client is the N-th entry from the right. Entries
further left are written by the client and are never believed. With N = 0 the socket peer is
the client and ``X-Forwarded-For`` is ignored.
"""

from __future__ import annotations

import ipaddress

from starlette.types import Scope

UNKNOWN_CLIENT = "unknown"
IPV4_SUBNET_PREFIX = 24
IPV6_SUBNET_PREFIX = 64


def _forwarded_for(scope: Scope) -> list[str]:
    entries: list[str] = []
    for raw_name, raw_value in scope.get("headers", []):
        if raw_name.lower() == b"x-forwarded-for":
            entries += [part.strip() for part in raw_value.decode("latin-1").split(",")]
    return [entry for entry in entries if entry]


def ipv4_number(text: str) -> int | None:
    """The 32-bit number of a dotted-quad IPv4 address written canonically (no leading zeros),
    else None. A few string operations: far cheaper than :mod:`ipaddress` on every join."""
    parts = text.split(".")
    if len(parts) != 4:
        return None
    number = 0
    for part in parts:
        if not part.isdigit() or not part.isascii() or (len(part) > 1 and part[0] == "0"):
            return None
        octet = int(part)
        if octet > 255:
            return None
        number = number << 8 | octet
    return number


def _normalized(candidate: str) -> str | None:
    candidate = candidate.strip()
    if ipv4_number(candidate) is not None:
        return candidate  # already canonical
    if candidate.startswith("[") and "]" in candidate:
        candidate = candidate[1 : candidate.index("]")]
    elif candidate.count(":") == 1:
        candidate = candidate.split(":", 1)[0]  # IPv4 with a port
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None


def client_ip(scope: Scope, trusted_proxy_count: int) -> str:
    """The client address as a normalized string (``unknown`` when it cannot be told)."""
    peer = scope.get("client")
    peer_host = str(peer[0]) if peer else ""
    if trusted_proxy_count > 0:
        entries = _forwarded_for(scope)
        if len(entries) >= trusted_proxy_count:
            found = _normalized(entries[-trusted_proxy_count])
            if found is not None:
                return found
        # fewer entries than proxies: the leftmost one our proxies wrote is the best we have
        if entries:
            found = _normalized(entries[0])
            if found is not None:
                return found
    return _normalized(peer_host) or UNKNOWN_CLIENT


def subnet_of(address: str) -> str:
    """IPv4 /24 or IPv6 /64 network of an address (the address itself when unparsable)."""
    if ipv4_number(address) is not None:
        return address[: address.rindex(".")] + ".0/24"
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        parsed = parsed.ipv4_mapped
    prefix = IPV4_SUBNET_PREFIX if parsed.version == 4 else IPV6_SUBNET_PREFIX
    return str(ipaddress.ip_network(f"{parsed}/{prefix}", strict=False))
