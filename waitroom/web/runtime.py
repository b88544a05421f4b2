"""Per-process state of a running waiting-room app, owned by the app's lifespan."""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis
from starlette.requests import Request

from service_kit.cookies import cookie_is_secure
from waitroom.admission import AdmissionStore
from waitroom.connector.passes import PassCodec
from waitroom.connector.site_auth import SiteAuth
from waitroom.fan.services import FanServices
from waitroom.protection.parts import Protection
from waitroom.queue.pass_records import SiteSessions
from waitroom.queue.state_guard import StateGuard
from waitroom.queue.stock import QueueStock
from waitroom.queue.view import QueueViewCache
from waitroom.queue.waitlist import WaitingList
from waitroom.queue.your_turn import YourTurnAlerts
from waitroom.settings import Settings
from waitroom.sites.proxy_gate import ProxyGate
from waitroom.tokens import TokenCodec
from waitroom.web.metrics import WaitroomMetrics


@dataclass
class Runtime:
    settings: Settings
    redis: Redis
    store: AdmissionStore
    views: QueueViewCache
    codec: TokenCodec
    metrics: WaitroomMetrics
    fan: FanServices
    protection: Protection
    passes: PassCodec
    sessions: SiteSessions
    site_auth: SiteAuth
    stock: QueueStock
    proxy: ProxyGate
    """The reverse-proxy connector's checks (:mod:`waitroom.sites.proxy_api`)."""
    your_turn: YourTurnAlerts
    waitlist: WaitingList

    @classmethod
    def build(cls, settings: Settings, redis: Redis, metrics: WaitroomMetrics) -> Runtime:
        store = AdmissionStore(redis, settings.default_burst)
        views = QueueViewCache(
            store,
            settings.queue_view_refresh_seconds,
            settings.protection.redis_retry_after_seconds,
        )
        scripts = store.scripts
        views.state_guard = StateGuard(scripts)
        passes = pass_codec_for(settings)
        sessions = SiteSessions(scripts, settings)
        return cls(
            settings=settings,
            redis=redis,
            store=store,
            views=views,
            codec=codec_for(settings),
            metrics=metrics,
            fan=FanServices.build(redis, scripts),
            protection=Protection.build(settings, scripts, metrics.registry),
            passes=passes,
            sessions=sessions,
            site_auth=SiteAuth(settings.secret_keys, settings.clock_leeway_seconds),
            stock=QueueStock(scripts),
            proxy=ProxyGate(settings, sessions, passes),
            your_turn=YourTurnAlerts(redis, scripts),
            waitlist=WaitingList(redis, scripts, settings.waitlist_offer_seconds),
        )

    def cookie_secure(self, request: Request) -> bool:
        return cookie_is_secure(self.settings.cookie_secure, request)


def codec_for(settings: Settings) -> TokenCodec:
    return TokenCodec(
        settings.secret_keys,
        position_max_age_seconds=settings.position_token_max_age_seconds,
        clock_leeway_seconds=settings.clock_leeway_seconds,
    )


def pass_codec_for(settings: Settings) -> PassCodec:
    return PassCodec(settings.secret_keys, settings.pass_ttl_seconds, settings.clock_leeway_seconds)


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime
