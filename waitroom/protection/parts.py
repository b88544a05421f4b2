"""The abuse-protection parts of one waiting-room process, built by :class:`Runtime`."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter
from redis.asyncio import Redis
from starlette.requests import Request

from service_kit.errors import ServiceError
from waitroom.errors import TooManyJoins
from waitroom.protection.client_ip import client_ip
from waitroom.protection.join_limits import JoinRateLimiter, too_many_joins
from waitroom.protection.proof_of_work import CHALLENGE_HEADER, SOLUTION_HEADER, ProofOfWork
from waitroom.queue.heartbeats import HeartbeatRecorder
from waitroom.settings import Settings
from waitroom.storage.script_replies import JoinLimited, JoinLimits
from waitroom.storage.scripts import QueueScripts


@dataclass
class Protection:
    join_limiter: JoinRateLimiter | None
    proof_of_work: ProofOfWork
    heartbeats: HeartbeatRecorder
    trusted_proxy_count: int
    retry_after_seconds: int
    join_rejections: Counter

    @classmethod
    def build(
        cls,
        settings: Settings,
        scripts: QueueScripts,
        registry: CollectorRegistry | None = None,
    ) -> Protection:
        options = settings.protection
        limiter = None
        if options.join_limit_per_ip or options.join_limit_per_subnet:
            limiter = JoinRateLimiter(
                options.join_limit_per_ip,
                options.join_limit_per_subnet,
                options.join_limit_exempt_networks,
            )
        return cls(
            join_limiter=limiter,
            proof_of_work=ProofOfWork(
                settings.secret_keys,
                options.pow_difficulty_bits,
                options.pow_challenge_ttl_seconds,
                options.redis_retry_after_seconds,
            ),
            heartbeats=HeartbeatRecorder(scripts, settings.queue_view_refresh_seconds),
            trusted_proxy_count=settings.trusted_proxy_count,
            retry_after_seconds=options.redis_retry_after_seconds,
            join_rejections=Counter(
                "waitroom_join_rejections_total",
                "Joins refused before a place was made, by problem type "
                "(too-many-joins, proof-of-work-required, queue-unavailable)",
                ["queue", "reason"],
                registry=registry if registry is not None else CollectorRegistry(),
            ),
        )

    def client_ip(self, request: Request) -> str:
        return client_ip(request.scope, self.trusted_proxy_count)

    async def before_new_place(
        self, request: Request, redis: Redis, queue_id: str
    ) -> JoinLimits | None:
        """Checks a join that would make a new place (proof of work) and returns the join
        limits it counts in, which the join script applies (None: not limited).

        Raises ProofOfWorkRequired (428) or QueueUnavailable (503)."""
        if self.proof_of_work.enabled:
            try:
                await self.proof_of_work.verify(
                    redis,
                    queue_id,
                    request.headers.get(CHALLENGE_HEADER),
                    request.headers.get(SOLUTION_HEADER),
                )
            except ServiceError as error:
                self.refused(queue_id, error)
                raise
        if self.join_limiter is None:
            return None
        return self.join_limiter.limits_for(queue_id, self.client_ip(request))

    def refused(self, queue_id: str, error: ServiceError) -> None:
        """Counts a join refused before a place was made."""
        self.join_rejections.labels(queue_id, error.type_slug).inc()

    def limited(self, queue_id: str, limited: JoinLimited) -> TooManyJoins:
        """The 429 of a join the join script refused for a join limit (counted)."""
        error = too_many_joins(limited)
        self.refused(queue_id, error)
        return error

    async def close(self) -> None:
        await self.heartbeats.close()
