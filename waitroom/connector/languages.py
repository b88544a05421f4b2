"""The language of the connector's explaining pages: the site's ``?lang=`` (the queue page hands
it on with the pass), the site's own language cookie, then ``Accept-Language``.

The texts are in the waiting room's catalogs (``waitroom/locale``), shipped with this package.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from urllib.parse import parse_qsl

from service_kit.languages import LANGUAGE_PARAMETER, Catalogs, choose_language
from waitroom.connector.asgi import IncomingRequest

SITE_LANGUAGE_COOKIE = "site_lang"
"""The protected site's own cookie for the fan's language (on the site's host)."""


def waitroom_locale_directory() -> Path:
    return Path(str(resources.files("waitroom") / "locale"))


@cache
def connector_catalogs() -> Catalogs:
    """Loaded on the first explaining page, then kept for the process."""
    return Catalogs.load(waitroom_locale_directory())


def request_language(request: IncomingRequest) -> str:
    query_value = None
    if LANGUAGE_PARAMETER in request.query:
        query_value = dict(parse_qsl(request.query)).get(LANGUAGE_PARAMETER)
    return choose_language(
        query_value,
        request.cookies.get(SITE_LANGUAGE_COOKIE),
        request.headers.get("accept-language", ""),
    )
