"""Abuse-protection and fault-tolerance settings (``WAITROOM_*`` environment variables)."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass

from limits import parse as parse_limit


class ProtectionSettingError(ValueError):
    def __init__(self, name: str, value: str, reason: str) -> None:
        super().__init__(f"{name}={value!r}: {reason}")
        self.name = name


def env_int(
    environ: Mapping[str, str], name: str, default: int, minimum: int = 0, maximum: int = 2**31
) -> int:
    raw = environ.get(name, "").strip()
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ProtectionSettingError(name, raw, "not an integer") from None
    if not minimum <= value <= maximum:
        raise ProtectionSettingError(name, raw, f"must be between {minimum} and {maximum}")
    return value

DEFAULT_JOIN_LIMIT_PER_IP = "30/minute"
DEFAULT_JOIN_LIMIT_PER_SUBNET = "300/minute"
DEFAULT_EXEMPT_NETWORKS = ("127.0.0.0/8", "::1/128")


def _networks(environ: Mapping[str, str], name: str) -> tuple[str, ...]:
    raw = environ.get(name)
    if raw is None:
        return DEFAULT_EXEMPT_NETWORKS
    networks = tuple(part.strip() for part in raw.split(",") if part.strip())
    for network in networks:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            raise ProtectionSettingError(name, network, "not an IP network") from None
    return networks


def _limit(environ: Mapping[str, str], name: str, default: str) -> str:
    raw = environ.get(name, "").strip()
    if raw == "":
        return default
    if raw.lower() in {"0", "off", "none"}:
        return ""
    try:
        parse_limit(raw)
    except ValueError:
        raise ProtectionSettingError(name, raw, "expected a rate such as '30/minute'") from None
    return raw


@dataclass(frozen=True, slots=True)
class ProtectionSettings:
    join_limit_per_ip: str = DEFAULT_JOIN_LIMIT_PER_IP
    """``limits`` rate string per client IP ('' = no limit)."""
    join_limit_per_subnet: str = DEFAULT_JOIN_LIMIT_PER_SUBNET
    """Per IPv4 /24 or IPv6 /64 ('' = no limit)."""
    pow_difficulty_bits: int = 0
    """Leading zero bits the join proof of work needs (0 = no challenge)."""
    pow_challenge_ttl_seconds: int = 300
    redis_retry_after_seconds: int = 5
    """Retry-After sent while Redis is unreachable."""
    join_limit_exempt_networks: tuple[str, ...] = DEFAULT_EXEMPT_NETWORKS
    """Client networks never limited: loopback by default (local load tests, and a proxy
    whose ``trusted_proxy_count`` is unset would otherwise put every fan in one bucket)."""

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> ProtectionSettings:
        return cls(
            join_limit_per_ip=_limit(
                environ, "WAITROOM_JOIN_LIMIT_PER_IP", DEFAULT_JOIN_LIMIT_PER_IP
            ),
            join_limit_per_subnet=_limit(
                environ, "WAITROOM_JOIN_LIMIT_PER_SUBNET", DEFAULT_JOIN_LIMIT_PER_SUBNET
            ),
            pow_difficulty_bits=env_int(environ, "WAITROOM_POW_DIFFICULTY_BITS", 0, maximum=32),
            pow_challenge_ttl_seconds=env_int(
                environ, "WAITROOM_POW_CHALLENGE_TTL_SECONDS", 300, minimum=10
            ),
            redis_retry_after_seconds=env_int(
                environ, "WAITROOM_REDIS_RETRY_AFTER_SECONDS", 5, minimum=1
            ),
            join_limit_exempt_networks=_networks(environ, "WAITROOM_JOIN_LIMIT_EXEMPT_NETWORKS"),
        )
