"""Optional proof of work on join: the page spends CPU, the server checks in O(1).

A challenge is a signed, short-lived token (itsdangerous, salt ``waitroom.pow``) carrying the
queue id, a random nonce and the difficulty. The solution is a decimal counter such that
``sha256(challenge + ":" + counter)`` starts with ``difficulty`` zero bits. Verifying costs one
signature check, one SHA-256 and one ``SET NX`` that makes each challenge single-use.
Issuing a challenge touches no store at all.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass

from itsdangerous import BadData, URLSafeTimedSerializer
from redis.asyncio import Redis

from service_kit.shared_settings import REDIS_RETRY_AFTER
from waitroom.errors import ProofOfWorkRequired, QueueUnavailable
from waitroom.queue.availability import REDIS_ERRORS
from waitroom.storage.keys import QueueKeys

POW_SALT = "waitroom.pow"
CHALLENGE_HEADER = "waitroom-pow-challenge"
SOLUTION_HEADER = "waitroom-pow-solution"
MAX_SOLUTION_LENGTH = 20


@dataclass(frozen=True, slots=True)
class Challenge:
    token: str
    difficulty_bits: int
    expires_in_seconds: int


def leading_zero_bits_ok(digest: bytes, difficulty_bits: int) -> bool:
    if difficulty_bits <= 0:
        return True
    return int.from_bytes(digest, "big") >> (len(digest) * 8 - difficulty_bits) == 0


def solution_digest(challenge: str, solution: str) -> bytes:
    return hashlib.sha256(f"{challenge}:{solution}".encode()).digest()


def solve(challenge: str, difficulty_bits: int) -> str:
    """Reference solver (tests, API clients). The page uses pages/static/pow.js."""
    counter = 0
    while not leading_zero_bits_ok(solution_digest(challenge, str(counter)), difficulty_bits):
        counter += 1
    return str(counter)


class ProofOfWork:
    def __init__(
        self,
        secret_keys: Sequence[str],
        difficulty_bits: int,
        ttl_seconds: int,
        retry_after_seconds: int = REDIS_RETRY_AFTER.default,
    ) -> None:
        self._serializer = URLSafeTimedSerializer(
            list(secret_keys), salt=POW_SALT, signer_kwargs={"digest_method": hashlib.sha256}
        )
        self.difficulty_bits = difficulty_bits
        self.ttl_seconds = ttl_seconds
        self.retry_after_seconds = retry_after_seconds
        """``Retry-After`` when Redis cannot mark a challenge used."""

    @property
    def enabled(self) -> bool:
        return self.difficulty_bits > 0

    def issue(self, queue_id: str) -> Challenge:
        token = self._serializer.dumps(
            {"q": queue_id, "n": secrets.token_hex(12), "d": self.difficulty_bits}
        )
        return Challenge(str(token), self.difficulty_bits, self.ttl_seconds)

    async def verify(
        self, redis: Redis, queue_id: str, challenge: str | None, solution: str | None
    ) -> None:
        """Raises ProofOfWorkRequired unless a fresh, unused, correct solution is given."""
        if not self.enabled:
            return
        if not challenge or not solution:
            raise ProofOfWorkRequired("solve the join challenge first", self.difficulty_bits)
        if len(challenge) > 512 or len(solution) > MAX_SOLUTION_LENGTH or not solution.isdigit():
            raise ProofOfWorkRequired("malformed proof of work", self.difficulty_bits)
        try:
            payload = self._serializer.loads(challenge, max_age=self.ttl_seconds)
        except (BadData, ValueError, TypeError, UnicodeError):
            raise ProofOfWorkRequired(
                "the challenge is invalid or expired", self.difficulty_bits
            ) from None
        if not isinstance(payload, dict) or payload.get("q") != queue_id:
            raise ProofOfWorkRequired("the challenge is for another queue", self.difficulty_bits)
        difficulty = payload.get("d")
        if not isinstance(difficulty, int) or difficulty < self.difficulty_bits:
            raise ProofOfWorkRequired("the challenge is too easy", self.difficulty_bits)
        if not leading_zero_bits_ok(solution_digest(challenge, solution), difficulty):
            raise ProofOfWorkRequired("the solution is wrong", self.difficulty_bits)
        key = QueueKeys(queue_id).proof_of_work(str(payload.get("n")))
        try:
            first_use = await redis.set(key, int(time.time()), nx=True, ex=self.ttl_seconds + 5)
        except REDIS_ERRORS:
            raise QueueUnavailable(queue_id, self.retry_after_seconds) from None
        if not first_use:
            raise ProofOfWorkRequired("this challenge was already used", self.difficulty_bits)
