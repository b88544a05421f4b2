"""The callback connection (service_kit.redis_callbacks) on a real Redis: replies in order to
their callers, a script Redis has not seen sent again with EVAL, error replies and a lost
connection handed to the callers (never raised into the loop), a new connection for the next
call, the database and password of the URL, and None for what it does not connect to."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import socket
from typing import Any
from urllib.parse import urlsplit

import hiredis
import pytest
from redis.asyncio import Redis

from service_kit.redis_callbacks import CallbackConnection, RedisAddress, pack_command
from service_kit.redis_client import redis_from_url
from waitroom.storage.embedded_redis import EmbeddedRedis


def ask(connection: CallbackConnection, *args: Any) -> asyncio.Future[Any]:
    answer: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    connection.call(args, answer.set_result)
    return answer


@pytest.fixture
async def connection(redis_url: str) -> Any:
    address = RedisAddress.of(redis_from_url(redis_url))
    if address is None:
        pytest.skip("REDIS_URL is not plain TCP: the stock view keeps to redis-py there")
    connection = CallbackConnection(address)
    yield connection
    await connection.aclose()


async def test_replies_come_to_their_callers_in_order(
    connection: CallbackConnection, unique_id: str
) -> None:
    answers = [ask(connection, "SET", f"{unique_id}:{n}", n) for n in range(50)]
    answers += [ask(connection, "GET", f"{unique_id}:{n}") for n in range(50)]
    replies = await asyncio.wait_for(asyncio.gather(*answers), timeout=5)
    assert replies[:50] == [b"OK"] * 50
    assert replies[50:] == [str(n).encode() for n in range(50)]


async def test_a_script_redis_has_not_seen_is_sent_with_eval(
    connection: CallbackConnection, redis: Redis, unique_id: str
) -> None:
    source = f"-- {secrets.token_hex(8)}\nreturn {{KEYS[1], ARGV[1]}}"
    sha = hashlib.sha1(source.encode()).hexdigest()
    assert (await redis.script_exists(sha)) == [False]  # never loaded
    first: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    connection.eval_script(sha, source, [f"{unique_id}:k"], ["v"], first.set_result)
    assert await asyncio.wait_for(first, timeout=5) == [f"{unique_id}:k".encode(), b"v"]
    assert (await redis.script_exists(sha)) == [True]  # EVAL left it in the script cache


async def test_an_error_reply_goes_to_its_caller_and_the_next_call_works(
    connection: CallbackConnection, unique_id: str
) -> None:
    wrong = await asyncio.wait_for(ask(connection, "INCR", "a", "b", "c"), timeout=5)
    assert isinstance(wrong, hiredis.ReplyError)
    assert await asyncio.wait_for(ask(connection, "INCR", f"{unique_id}:n"), timeout=5) == 1


async def test_a_lost_connection_fails_the_calls_out_and_the_next_call_reconnects(
    own_redis: EmbeddedRedis,
) -> None:
    address = RedisAddress.of(redis_from_url(own_redis.url))
    assert address is not None
    connection = CallbackConnection(address)
    try:
        assert await asyncio.wait_for(ask(connection, "PING"), timeout=5) == b"PONG"
        blocked = ask(connection, "BLPOP", "never-pushed", 30)  # out when Redis goes away
        await asyncio.sleep(0.05)
        own_redis.stop()
        lost = await asyncio.wait_for(blocked, timeout=10)
        assert isinstance(lost, ConnectionError)
        refused = await asyncio.wait_for(ask(connection, "PING"), timeout=10)
        assert isinstance(refused, ConnectionError)  # nothing listens: told, not raised
        own_redis.start()
        assert await asyncio.wait_for(ask(connection, "PING"), timeout=10) == b"PONG"
    finally:
        await connection.aclose()
    closed = await asyncio.wait_for(ask(connection, "PING"), timeout=5)
    assert isinstance(closed, ConnectionError)


async def test_the_database_of_the_url_is_selected(redis_url: str, unique_id: str) -> None:
    other = redis_from_url(urlsplit(redis_url)._replace(path="/3").geturl())
    address = RedisAddress.of(other)
    if address is None:
        pytest.skip("REDIS_URL is not plain TCP: the stock view keeps to redis-py there")
    assert address.db == 3
    connection = CallbackConnection(address)
    try:
        assert await asyncio.wait_for(ask(connection, "SET", unique_id, "in-3"), timeout=5)
        assert await other.get(unique_id) == b"in-3"
    finally:
        await connection.aclose()
        await other.delete(unique_id)
        await other.aclose()


async def test_only_plain_tcp_is_made_here() -> None:
    address = RedisAddress.of(redis_from_url("redis://user:secret@10.1.2.3:6380/2"))
    assert address is not None
    assert (address.host, address.port, address.db) == ("10.1.2.3", 6380, 2)
    assert (address.username, address.password) == ("user", "secret")
    assert RedisAddress.of(redis_from_url("rediss://10.1.2.3:6380/0")) is None


def test_commands_are_packed_as_resp_arrays() -> None:
    assert pack_command(["SET", b"k", 12, 0.5]) == (
        b"*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\n12\r\n$3\r\n0.5\r\n"
    )
    with pytest.raises(TypeError):
        pack_command(["SET", None])


async def test_a_redis_that_never_answers_ends_the_connection_after_the_reply_timeout() -> None:
    """A server that takes the command and says nothing (a hung Redis, or a killed one whose
    forked child still holds the socket): the caller is told, not left waiting for ever."""
    held: list[asyncio.StreamWriter] = []

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    connection = CallbackConnection(RedisAddress("127.0.0.1", port, reply_timeout_seconds=0.2))
    try:
        answer = await asyncio.wait_for(ask(connection, "PING"), timeout=5)
        assert isinstance(answer, ConnectionError) and "in time" in str(answer)
    finally:
        await connection.aclose()
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()


async def test_a_call_made_by_a_caller_told_of_a_failed_connect_is_answered_too() -> None:
    """The stock view sends its next read from the function that hears the last one failed:
    that call starts a connect of its own (it was once queued behind the attempt that was
    ending, and waited for ever: a checkout hung at the door after a Redis was killed)."""
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    connection = CallbackConnection(RedisAddress("127.0.0.1", port))
    second: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    def again(value: Any) -> None:
        assert isinstance(value, ConnectionError)
        connection.call(["PING"], second.set_result)

    try:
        connection.call(["PING"], again)
        refused = await asyncio.wait_for(second, timeout=5)
        assert isinstance(refused, ConnectionError)
    finally:
        await connection.aclose()


async def test_a_connection_the_server_closes_as_it_is_made_fails_the_calls_out() -> None:
    """A server that accepts and closes at once (a Redis at its client limit, or going away):
    the queued calls are told, whether the close comes before or after the connection is
    taken into use."""

    async def close_at_once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    server = await asyncio.start_server(close_at_once, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    connection = CallbackConnection(RedisAddress("127.0.0.1", port, reply_timeout_seconds=30))
    try:
        answers = [ask(connection, "PING") for _ in range(3)]
        replies = await asyncio.wait_for(asyncio.gather(*answers), timeout=5)
        assert all(isinstance(reply, ConnectionError) for reply in replies)
    finally:
        await connection.aclose()
        server.close()
        await server.wait_closed()
