"""Routes of the fan extras (profile, surveys, upsells, leaving) and their organizer side."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from waitroom.fan import extras_api as fan
from waitroom.fan.frame import frame_endpoint
from waitroom.fan.rejoin import rejoin_endpoint
from waitroom.organizer import content_api as admin

QUEUE_API = "/api/v1/queues/{queue_id}"
ADMIN_API = "/api/v1/admin/queues/{queue_id}"


def fan_extra_routes() -> list[BaseRoute]:
    return [
        Route(f"{QUEUE_API}/frame", frame_endpoint, methods=["GET"]),
        Route(f"{QUEUE_API}/content", fan.content_endpoint, methods=["GET"]),
        Route(f"{QUEUE_API}/profile", fan.profile_get_endpoint, methods=["GET"]),
        Route(f"{QUEUE_API}/profile", fan.profile_put_endpoint, methods=["PUT", "POST"]),
        Route(
            f"{QUEUE_API}/surveys/{{survey_id}}/answers",
            fan.survey_answer_endpoint,
            methods=["POST"],
        ),
        Route(f"{QUEUE_API}/leave", fan.leave_endpoint, methods=["POST"]),
        Route(f"{QUEUE_API}/rejoin", rejoin_endpoint, methods=["POST"]),
        Route("/q/{queue_id}/upsells/{upsell_id}", fan.upsell_click_endpoint, methods=["GET"]),
        Route(f"{ADMIN_API}/surveys", admin.put_surveys, methods=["PUT"]),
        Route(f"{ADMIN_API}/surveys", admin.get_surveys, methods=["GET"]),
        Route(f"{ADMIN_API}/survey-results", admin.get_survey_results, methods=["GET"]),
        Route(f"{ADMIN_API}/upsells", admin.put_upsells, methods=["PUT"]),
        Route(f"{ADMIN_API}/upsells", admin.get_upsells, methods=["GET"]),
        Route(f"{ADMIN_API}/profile-form", admin.put_profile_form, methods=["PUT"]),
        Route(f"{ADMIN_API}/profile-form", admin.get_profile_form, methods=["GET"]),
    ]
