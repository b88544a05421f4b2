"""Redis key names of the shop. Every key of an event carries the hash tag ``{e:<event_id>}``,
so an event lives on one Redis Cluster slot and each Lua script touches one event's keys only."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

from service_kit.errors import InvalidInput
from service_kit.mail_outbox import OutboxKeys

EVENT_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
ID_SEPARATOR = "~"
"""Hold, order and ticket ids are ``<event_id>~<kind letter><hex>``: the event is in the id."""

EVENT_REGISTRY_KEY = "sale:events"
"""Set of event ids (not hash-tagged: read by listings and the reconciler, never in scripts)."""


def is_valid_event_id(event_id: str) -> bool:
    return bool(EVENT_ID_PATTERN.match(event_id))


def new_id(event_id: str, kind: str) -> str:
    return f"{event_id}{ID_SEPARATOR}{kind}{secrets.token_hex(8)}"


def derived_id(event_id: str, kind: str, source: str) -> str:
    """A stable id derived from another id (the order of a payment, a ticket of an order)."""
    return f"{event_id}{ID_SEPARATOR}{kind}{hashlib.sha256(source.encode()).hexdigest()[:16]}"


def event_of(identifier: object, kind: str) -> str:
    """The event id inside a hold/order/ticket id; InvalidInput when it is not such an id."""
    if not isinstance(identifier, str) or len(identifier) > 100:
        raise InvalidInput(f"not a valid {kind} id", field=f"{kind}_id")
    event_id, separator, rest = identifier.partition(ID_SEPARATOR)
    if (
        not separator
        or not is_valid_event_id(event_id)
        or len(rest) != 17
        or not rest[1:].isalnum()
        or not rest.isascii()
    ):
        raise InvalidInput(f"not a valid {kind} id", field=f"{kind}_id")
    return event_id


@dataclass(frozen=True, slots=True)
class EventKeys:
    """Names of one event's keys: ``sale:{e:<id>}:<part>``."""

    event_id: str

    @property
    def prefix(self) -> str:
        return f"sale:{{e:{self.event_id}}}:"

    @property
    def catalog(self) -> str:
        """String: the event's catalog JSON (tiers, phases, seat map)."""
        return self.prefix + "catalog"

    @property
    def stock(self) -> str:
        """Hash: per tier capacity/remaining/held/sold and the event totals."""
        return self.prefix + "stock"

    @property
    def seats(self) -> str:
        """Hash: seat id -> ``free`` | ``held:<hold_id>`` | ``sold:<ticket_id>``."""
        return self.prefix + "seats"

    @property
    def holds(self) -> str:
        """Hash: hold id -> hold JSON (buyer, items, seats, units, amount)."""
        return self.prefix + "holds"

    @property
    def hold_expiry(self) -> str:
        """Sorted set: hold id scored by its expiry (ms, Redis clock)."""
        return self.prefix + "hold_expiry"

    @property
    def hold_payment(self) -> str:
        """Hash: hold id -> the payment id currently paying for it."""
        return self.prefix + "hold_payment"

    @property
    def buyers(self) -> str:
        """Hash: buyer (visitor id) -> tickets held or bought (the per-buyer limit counter)."""
        return self.prefix + "buyers"

    @property
    def payments(self) -> str:
        """Hash: payment id -> payment intent JSON, written before the provider is called."""
        return self.prefix + "payments"

    @property
    def payment_status(self) -> str:
        """Hash: payment id -> pending | fulfilled:<order_id> | declined | refunded | abandoned."""
        return self.prefix + "payment_status"

    @property
    def payments_pending(self) -> str:
        """Sorted set: payment ids not settled yet, scored by creation (ms)."""
        return self.prefix + "payments_pending"

    @property
    def orders(self) -> str:
        """Hash: order id -> order JSON (immutable; ticket states live in ``tickets``)."""
        return self.prefix + "orders"

    @property
    def tickets(self) -> str:
        """Hash: ticket id -> ``valid`` | ``used:<ms>`` | ``refunded``."""
        return self.prefix + "tickets"

    @property
    def buyer_orders(self) -> str:
        """Hash: buyer -> space-separated order ids."""
        return self.prefix + "buyer_orders"

    @property
    def refunds(self) -> str:
        """Hash: refund id -> refund JSON (payment id, amount, tickets)."""
        return self.prefix + "refunds"

    @property
    def refunds_pending(self) -> str:
        """Sorted set: refunds recorded but not yet confirmed by the payment provider."""
        return self.prefix + "refunds_pending"

    @property
    def short_codes(self) -> str:
        """Hash: short ticket code (canonical, ``sale_backend.domain.short_codes``) -> ticket id."""
        return self.prefix + "short_codes"

    @property
    def ticket_details(self) -> str:
        """Hash: ticket id -> JSON (order, short code, tier, seat, admits, holder)."""
        return self.prefix + "ticket_details"

    @property
    def entries(self) -> str:
        """Hash: ticket id -> JSON list of its entry scans (time, door, device, outcome)."""
        return self.prefix + "entries"

    @property
    def ticket_changes(self) -> str:
        """Sorted set: ticket id scored by the version of its last change (sale, refund, scan);
        door scanners download the changes after the version they have."""
        return self.prefix + "ticket_changes"

    @property
    def tickets_registered(self) -> str:
        """String: set once every ticket sold before short codes existed has its details."""
        return self.prefix + "tickets_registered"

    @property
    def outbox(self) -> OutboxKeys:
        """The event's mail outbox (:mod:`service_kit.mail_outbox`): the tickets e-mails."""
        return OutboxKeys(self.prefix)

    @property
    def mail_outbox(self) -> str:
        """Sorted set: e-mail id -> due time, ms (the outbox's, for the scripts' KEYS)."""
        return self.outbox.outbox

    @property
    def mail_messages(self) -> str:
        """Hash: e-mail id -> JSON payload, ``attempts:<id>`` counters (the outbox's)."""
        return self.outbox.messages

    @property
    def record_log(self) -> str:
        """List: the name of every Idempotency-Key record made for the event, in order (the
        stock views of the shop processes follow it, so a sold-out refusal knows whether a
        request has an earlier answer to replay without asking)."""
        return self.prefix + "record_log"

    def idempotency(self, buyer: str, key: str) -> str:
        """Hash: the first answer to one buyer's ``Idempotency-Key`` (state, body hash, answer)."""
        digest = hashlib.sha256(f"{buyer}\x00{key}".encode()).hexdigest()[:32]
        return f"{self.prefix}idem:{digest}"
