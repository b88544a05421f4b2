"""Lua scripts shipped as package data (``<package>/lua/<name>.lua``), their declared keys, and
one way to run them: EVALSHA, with one SCRIPT LOAD and retry when Redis answers NOSCRIPT.

Every script starts with a header naming what it takes and returns::

    -- KEYS[1] = config        the queue's settings (hash)
    -- KEYS[3..] = texts       any number of lists (a trailing group)
    -- KEYS[5] = stock?        optional: may be left off (the trailing ones only)
    -- ARGV[1] = default_burst when the queue has none of its own
    -- Returns {outcome, ...}

A script's key names are names of the app's key module (``QueueKeys`` / ``EventKeys``), in
``KEYS`` order. :class:`LuaScript` reads the header when it is built and refuses a script whose
header does not name exactly the keys and arguments its caller declares, so the header, the
caller and the script cannot drift apart. It then puts ``local K = {config = KEYS[1], ...}``
(every key the header names but a trailing group) before the script's code: the script and its
preludes (shared functions, which have no header of their own) reach their keys as ``K.config``,
never by building a name. A prelude's function works in any script that declares the keys it
uses. A prelude of another package is named ``(package, name)``: the shared mail outbox's
``ENQUEUE_PRELUDE`` (:mod:`service_kit.mail_outbox`) is one, used by both apps' scripts.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

from redis.asyncio import Redis, RedisCluster
from redis.exceptions import NoScriptError
from redis.typing import EncodableT

Prelude = str | tuple[str, str]
"""A prelude's name in the script's own package, or ``(package, name)`` of another one."""

HEADER_LINE = re.compile(r"^--\s*(KEYS|ARGV)\[(\d+)(\.\.)?\]\s*=\s*([a-z_][a-z0-9_]*)(\?)?")


class ScriptHeaderMismatch(RuntimeError):
    """A script's header names other keys or arguments than its caller declares."""


def lua_source(package: str, name: str) -> str:
    """The text of ``<package>/lua/<name>.lua`` (``package`` is a dotted package name)."""
    return (resources.files(package) / "lua" / f"{name}.lua").read_text(encoding="utf-8")


@dataclass(frozen=True, slots=True)
class ScriptHeader:
    """What a script's header declares, in order. A trailing group reads ``name...``, an
    optional key ``name?``."""

    keys: tuple[str, ...]
    argv: tuple[str, ...]


def script_header(text: str) -> ScriptHeader:
    """The KEYS and ARGV a script's leading comment block names (numbered from 1, no gaps)."""
    found: dict[str, list[str]] = {"KEYS": [], "ARGV": []}
    for line in text.splitlines():
        if not line.startswith("--"):
            break
        match = HEADER_LINE.match(line)
        if match is None:
            continue
        kind, index, group, name, optional = match.groups()
        names = found[kind]
        if int(index) != len(names) + 1:
            expected = f"{kind}[{len(names) + 1}]"
            raise ScriptHeaderMismatch(f"{kind}[{index}] = {name}: expected {expected}")
        names.append(name + ("..." if group else "") + ("?" if optional else ""))
    return ScriptHeader(tuple(found["KEYS"]), tuple(found["ARGV"]))


class LuaScript:
    """One script bound to a client. ``keys`` and ``argv`` are the names the caller passes,
    checked against the script's header once, here."""

    __slots__ = ("argv", "keys", "name", "redis", "sha", "source")

    def __init__(
        self,
        redis: Redis | RedisCluster,
        package: str,
        name: str,
        keys: Sequence[str],
        argv: Sequence[str],
        preludes: Sequence[Prelude] = (),
    ) -> None:
        body = lua_source(package, name)
        declared = script_header(body)
        if declared != ScriptHeader(tuple(keys), tuple(argv)):
            raise ScriptHeaderMismatch(
                f"{package}/lua/{name}.lua declares KEYS {declared.keys} ARGV {declared.argv}; "
                f"its caller passes KEYS {tuple(keys)} ARGV {tuple(argv)}"
            )
        self.redis = redis
        self.name = name
        self.keys = tuple(keys)
        self.argv = tuple(argv)
        named = ", ".join(
            f"{name.rstrip('?')} = KEYS[{index}]"
            for index, name in enumerate(self.keys, start=1)
            if not name.endswith("...")
        )
        preamble = [f"local K = {{ {named} }}"]
        preamble += [
            lua_source(*prelude) if isinstance(prelude, tuple) else lua_source(package, prelude)
            for prelude in preludes
        ]
        self.source = _with_preludes(body, preamble)
        self.sha = hashlib.sha1(self.source.encode("utf-8")).hexdigest()

    async def __call__(self, keys: Sequence[str], args: Sequence[EncodableT]) -> Any:
        """EVALSHA; after NOSCRIPT (Redis restarted or flushed its script cache, or a cluster
        node that never saw it) one SCRIPT LOAD and one more EVALSHA."""
        try:
            return await self.redis.evalsha(self.sha, len(keys), *keys, *args)
        except NoScriptError:
            await self.redis.script_load(self.source)
            return await self.redis.evalsha(self.sha, len(keys), *keys, *args)


def _with_preludes(body: str, preludes: list[str]) -> str:
    """The header comment block of ``body`` (first, so error messages start with it), then the
    preludes, then the rest of ``body``."""
    lines = body.splitlines()
    split = next(
        (index for index, line in enumerate(lines) if not line.startswith("--")), len(lines)
    )
    return "\n".join([*lines[:split], *preludes, *lines[split:]])
