"""Queue ids as the contract spells them: a lowercase letter or digit, then up to 63 lowercase
letters, digits, ``_`` or ``-`` (they appear in paths, cookie names and Redis hash tags)."""

from __future__ import annotations

import re

QUEUE_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


def is_valid_queue_id(queue_id: str) -> bool:
    return bool(QUEUE_ID_PATTERN.match(queue_id))
