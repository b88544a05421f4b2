"""Fair pre-queue: published commitment and hashed ids, revealed seed, independent verification,
signed receipts, and a statistical check that arriving earlier does not buy a better place."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
from pathlib import Path

import httpx
from redis.asyncio import Redis

from tests.conftest import ADMIN_TOKEN
from tests.support.servers import ServerProcess
from tests.support.tampering import tampered
from waitroom.admission import AdmissionStore
from waitroom.queue.shuffle_verify import (
    hashed_visitor_id,
    position_in_order,
    seed_commitment,
    shuffle_order,
    verify_shuffle,
)


def _ranks(values: list[float]) -> list[float]:
    order = sorted(range(len(values)), key=lambda index: values[index])
    ranks = [0.0] * len(values)
    for rank, index in enumerate(order):
        ranks[index] = float(rank)
    return ranks


def spearman(first: list[float], second: list[float]) -> float:
    a, b = _ranks(first), _ranks(second)
    mean = (len(a) - 1) / 2
    covariance = sum((x - mean) * (y - mean) for x, y in zip(a, b, strict=True))
    variance = sum((x - mean) ** 2 for x in a)
    return covariance / variance


async def test_arrival_order_before_opening_does_not_predict_place(
    redis: Redis, unique_id: str
) -> None:
    store = AdmissionStore(redis, default_burst=10)
    await store.configure(unique_id, {"rate_per_minute": 60, "opens_at": time.time() + 3600})
    early = 600
    for index in range(early):
        result = await store.join(unique_id, f"fan{index:05d}-arrival-order")
        assert result.outcome == "prequeue"
    await store.configure(unique_id, {"opens_at": time.time() - 1})  # open now
    late = [await store.join(unique_id, f"late{index:03d}-after-opening") for index in range(20)]
    places: list[int] = []
    for index in range(early):
        place = await store.position_of(unique_id, f"fan{index:05d}-arrival-order")
        assert place is not None
        places.append(place)
    assert sorted(places) == list(range(1, early + 1))
    # Spearman rank correlation of arrival order vs place: ~N(0, 1/(n-1)) when independent;
    # 4.5 standard deviations makes a false alarm a ~1e-5 event.
    correlation = spearman([float(i) for i in range(early)], [float(p) for p in places])
    assert abs(correlation) < 4.5 / math.sqrt(early - 1)
    # the first tenth of arrivals is spread over the whole pre-queue, not bunched at the front
    first_tenth = places[: early // 10]
    mean_place = sum(first_tenth) / len(first_tenth)
    standard_error = math.sqrt((early**2 - 1) / 12 / len(first_tenth))
    assert abs(mean_place - (early + 1) / 2) < 4.5 * standard_error
    # later arrivals are FIFO behind everyone from the pre-queue
    assert [result.position for result in late] == list(range(early + 1, early + 21))


def _cli(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "waitroom.cli", *arguments],
        capture_output=True,
        text=True,
        env={"WAITROOM_ADMIN_TOKEN": ADMIN_TOKEN, "PATH": ""},
        check=False,
    )


def test_publication_is_verifiable_end_to_end(
    waitroom_server: ServerProcess, unique_id: str, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    base = waitroom_server.base_url
    admin = f"{base}/api/v1/admin/queues/{unique_id}"
    created = httpx.put(
        admin, json={"rate_per_minute": 60, "opens_at": time.time() + 3600}, headers=admin_headers
    )
    assert created.status_code == 201
    commitment = created.json()["shuffle_seed_sha256"]
    assert "shuffle_seed" not in created.json()  # the seed stays secret until opening
    fans: list[httpx.Client] = []
    for _ in range(25):
        fan = httpx.Client(base_url=base)
        assert fan.post(f"/api/v1/queues/{unique_id}/join").json()["state"] == "prequeue"
        fans.append(fan)
    # the fan's signed receipt names their hashed id and the commitment
    receipt = fans[0].get(f"/api/v1/queues/{unique_id}/receipt").json()
    assert receipt["receipt"]["position"] == 0 and receipt["receipt"]["prequeue"] is True
    assert receipt["receipt"]["shuffle_seed_sha256"] == commitment
    my_hash = receipt["receipt"]["hashed_visitor_id"]
    page = fans[0].get(f"/q/{unique_id}/receipt")
    assert page.status_code == 200 and my_hash in page.text
    before = httpx.get(f"{base}/api/v1/queues/{unique_id}/prequeue").json()
    assert before["opened"] is False and before["count"] == 25
    assert before["shuffle_seed_sha256"] == commitment and "shuffle_seed" not in before
    assert my_hash in before["hashed_visitor_ids"]
    assert fans[0].cookies["wr_vid"] not in json.dumps(before)  # raw ids never published
    # open now: the seed is revealed and the order published
    assert httpx.put(admin, json={"opens_at": time.time() - 1}, headers=admin_headers).is_success
    after = httpx.get(f"{base}/api/v1/queues/{unique_id}/prequeue").json()
    assert after["opened"] is True and seed_commitment(after["shuffle_seed"]) == commitment
    result = verify_shuffle(after, before)
    assert result.ok, result.problems
    assert result.checked_count == 25
    assert after["ordered_hashed_visitor_ids"] == shuffle_order(
        after["shuffle_seed"], before["hashed_visitor_ids"]
    )
    # each fan's real place is the one the public order gives their hash
    for fan in fans:
        status = fan.get(f"/api/v1/queues/{unique_id}/status").json()
        hashed = hashed_visitor_id(unique_id, fan.cookies["wr_vid"])
        assert status["position"] == position_in_order(after, hashed)
    signed = fans[0].get(f"/api/v1/queues/{unique_id}/receipt").json()
    assert signed["receipt"]["position"] == position_in_order(after, my_hash)
    verify_url = f"{base}/api/v1/queues/{unique_id}/receipts/verify"
    assert httpx.post(verify_url, json={"signed": signed["signed"]}).json()["valid"] is True
    forged = httpx.post(verify_url, json={"signed": tampered(signed["signed"])})
    assert forged.status_code == 400
    # tampering is detected: swapped order, wrong seed, a fan dropped
    order = list(after["ordered_hashed_visitor_ids"])
    order[0], order[1] = order[1], order[0]
    swapped = {**after, "ordered_hashed_visitor_ids": order}
    assert not verify_shuffle(swapped, before).ok
    assert not verify_shuffle({**after, "shuffle_seed": "0" * 64}, before).ok
    dropped = {**after, "ordered_hashed_visitor_ids": after["ordered_hashed_visitor_ids"][1:]}
    assert not verify_shuffle(dropped, before).ok
    # the CLI verifier, online and from saved files
    online = _cli("verify-shuffle", unique_id, "--url", base)
    assert online.returncode == 0, online.stderr
    assert "OK: the order of 25" in online.stdout
    (tmp_path / "before.json").write_text(json.dumps(before))
    (tmp_path / "after.json").write_text(json.dumps(swapped))
    offline = _cli(
        "verify-shuffle",
        "--file",
        str(tmp_path / "after.json"),
        "--before",
        str(tmp_path / "before.json"),
    )
    assert offline.returncode == 1 and "FAILED" in offline.stderr
    for fan in fans:
        fan.close()
