"""Routes of the organizer console, the code lanes, receipts and the pre-queue publication."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from waitroom.fan import lanes_api as lanes_http
from waitroom.fan import receipts_api
from waitroom.organizer import api as admin_api
from waitroom.organizer import (
    autotune_settings,
    content_pages,
    prequeue_publication,
    preview,
    queue_pages,
)
from waitroom.organizer import codes_api as admin_codes_api
from waitroom.organizer import live_api as admin_live_api
from waitroom.organizer import pages as admin_pages
from waitroom.organizer import stock_api as admin_stock_api


def organizer_routes() -> list[BaseRoute]:
    admin = "/api/v1/admin/queues/{queue_id}"
    return [
        Route(f"{admin}/live", admin_live_api.live_endpoint, methods=["GET"]),
        Route(f"{admin}/audit", admin_api.get_audit, methods=["GET"]),
        Route(f"{admin}/autotune", autotune_settings.get_autotune, methods=["GET"]),
        Route(f"{admin}/autotune", autotune_settings.put_autotune, methods=["PUT"]),
        Route(f"{admin}/codes", admin_codes_api.create_code, methods=["POST"]),
        Route(f"{admin}/codes", admin_codes_api.list_codes, methods=["GET"]),
        Route(f"{admin}/codes/{{code_id}}", admin_codes_api.revoke_code, methods=["DELETE"]),
        Route(f"{admin}/events/{{event_id}}", admin_stock_api.remove_event, methods=["DELETE"]),
        Route(
            f"{admin}/events/{{event_id}}/restore",
            admin_stock_api.restore_event,
            methods=["POST"],
        ),
        Route("/admin", queue_pages.queues_page, methods=["GET"]),
        Route("/admin/queues", queue_pages.create_queue, methods=["POST"]),
        Route("/admin/login", admin_pages.login, methods=["GET", "POST"]),
        Route("/admin/logout", admin_pages.logout, methods=["POST"]),
        Route("/admin/preview", preview.preview_get, methods=["GET"]),
        Route("/admin/preview", preview.preview_post, methods=["POST"]),
        Route("/admin/queues/{queue_id}", admin_pages.dashboard_page, methods=["GET", "POST"]),
        Route(
            "/admin/queues/{queue_id}/content",
            content_pages.content_page,
            methods=["GET", "POST"],
        ),
    ]


def fairness_routes() -> list[BaseRoute]:
    """Fan-facing routes of the fair pre-queue, receipts and code lanes."""
    fan = "/api/v1/queues/{queue_id}"
    return [
        Route(f"{fan}/prequeue", prequeue_publication.publication_endpoint, methods=["GET"]),
        Route(f"{fan}/receipt", receipts_api.receipt_endpoint, methods=["GET"]),
        Route(f"{fan}/receipts/verify", receipts_api.verify_receipt_endpoint, methods=["POST"]),
        Route(f"{fan}/codes/redeem", lanes_http.redeem_endpoint, methods=["POST"]),
        Route(f"{fan}/lane", lanes_http.lane_endpoint, methods=["GET"]),
        Route("/q/{queue_id}/receipt", receipts_api.receipt_page, methods=["GET"]),
        Route("/q/{queue_id}/code", lanes_http.code_page, methods=["GET", "POST"]),
        Route("/q/{queue_id}/lane", lanes_http.lane_page, methods=["GET"]),
    ]
