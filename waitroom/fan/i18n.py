"""Fan-page languages of the waiting room: its catalogs and its language cookie.

The language machinery is shared with the shop and the connector (:mod:`service_kit.languages`);
the waiting room's catalogs are ``waitroom/locale/<code>/LC_MESSAGES/messages.mo`` (see
docs/fan_experience.md, "Languages").
"""

from __future__ import annotations

from pathlib import Path

from service_kit.languages import Catalogs
from waitroom.connector.languages import waitroom_locale_directory

LANGUAGE_COOKIE = "wr_lang"


def locale_directory() -> Path:
    return waitroom_locale_directory()


def load_catalogs() -> Catalogs:
    return Catalogs.load(locale_directory())
