"""Join rate limits per client IP and per subnet, decided in the join's own script.

A join that would make a new place counts in two moving windows, one of the client's address
and one of its IPv4 /24 or IPv6 /64 network. The windows are lists of join times in the queue's
keyspace (``QueueKeys.join_limit``, so on the queue's cluster slot), read and written by
``join.lua`` in the same Redis round trip that hands out the place:
the limits hold across every waiting-room process at no extra round trip. The windows work as
the ``limits`` library's moving window (whose rate strings, e.g. ``30/minute``, configure them
and which still parses them); the library's own storage would cost one more round trip per
rule. Only new places count: polling or rejoining with a place one holds costs nothing.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from limits import parse

from waitroom.errors import TooManyJoins
from waitroom.protection.client_ip import ipv4_number, subnet_of
from waitroom.storage.keys import QueueKeys
from waitroom.storage.script_replies import JoinLimited, JoinLimits, JoinWindow


def _rule(text: str) -> tuple[int, int]:
    """(joins allowed, window in ms) of a ``limits`` rate string; (0, 0) when it is off."""
    if not text:
        return 0, 0
    item = parse(text)
    return item.amount, item.get_expiry() * 1000


def too_many_joins(limited: JoinLimited) -> TooManyJoins:
    retry_after_seconds = max(1, -(-limited.retry_after_ms // 1000))
    return TooManyJoins(limited.scope, retry_after_seconds)


class JoinRateLimiter:
    """Which windows a client's join counts in (None: the client is exempt)."""

    def __init__(
        self, per_ip: str, per_subnet: str, exempt_networks: Sequence[str] = ()
    ) -> None:
        self.address_rule = _rule(per_ip)
        self.network_rule = _rule(per_subnet)
        networks = [ipaddress.ip_network(net, strict=False) for net in exempt_networks]
        self.exempt_ipv4 = [
            (int(net.network_address), int(net.netmask))
            for net in networks
            if isinstance(net, ipaddress.IPv4Network)
        ]
        self.exempt_networks = networks

    def limits_for(self, queue_id: str, address: str) -> JoinLimits | None:
        number = ipv4_number(address)
        if number is not None:  # the common case, parsed once
            if any(number & mask == network for network, mask in self.exempt_ipv4):
                return None
            network_name = address[: address.rindex(".")] + ".0/24"
        elif self.exempt(address):
            return None
        else:
            network_name = subnet_of(address)
        keys = QueueKeys(queue_id)
        return JoinLimits(
            JoinWindow(keys.join_limit("address", address), *self.address_rule),
            JoinWindow(keys.join_limit("network", network_name), *self.network_rule),
        )

    def exempt(self, address: str) -> bool:
        number = ipv4_number(address)
        if number is not None:
            return any(number & mask == network for network, mask in self.exempt_ipv4)
        try:
            parsed = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(parsed in network for network in self.exempt_networks)
