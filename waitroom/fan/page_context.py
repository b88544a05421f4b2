"""Language and shared template context of the fan pages (queue, left, error pages)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from service_kit.cookies import set_cookie_header
from service_kit.errors import ServiceError
from service_kit.languages import (
    LANGUAGE_COOKIE_MAX_AGE_SECONDS,
    LANGUAGE_NAMES,
    LANGUAGE_PARAMETER,
    Translate,
    choose_language,
    explicit_language,
    language_tag,
    with_language,
)
from service_kit.problems import error_status, retry_after_seconds
from waitroom.fan.i18n import LANGUAGE_COOKIE
from waitroom.fan.strings import SCRIPT_STRINGS, translated_strings
from waitroom.web.runtime import Runtime, runtime_of


@dataclass(frozen=True, slots=True)
class LanguageLink:
    code: str
    name: str
    html_tag: str
    current: bool


@dataclass(frozen=True, slots=True)
class PageLanguage:
    code: str
    translate: Translate
    cookie_header: str | None
    """Set when the fan picked a language with ``?lang=`` (remembered for later pages)."""


def page_language(runtime: Runtime, request: Request) -> PageLanguage:
    query_value = request.query_params.get(LANGUAGE_PARAMETER)
    cookie_value = request.cookies.get(LANGUAGE_COOKIE)
    code = choose_language(query_value, cookie_value, request.headers.get("accept-language", ""))
    cookie_header = None
    if explicit_language(query_value) == code and cookie_value != code:
        cookie_header = set_cookie_header(
            LANGUAGE_COOKIE, code, LANGUAGE_COOKIE_MAX_AGE_SECONDS, runtime.cookie_secure(request)
        )
    return PageLanguage(code, runtime.fan.catalogs.translator(code), cookie_header)


def eta_text(body: dict[str, Any], translate: Translate) -> str:
    if body["state"] == "admitted":
        return translate(SCRIPT_STRINGS["eta_now"])
    eta_range = body.get("eta_range_seconds")
    if not eta_range:
        return "—"
    low, high = math.floor(eta_range[0] / 60), math.ceil(eta_range[1] / 60)
    if high <= 1:
        return translate(SCRIPT_STRINGS["eta_under_minute"])
    return translate(SCRIPT_STRINGS["eta_range"], low=low, high=high)


def json_for_script(value: Any) -> str:
    """JSON safe inside ``<script type="application/json">`` (no ``</script>`` breakout)."""
    return (
        orjson.dumps(value)
        .decode()
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
    )


def page_context(language: PageLanguage) -> dict[str, Any]:
    strings = translated_strings(language.translate)
    return {
        "_": language.translate,
        "lang": language_tag(language.code),
        "language_code": language.code,
        "languages": [
            LanguageLink(code, name, language_tag(code), code == language.code)
            for code, name in LANGUAGE_NAMES.items()
        ],
        "strings": strings,
        "strings_json": json_for_script(strings),
        "shop_link": lambda url: with_language(url, language.code),
    }


CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' https:; script-src 'self'; style-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
"""Every fan page: no third-party requests (``https:`` images for organizers' upsell pictures)."""


def render_page(request: Request, template: str, status_code: int, **values: Any) -> Response:
    """A fan page in the fan's language (remembers a ``?lang=`` choice in a cookie)."""
    language = page_language(runtime_of(request), request)
    environment = request.app.state.templates
    html = environment.get_template(template).render(**page_context(language), **values)
    response = Response(
        html,
        status_code=status_code,
        media_type="text/html",
        headers={"cache-control": "no-store", "content-security-policy": CONTENT_SECURITY_POLICY},
    )
    if language.cookie_header is not None:
        response.headers.append("set-cookie", language.cookie_header)
    return response


def error_page(request: Request, error: ServiceError, **values: Any) -> Response:
    """A fan page for ``error``: the status of its kind, ``Retry-After`` where it belongs
    (``values``: more for the template, e.g. the way back to the queue)."""
    response = render_page(
        request, "error.html", error_status(error), detail=error.detail, **values
    )
    retry_after = retry_after_seconds(error)
    if retry_after is not None:
        response.headers["retry-after"] = str(retry_after)
    return response
