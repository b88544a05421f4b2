"""Abuse-protection and fault-tolerance settings (``WAITROOM_*`` environment variables)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from limits import parse as parse_limit

from service_kit.settings_tree import INTEGER, Cast, Variable
from service_kit.shared_settings import REDIS_RETRY_AFTER

OFF_WORDS = frozenset({"0", "off", "none"})


def _rate(raw: str) -> str:
    """A ``limits`` rate such as ``30/minute``; ``off`` (or 0, none): no limit ("")."""
    if raw.lower() in OFF_WORDS:
        return ""
    try:
        parse_limit(raw)
    except ValueError:
        raise ValueError("expected a rate such as '30/minute', or 'off'") from None
    return raw


def _networks(raw: str) -> tuple[str, ...]:
    """Comma-separated IP networks; ``none`` (or off): no network."""
    if raw.lower() in OFF_WORDS:
        return ()
    networks = tuple(part.strip() for part in raw.split(",") if part.strip())
    for network in networks:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            raise ValueError(f"{network!r} is not an IP network") from None
    return networks


RATE: Cast[str] = Cast("rate or off", _rate, show=lambda rate: rate or "off", garbage="often")
NETWORKS: Cast[tuple[str, ...]] = Cast(
    "IP networks or none",
    _networks,
    show=lambda networks: ", ".join(networks) or "none",
    garbage="10.0.0.0/33",
)

JOIN_LIMIT_PER_IP: Variable[str] = Variable(
    "WAITROOM_JOIN_LIMIT_PER_IP",
    RATE,
    "30/minute",
    "New places per client address and queue (`limits` syntax), counted in Redis",
)
JOIN_LIMIT_PER_SUBNET: Variable[str] = Variable(
    "WAITROOM_JOIN_LIMIT_PER_SUBNET",
    RATE,
    "300/minute",
    "New places per IPv4 /24 or IPv6 /64 and queue",
)
JOIN_LIMIT_EXEMPT_NETWORKS: Variable[tuple[str, ...]] = Variable(
    "WAITROOM_JOIN_LIMIT_EXEMPT_NETWORKS",
    NETWORKS,
    ("127.0.0.0/8", "::1/128"),
    "Client networks never limited (loopback: local load tests, and a proxy whose "
    "`WAITROOM_TRUSTED_PROXY_COUNT` is unset would put every fan in one bucket)",
)
POW_DIFFICULTY: Variable[int] = Variable(
    "WAITROOM_POW_DIFFICULTY_BITS",
    INTEGER,
    0,
    "Leading zero bits the join proof of work needs (0: no challenge)",
    minimum=0,
    maximum=32,
)
POW_CHALLENGE_TTL: Variable[int] = Variable(
    "WAITROOM_POW_CHALLENGE_TTL_SECONDS",
    INTEGER,
    300,
    "How long a join challenge may be solved and used",
    minimum=10,
    maximum=24 * 3600,
)


@dataclass(frozen=True, slots=True)
class ProtectionSettings:
    join_limit_per_ip: str = JOIN_LIMIT_PER_IP.field()
    """``limits`` rate string per client IP ('' = no limit)."""
    join_limit_per_subnet: str = JOIN_LIMIT_PER_SUBNET.field()
    """Per IPv4 /24 or IPv6 /64 ('' = no limit)."""
    pow_difficulty_bits: int = POW_DIFFICULTY.field()
    """Leading zero bits the join proof of work needs (0 = no challenge)."""
    pow_challenge_ttl_seconds: int = POW_CHALLENGE_TTL.field()
    redis_retry_after_seconds: int = REDIS_RETRY_AFTER.field()
    """Retry-After sent while Redis is unreachable."""
    join_limit_exempt_networks: tuple[str, ...] = JOIN_LIMIT_EXEMPT_NETWORKS.field()
