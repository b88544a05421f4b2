"""The waiting room plus a tiny landing page, for the browser test (stands in for the shop).

``GET /landing/{queue_id}`` accepts only a valid pass bound to the browser (the same local check
the shop's gate does) and shows the pre-checkout profile the fan filled in while waiting, read
from the profile hash the shop reads to pre-fill checkout.
"""

from __future__ import annotations

from html import escape

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from waitroom.app import create_app
from waitroom.cookies import VISITOR_COOKIE, pass_cookie_name
from waitroom.fan_profile import load_profile
from waitroom.runtime import runtime_of
from waitroom.settings import Settings
from waitroom.tokens import TokenError


async def landing(request: Request) -> HTMLResponse:
    runtime = runtime_of(request)
    queue_id = request.path_params["queue_id"]
    token = request.cookies.get(pass_cookie_name(queue_id), "")
    try:
        claims = runtime.codec.verify_pass(
            token, queue_id=queue_id, visitor_id=request.cookies.get(VISITOR_COOKIE, "")
        )
    except TokenError as error:
        return HTMLResponse(f"<h1>No pass</h1><p>{escape(error.detail)}</p>", status_code=403)
    profile = await load_profile(runtime.redis, queue_id, claims.visitor_id)
    name = escape(profile.name) if profile else ""
    email = escape(profile.email) if profile else ""
    quantity = profile.quantity if profile else 1
    html = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Landing</title></head>"
        f"<body><h1>Shop landing</h1><form><input id='name' value='{name}'>"
        f"<input id='email' value='{email}'><input id='quantity' value='{quantity}'></form>"
        "</body></html>"
    )
    return HTMLResponse(html)


def create_waitroom_with_landing() -> Starlette:
    app = create_app(Settings.from_environ())
    app.router.routes.insert(0, Route("/landing/{queue_id}", landing, methods=["GET"]))
    return app
