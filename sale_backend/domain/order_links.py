"""Order links: an order page (and its JSON) reached with ``?access=<key>``.

The shopping session ends with the purchase (the active-shopper slot is freed at once), so the
order is not reached through the session: the order carries an ``access_key`` (an HMAC of the
order id and its buyer, itsdangerous ``Signer``, salt ``sale_backend.order``, every secret key
verifies), and the checkout sends the browser to ``/orders/{order_id}?access=<key>``: the link
a confirmation e-mail would carry. Without the right key an order is "not found".
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from itsdangerous import Signer

from sale_backend.domain.documents import Order
from sale_backend.errors import OrderNotFound

ORDER_SALT = "sale_backend.order"
ACCESS_PARAMETER = "access"
MAX_KEY_CHARS = 100


class OrderLinks:
    def __init__(self, secret_keys: Sequence[str]) -> None:
        self._signer = Signer(list(secret_keys), salt=ORDER_SALT, digest_method=hashlib.sha256)

    def key(self, order_id: str, buyer: str) -> str:
        return self._signer.get_signature(f"{order_id}|{buyer}").decode("ascii")

    def check(self, order: Order, key: object) -> None:
        """Raises OrderNotFound unless ``key`` opens ``order``."""
        if (
            not isinstance(key, str)
            or not key
            or len(key) > MAX_KEY_CHARS
            or not key.isascii()
            or not self._signer.verify_signature(f"{order.order_id}|{order.buyer}", key)
        ):
            raise OrderNotFound("no such order", order_id=order.order_id)
