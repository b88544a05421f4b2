"""Form posts of the queue page (no JavaScript): post/redirect/get back to the page.

Every form of the page (join, profile, survey answers, leave, rejoin) answers a form post with
a 303 back to ``/q/{queue_id}`` (with the fragment of the section the fan was in), so the
browser shows the page again, with its ``Refresh`` header, and a reload never posts twice. A
browser's refused form (the post accepts ``text/html``) gets a friendly page in the fan's
language that links back to the section and returns there by itself after a moment. JSON
clients, and scripts posting forms, get JSON and problem bodies from the same endpoints.
"""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from service_kit.errors import ServiceError
from service_kit.request_body import is_form
from waitroom.connector.queue_ids import is_valid_queue_id
from waitroom.errors import CrossSiteForm
from waitroom.fan.page_context import error_page

SECTION_ID = re.compile(r"^[a-z0-9_-]{0,64}$")
"""A fragment the page has (``profile``, ``survey-<id>``, ...); anything else is left out."""
FAILURE_RETURN_SECONDS = 20
"""A refused form's page goes back to the queue page by itself after this long (no JavaScript:
the fan still sees their turn come)."""


def refuse_cross_site(request: Request) -> None:
    """A form that takes a place must come from the queue's own pages: a page on another site
    cannot make its visitors join (browsers say where a form came from in ``Sec-Fetch-Site``)."""
    if request.headers.get("sec-fetch-site") == "cross-site":
        raise CrossSiteForm()


def page_url(queue_id: str, anchor: str = "", query: str = "") -> str:
    return f"/q/{queue_id}" + (f"?{query}" if query else "") + (f"#{anchor}" if anchor else "")


def back_to_page(queue_id: str, anchor: str = "", query: str = "") -> Response:
    return RedirectResponse(
        page_url(queue_id, anchor, query), status_code=303, headers={"cache-control": "no-store"}
    )


def failure(request: Request, error: ServiceError, anchor: str = "") -> Response:
    """For a browser's form post (it accepts ``text/html``), a page that leads back to the
    queue; any other client (JSON, or a script posting a form) gets the problem body from the
    app's error handler."""
    if not (is_form(request) and "text/html" in request.headers.get("accept", "")):
        raise error
    queue_id = request.path_params.get("queue_id", "")
    if not SECTION_ID.match(anchor):
        anchor = ""  # e.g. a survey id from the URL that no survey has
    back = page_url(queue_id, anchor) if is_valid_queue_id(queue_id) else ""
    response = error_page(
        request, error, back_url=back, return_seconds=FAILURE_RETURN_SECONDS
    )
    if back:
        response.headers["refresh"] = f"{FAILURE_RETURN_SECONDS}; url={back}"
    return response
