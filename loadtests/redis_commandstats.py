"""Count Redis work from ``INFO commandstats`` (summed over every node of a cluster).

``calls`` of ``evalsha``/``eval`` are script round trips; the commands a script runs inside
Redis (``hmget``, ``hset``, ``time``...) are counted under their own names too, so the total is
"commands executed", and the script calls are the bulk of the round trips.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import redis

SCRIPT_COMMANDS = frozenset({"evalsha", "eval", "evalsha_ro", "eval_ro", "fcall"})
HOUSEKEEPING = frozenset({"info", "ping", "cluster", "command", "client", "hello", "config"})


def parse_commandstats(info: dict[str, object]) -> Counter[str]:
    """``{"cmdstat_get": {"calls": 3, ...}}`` (as redis-py parses it) -> ``Counter(get=3)``."""
    calls: Counter[str] = Counter()
    for name, value in info.items():
        if name.startswith("cmdstat_") and isinstance(value, dict):
            calls[name.removeprefix("cmdstat_").lower()] += int(value["calls"])
    return calls


def script_microseconds(node_urls: Iterable[str]) -> int:
    """Redis CPU time spent in scripts so far (``usec`` of EVALSHA/EVAL), over all nodes."""
    total = 0
    for url in node_urls:
        client = redis.Redis.from_url(url)
        try:
            info = client.info("commandstats")
        finally:
            client.close()
        for name in SCRIPT_COMMANDS:
            value = info.get(f"cmdstat_{name}")
            if isinstance(value, dict):
                total += int(value["usec"])
    return total


def key_memory_bytes(node_urls: Iterable[str], key: str) -> int:
    """``MEMORY USAGE`` of a key, asked of whichever node holds it (others answer MOVED)."""
    for url in node_urls:
        client = redis.Redis.from_url(url)
        try:
            usage = client.memory_usage(key, samples=0)
        except redis.ResponseError:
            continue
        finally:
            client.close()
        if usage:
            return int(usage)
    return 0


def commandstats(node_urls: Iterable[str]) -> Counter[str]:
    total: Counter[str] = Counter()
    for url in node_urls:
        client = redis.Redis.from_url(url)
        try:
            total += parse_commandstats(client.info("commandstats"))
        finally:
            client.close()
    return total


def useful_work(delta: Counter[str]) -> Counter[str]:
    """The delta without monitoring and connection housekeeping (INFO, PING, CLIENT...)."""
    return Counter(
        {
            name: calls
            for name, calls in delta.items()
            if name.split("|")[0] not in HOUSEKEEPING and calls > 0
        }
    )


def script_calls(delta: Counter[str]) -> int:
    """Round trips spent on scripts (each runs several commands inside Redis)."""
    return sum(calls for name, calls in delta.items() if name in SCRIPT_COMMANDS)


def cpu_seconds(node_urls: Iterable[str]) -> float:
    """CPU time (user + system, main thread and children) Redis used so far, over all nodes."""
    total = 0.0
    for url in node_urls:
        client = redis.Redis.from_url(url)
        try:
            info = client.info("cpu")
        finally:
            client.close()
        total += float(info["used_cpu_user"]) + float(info["used_cpu_sys"])
    return total
