"""Proof of work on join: the server check, the HTTP flow and the page's JavaScript solver."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from redis.asyncio import Redis

from tests.conftest import SECRET_KEYS
from tests.support.abuse_support import create_queue, running_app
from tests.support.fan_client import FORM_POST
from tests.support.paths import REPOSITORY_ROOT
from waitroom.errors import ProofOfWorkRequired
from waitroom.protection.proof_of_work import (
    CHALLENGE_HEADER,
    SOLUTION_HEADER,
    ProofOfWork,
    leading_zero_bits_ok,
    solution_digest,
    solve,
)

POW_JS = REPOSITORY_ROOT / "waitroom" / "pages" / "static" / "pow.js"


async def test_a_solution_is_accepted_once(redis: Redis, unique_id: str) -> None:
    proof = ProofOfWork(SECRET_KEYS, difficulty_bits=8, ttl_seconds=60)
    challenge = proof.issue(unique_id)
    solution = solve(challenge.token, 8)
    assert leading_zero_bits_ok(solution_digest(challenge.token, solution), 8)
    await proof.verify(redis, unique_id, challenge.token, solution)
    with pytest.raises(ProofOfWorkRequired, match="already used"):
        await proof.verify(redis, unique_id, challenge.token, solution)


async def test_wrong_foreign_forged_and_missing_solutions_are_refused(
    redis: Redis, unique_id: str
) -> None:
    proof = ProofOfWork(SECRET_KEYS, difficulty_bits=12, ttl_seconds=60)
    challenge = proof.issue(unique_id)
    solution = solve(challenge.token, 12)
    wrong = next(
        str(number)
        for number in range(10_000)
        if not leading_zero_bits_ok(solution_digest(challenge.token, str(number)), 12)
    )
    easy = ProofOfWork(SECRET_KEYS, difficulty_bits=1, ttl_seconds=60).issue(unique_id)
    forged = ProofOfWork(["another-secret-0123456789"], 12, 60).issue(unique_id)
    cases = [
        (challenge.token, wrong, "wrong"),
        (proof.issue("other-queue").token, solution, "another queue"),
        (easy.token, solve(easy.token, 1), "too easy"),
        (forged.token, solve(forged.token, 12), "invalid"),
        (None, None, "solve"),
        (challenge.token, "12ab", "malformed"),
    ]
    for token, answer, message in cases:
        with pytest.raises(ProofOfWorkRequired, match=message):
            await proof.verify(redis, unique_id, token, answer)


async def test_join_requires_the_proof_when_enabled(redis_url: str, unique_id: str) -> None:
    async with running_app(redis_url, WAITROOM_POW_DIFFICULTY_BITS="10") as (_, client):
        await create_queue(client, unique_id, rate_per_minute=0)
        refused = await client.post(f"/api/v1/queues/{unique_id}/join")
        assert refused.status_code == 428
        assert refused.json()["difficulty_bits"] == 10
        page = await client.get(f"/q/{unique_id}")  # the queue, and the script that joins
        assert page.status_code == 200 and "/static/waitroom/pow.js" in page.text
        assert 'data-challenge-url="/api/v1/queues/' in page.text
        visitor = page.cookies.get("wr_vid")
        assert visitor  # set before solving, so every tab joins as the same visitor
        button = await client.post(
            f"/api/v1/queues/{unique_id}/join", content=b"", headers=FORM_POST
        )  # without JavaScript there is no proof: a page in the fan's language says so
        assert button.status_code == 428 and "text/html" in button.headers["content-type"]
        challenge = (await client.get(f"/api/v1/queues/{unique_id}/challenge")).json()
        assert challenge["required"] is True
        headers = {
            CHALLENGE_HEADER: challenge["challenge"],
            SOLUTION_HEADER: solve(challenge["challenge"], challenge["difficulty_bits"]),
        }
        joined = await client.post(f"/api/v1/queues/{unique_id}/join", headers=headers)
        assert joined.status_code == 201
        # another tab of the same browser: the cookies prove the place, no second proof
        tab = await client.post(f"/api/v1/queues/{unique_id}/join")
        assert tab.status_code == 200 and tab.json()["position"] == joined.json()["position"]
        queue_page = await client.get(f"/q/{unique_id}")
        assert "pow.js" not in queue_page.text and 'id="position"' in queue_page.text
        client.cookies.clear()
        assert (await client.get("/q/no-such-queue")).status_code == 404
        await create_queue(client, unique_id, state="closed")
        closed = await client.get(f"/q/{unique_id}")
        assert "pow.js" not in closed.text and closed.status_code == 200
        assert "does not take new fans" in closed.text


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node to run the page script")
def test_the_page_solver_agrees_with_the_server() -> None:
    proof = ProofOfWork(SECRET_KEYS, difficulty_bits=14, ttl_seconds=60)
    challenge = proof.issue("queue").token
    script = (
        f"const pow = require({json.dumps(str(POW_JS))});"
        f"pow.solve({json.dumps(challenge)}, 14, (s) => console.log(s));"
    )
    solution = subprocess.run(
        ["node", "-e", script], capture_output=True, text=True, check=True, timeout=60
    ).stdout.strip()
    assert leading_zero_bits_ok(solution_digest(challenge, solution), 14)
