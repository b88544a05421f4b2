"""Create the async Redis client from a URL: a single node, or a Redis/Valkey Cluster.

URL contract (``REDIS_URL``):
- ``redis://[user:password@]host:port/db`` or ``rediss://...``: one Redis node (redis-py ``Redis``).
- ``redis+cluster://[user:password@]host:port[,host:port...]`` or ``rediss+cluster://...``: a
  Redis Cluster (redis-py ``RedisCluster``). The hosts are seed nodes; the client discovers the
  rest with ``CLUSTER SLOTS`` and follows MOVED/ASK redirections. Use the cluster's configuration
  endpoint or several seeds so a process can start while one node is down. No database number
  (a cluster has database 0 only).

Both clients speak the same command and script API (``register_script`` runs EVALSHA on the
node owning the keys' slot, loading the script on a NOSCRIPT reply). The waitroom code keeps to
what works on both: every multi-key command or script touches one queue's (``{q:<id>}``) or one
event's (``{e:<id>}``) keys, and untagged keys (``wr:queues``) are only used by single-key
commands. The cluster client is therefore typed as ``Redis`` for its callers.
"""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import urlsplit, urlunsplit

from redis.asyncio import Redis, RedisCluster
from redis.asyncio.cluster import ClusterNode
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

from service_kit.bounded_cluster import BoundedRedisCluster
from service_kit.closing_pool import ClosingConnectionPool
from service_kit.cluster_connections import guard_pool_connections
from service_kit.errors import RedisUrlError
from service_kit.settings_tree import INTEGER, NUMBER, Cast, Variable
from service_kit.shared_settings import without_password

CLUSTER_SCHEMES = {"redis+cluster": "redis", "rediss+cluster": "rediss"}


def is_cluster_url(url: str) -> bool:
    return urlsplit(url).scheme.lower() in CLUSTER_SCHEMES


HEALTH_CHECK_INTERVAL_SECONDS = 30
CLUSTER_RETRIES = 3
SOCKET_TIMEOUT_SECONDS = 5
"""A command without an answer for this long fails (every path then fails closed); Redis answers
in well under a millisecond, so only a dead or stalled server reaches it."""
CONNECT_TIMEOUT_SECONDS = 2
"""A new connection not made in this long fails fast (a down node is not waited for)."""
DEFAULT_MAX_CONNECTIONS = 128
DEFAULT_POOL_TIMEOUT_SECONDS = 5.0


def reconnect_retry(retries: int = 1) -> Retry:
    """Retry a command ``retries`` times on a new connection after a *connection* error.

    After Redis restarts, every pooled connection to the old server is dead; without a retry
    each one fails the first command sent on it (a burst of errors well after Redis is back).
    With it, the failed connection is dropped, a new one is opened and the command is sent
    again, so a request fails only when the new connection fails too (Redis really is down).
    Timeouts are not retried: the command may have run, and a second wait doubles the delay.
    """
    return Retry(NoBackoff(), retries, supported_errors=(RedisConnectionError,))


def _common_options(max_connections: int) -> dict[str, Any]:
    return {
        "max_connections": max_connections,
        "socket_timeout": SOCKET_TIMEOUT_SECONDS,
        "socket_connect_timeout": CONNECT_TIMEOUT_SECONDS,
        # a connection idle this long is checked with PING before its next command
        "health_check_interval": HEALTH_CHECK_INTERVAL_SECONDS,
        "decode_responses": False,
    }


def cluster_seed_nodes(url: str) -> tuple[str, list[tuple[str, int]]]:
    """Split a cluster URL into a plain ``redis(s)://`` URL of the first seed and all seeds."""
    parts = urlsplit(url)
    scheme = CLUSTER_SCHEMES.get(parts.scheme.lower())
    if scheme is None:
        raise RedisUrlError(f"not a cluster URL: {parts.scheme}://")
    credentials, _, hosts = parts.netloc.rpartition("@")
    seeds: list[tuple[str, int]] = []
    for address in hosts.split(","):
        host, _, port_text = address.strip().rpartition(":")
        if not host or not port_text.isdigit():
            raise RedisUrlError(f"cluster seed {address!r} must be host:port")
        seeds.append((host.strip("[]"), int(port_text)))
    if parts.path.strip("/") not in {"", "0"}:
        raise RedisUrlError("a Redis Cluster has database 0 only")
    first_host, first_port = seeds[0]
    netloc = f"{credentials}@" if credentials else ""
    netloc += f"[{first_host}]" if ":" in first_host else first_host
    netloc += f":{first_port}"
    return urlunsplit((scheme, netloc, "", parts.query, "")), seeds


def redis_from_url(
    url: str,
    max_connections: int = DEFAULT_MAX_CONNECTIONS,
    pool_timeout_seconds: float = DEFAULT_POOL_TIMEOUT_SECONDS,
) -> Redis:
    """The async client for ``url`` (see the module docstring for the URL contract).

    When all connections are busy, a command waits up to ``pool_timeout_seconds`` for one
    instead of failing, so a surge queues inside the process rather than erroring. A command
    that meets a dead pooled connection is sent again on a new one (:func:`reconnect_retry`).
    """
    if not is_cluster_url(url):
        pool = ClosingConnectionPool.from_url(
            url,
            timeout=pool_timeout_seconds,
            retry=reconnect_retry(),
            **_common_options(max_connections),
        )
        # a connection closed under a command fails as one (service_kit/cluster_connections.py),
        # and none opens again once the client is closed (service_kit/closing_pool.py)
        guard_pool_connections(pool)
        return Redis.from_pool(pool)
    plain_url, seeds = cluster_seed_nodes(url)
    cluster: RedisCluster = BoundedRedisCluster.from_url(
        plain_url,
        startup_nodes=[ClusterNode(host, port) for host, port in seeds[1:]],
        connection_wait_seconds=pool_timeout_seconds,
        # the cluster client retries a command after a connection error itself (its node
        # connections never do): it drops the node's idle connections, reloads the slot map
        # and sends the command again
        retry=reconnect_retry(CLUSTER_RETRIES),
        **_common_options(max_connections),
    )
    # Same command API for everything waitroom uses; see the module docstring.
    return cast(Redis, cluster)


def _redis_url(raw: str) -> str:
    if is_cluster_url(raw):
        cluster_seed_nodes(raw)  # raises RedisUrlError naming what is wrong
        return raw
    parts = urlsplit(raw)
    if parts.scheme not in {"redis", "rediss", "unix"}:
        raise ValueError("expected redis://, rediss://, unix:// or redis+cluster://")
    if parts.scheme != "unix" and not parts.hostname:
        raise ValueError("the URL names no host")
    if parts.port == 0:  # reading the port raises ValueError for one that is not a number
        raise ValueError("the port is 0")
    database = parts.path.strip("/")
    if parts.scheme != "unix" and database and not database.isdigit():
        raise ValueError("the database is a number")
    return raw


REDIS_URL_CAST: Cast[str | None] = Cast(
    "Redis URL", _redis_url, garbage="mysql://localhost/db", redact=without_password
)
REDIS_URL: Variable[str | None] = Variable(
    "REDIS_URL",
    REDIS_URL_CAST,
    None,
    "The waiting room's Redis or Valkey (>= 6.2): `redis://`, `rediss://`, `unix://` or "
    "`redis+cluster://host:port[,host:port...]`. Unset: `waitroom demo` starts an embedded "
    "one; `waitroom serve` refuses to start",
    aliases=("WAITROOM_REDIS_URL",),
)
REDIS_MAX_CONNECTIONS: Variable[int] = Variable(
    "WAITROOM_REDIS_MAX_CONNECTIONS",
    INTEGER,
    DEFAULT_MAX_CONNECTIONS,
    "Connections to the waiting room's Redis per process (per node of a cluster); a surge "
    "waits for a free one",
    minimum=1,
    maximum=10_000,
)
REDIS_POOL_TIMEOUT: Variable[float] = Variable(
    "WAITROOM_REDIS_POOL_TIMEOUT_SECONDS",
    NUMBER,
    DEFAULT_POOL_TIMEOUT_SECONDS,
    "How long a request waits for a free connection to the waiting room's Redis before failing",
    minimum=0.1,
    maximum=600,
)
