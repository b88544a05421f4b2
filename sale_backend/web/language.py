"""The fan's language in the shop: ``?lang=`` (the queue page hands it on with the pass, and
the shop's switcher sets it), then the shop's own cookie (``site_lang``, on the shop's host),
then ``Accept-Language``, then English. The shop's texts are its own Babel catalogs
(``sale_backend/locale``, ``scripts/i18n``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from sale_backend.web.runtime import shop_runtime
from service_kit.cookies import cookie_is_secure, set_cookie_header
from service_kit.languages import (
    LANGUAGE_COOKIE_MAX_AGE_SECONDS,
    LANGUAGE_NAMES,
    LANGUAGE_PARAMETER,
    Catalogs,
    Translate,
    choose_language,
    explicit_language,
    language_tag,
)
from waitroom.connector.languages import SITE_LANGUAGE_COOKIE


def shop_locale_directory() -> Path:
    return Path(str(resources.files("sale_backend") / "locale"))


def load_shop_catalogs() -> Catalogs:
    return Catalogs.load(shop_locale_directory())


@dataclass(frozen=True, slots=True)
class LanguageLink:
    code: str
    name: str
    html_tag: str
    url: str
    current: bool


@dataclass(frozen=True, slots=True)
class ShopLanguage:
    code: str
    translate: Translate
    plural: Callable[..., str]
    remember: bool
    """The fan picked it with ``?lang=``: the response sets the shop's cookie."""

    @property
    def html_tag(self) -> str:
        return language_tag(self.code)


def shop_language(request: Request) -> ShopLanguage:
    query_value = request.query_params.get(LANGUAGE_PARAMETER)
    cookie_value = request.cookies.get(SITE_LANGUAGE_COOKIE)
    code = choose_language(query_value, cookie_value, request.headers.get("accept-language", ""))
    catalogs: Catalogs = request.app.state.catalogs
    remember = explicit_language(query_value) == code and cookie_value != code
    return ShopLanguage(code, catalogs.translator(code), catalogs.plural_translator(code), remember)


def api_client_language(request: Request) -> str:
    """An API client's language (the language its checkout's tickets e-mail is written in): its
    ``Accept-Language``, else English; the shop's page choices (``?lang=``, cookie) are not
    consulted."""
    return choose_language(None, None, request.headers.get("accept-language", ""))


def remember_language(request: Request, response: Response, language: ShopLanguage) -> None:
    if language.remember:
        secure = cookie_is_secure(shop_runtime(request).settings.cookie_secure, request)
        response.headers.append(
            "set-cookie",
            set_cookie_header(
                SITE_LANGUAGE_COOKIE, language.code, LANGUAGE_COOKIE_MAX_AGE_SECONDS, secure
            ),
        )


def language_links(request: Request, current: str) -> list[LanguageLink]:
    """The switcher: this page in each language (other query values kept)."""
    kept = [
        (key, value)
        for key, value in request.query_params.multi_items()
        if key != LANGUAGE_PARAMETER
    ]
    links = []
    for code, name in LANGUAGE_NAMES.items():
        query = urlencode([*kept, (LANGUAGE_PARAMETER, code)])
        links.append(
            LanguageLink(
                code, name, language_tag(code), f"{request.url.path}?{query}", code == current
            )
        )
    return links
