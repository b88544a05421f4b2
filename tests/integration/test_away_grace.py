"""A place kept while away: a skipped place is kept for the queue's grace; its fan, back in
time, is admitted at the next admission step; past the grace the fan is told and may rejoin.

Redis time drives the pointer, so these tests use the script's shortest abandonment period
(2 s) and short graces, and wait for real (a few seconds each).
"""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from redis.asyncio import Redis

from tests.support.abuse_support import create_queue, running_app
from tests.system.test_abandonment import join_fans, poll
from waitroom.storage.keys import QueueKeys


async def _skip_the_first(client: httpx.AsyncClient, queue_id: str, **fields: object) -> list[str]:
    """Six fans; the first closes its page, the others keep polling until the pointer passed
    the first (skipped) and admitted the second. Returns the tokens."""
    await create_queue(
        client, queue_id, rate_per_minute=0, abandon_after_seconds=2, burst=1, **fields
    )
    tokens = await join_fans(client, queue_id, 6)
    deadline = time.monotonic() + 4.5  # two full periods: the silent place is now "away"
    while time.monotonic() < deadline:
        for token in tokens[1:]:
            await poll(client, queue_id, token)
        await asyncio.sleep(0.2)
    await create_queue(client, queue_id, rate_per_minute=30)  # one fan every 2 s
    for _ in range(40):
        if (await poll(client, queue_id, tokens[1]))["state"] == "admitted":
            break
        for token in tokens[2:]:
            await poll(client, queue_id, token)
        await asyncio.sleep(0.2)
    else:
        raise AssertionError("the second fan was never admitted")
    return tokens


@pytest.mark.slow
async def test_back_within_the_grace_is_admitted_at_the_next_step(
    redis_url: str, redis: Redis, unique_id: str
) -> None:
    async with running_app(redis_url) as (_, client):
        tokens = await _skip_the_first(client, unique_id, away_grace_seconds=60)
        keys = QueueKeys(unique_id)
        assert await redis.getbit(keys.skipped, 1) == 1
        back = await poll(client, unique_id, tokens[0])
        # kept: same place, waiting at the front for the next step, told so
        assert back["state"] == "waiting" and back["position"] == 1
        assert back["returning"] is True and back["ahead"] == 0
        assert back["away_grace_seconds"] == 60
        serving_at_return = int(await redis.hget(keys.counters, "serving") or 0)
        for _ in range(40):
            back = await poll(client, unique_id, tokens[0])
            if back["state"] == "admitted":
                break
            for token in tokens[2:]:
                await poll(client, unique_id, token)
            await asyncio.sleep(0.2)
        assert back["state"] == "admitted" and isinstance(back.get("pass"), str)
        # the step that admitted the returning fan admitted nobody else: the fans who joined
        # after it are still behind
        serving = int(await redis.hget(keys.counters, "serving") or 0)
        assert serving <= serving_at_return + 1
        assert (await poll(client, unique_id, tokens[5]))["state"] == "waiting"
        assert await redis.getbit(keys.skipped, 1) == 0  # readmitted
        # joining again by the same token keeps the place (never a place at the back)
        response = await client.post(
            f"/api/v1/queues/{unique_id}/join", headers={"Authorization": f"Bearer {tokens[0]}"}
        )
        assert response.json()["position"] == 1


@pytest.mark.slow
async def test_away_longer_than_the_grace_is_told_and_may_rejoin(
    redis_url: str, unique_id: str
) -> None:
    async with running_app(redis_url) as (_, client):
        tokens = await _skip_the_first(client, unique_id, away_grace_seconds=1)
        await asyncio.sleep(1.2)
        told = await poll(client, unique_id, tokens[0])
        assert told["state"] == "closed" and told["closed_reason"] == "away_too_long"
        assert "pass" not in told
        assert (await poll(client, unique_id, tokens[0]))["closed_reason"] == "away_too_long"
        response = await client.post(
            f"/api/v1/queues/{unique_id}/rejoin", headers={"Authorization": f"Bearer {tokens[0]}"}
        )
        assert response.status_code == 201, response.text
        assert response.json()["position"] == 7  # a new place after the six


@pytest.mark.slow
async def test_a_zero_grace_gives_a_skipped_place_up_at_once(
    redis_url: str, unique_id: str
) -> None:
    async with running_app(redis_url) as (_, client):
        tokens = await _skip_the_first(client, unique_id, away_grace_seconds=0)
        told = await poll(client, unique_id, tokens[0])
        assert told["closed_reason"] == "away_too_long"
