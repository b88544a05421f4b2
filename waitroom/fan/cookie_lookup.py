"""One cookie's value from a ``Cookie`` header, without parsing every cookie in it.

Browsers poll the status with every cookie of the site (visitor id, position, language, the
page's ``wr_js``, an analytics cookie or two). Starlette's ``cookie_parser`` splits and unquotes
all of them on every poll; :func:`cookie_value` finds the one it needs and gives exactly what
``cookie_parser(header).get(name)`` gives (a property test compares both), handing the header
to ``cookie_parser`` itself whenever the answer is not plain: the name appears more than once
(the last one wins there) or the value is quoted.
"""

from __future__ import annotations

from starlette.requests import cookie_parser


def cookie_value(cookie_header: str, name: str) -> str | None:
    """``cookie_parser(cookie_header).get(name)`` for a ``name`` without ``=`` or ``;``."""
    start = cookie_header.find(name)
    if start < 0:
        return None
    if cookie_header.find(name, start + 1) >= 0:
        return cookie_parser(cookie_header).get(name)
    before = cookie_header[:start].rstrip()
    if before and not before.endswith(";"):
        return None  # the only occurrence is inside another cookie's name or value
    end = cookie_header.find(";", start)
    rest = cookie_header[start + len(name) : end if end >= 0 else None].lstrip()
    if not rest.startswith("="):
        return None  # another cookie whose name starts with ``name``, or no value at all
    value = rest[1:].strip()
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        return cookie_parser(cookie_header).get(name)  # quoted: starlette unquotes it
    return value
