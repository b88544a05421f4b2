"""``waitroom.connector``: everything a protected Python site needs from the waiting room.

Self-contained: it imports nothing of ``waitroom`` outside this package, and besides the
service kit only itsdangerous, orjson, Starlette's ASGI types, aiohttp (its calls of the waiting
room) and httpx (a site in the waiting room's own process, the demo, calls through an ASGI
transport). See docs/connector.md for the contract.
"""

from __future__ import annotations

from service_kit.errors import SettingsError
from waitroom.connector.client import ConnectorClient, SessionGrant, SessionState
from waitroom.connector.connector import WaitroomConnector
from waitroom.connector.errors import (
    ConnectorError,
    ConnectorUnavailable,
    PassEnded,
    PassExpired,
    PassInUse,
    PassInvalid,
    PassMissing,
    QueueUnknown,
    SessionEnded,
    SessionExpired,
    SessionInvalid,
    SessionNotFound,
    SiteAuthRejected,
)
from waitroom.connector.passes import PassClaims, PassCodec
from waitroom.connector.settings import ConnectorSettings
from waitroom.connector.signing import visitor_hash
from waitroom.connector.site_auth import SiteAuth
from waitroom.connector.site_session import SiteSession, SiteSessionCodec, session_cookie_name
from waitroom.connector.stock_mark import StockMark

__all__ = [
    "ConnectorClient",
    "ConnectorError",
    "ConnectorSettings",
    "ConnectorUnavailable",
    "PassClaims",
    "PassCodec",
    "PassEnded",
    "PassExpired",
    "PassInUse",
    "PassInvalid",
    "PassMissing",
    "QueueUnknown",
    "SessionEnded",
    "SessionExpired",
    "SessionGrant",
    "SessionInvalid",
    "SessionNotFound",
    "SessionState",
    "SettingsError",
    "SiteAuth",
    "SiteAuthRejected",
    "SiteSession",
    "SiteSessionCodec",
    "StockMark",
    "WaitroomConnector",
    "session_cookie_name",
    "visitor_hash",
]
