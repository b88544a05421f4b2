"""An opening time is a moment every local clock can show: the settings refuse later ones, and a
stored moment beyond any calendar (a record from before the bound) is shown, not a crash."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import msgspec
import pytest

from service_kit.errors import InvalidInput
from service_kit.models import decode_json
from waitroom.admission import LATEST_OPENING_UNIX_SECONDS, QueueSettings
from waitroom.organizer.local_time import local_text


def test_the_latest_opening_is_accepted_and_one_second_later_refused() -> None:
    body = msgspec.json.encode({"opens_at": LATEST_OPENING_UNIX_SECONDS})
    assert decode_json(body, QueueSettings).opens_at == LATEST_OPENING_UNIX_SECONDS
    with pytest.raises(InvalidInput) as refused:
        decode_json(msgspec.json.encode({"opens_at": 1e20}), QueueSettings)
    assert refused.value.extra["field"] == "opens_at"


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago", "UTC"])
def test_the_latest_opening_reads_in_every_zone(zone: str) -> None:
    assert "3000" in local_text(LATEST_OPENING_UNIX_SECONDS, ZoneInfo(zone)) or "2999" in (
        local_text(LATEST_OPENING_UNIX_SECONDS, ZoneInfo(zone))
    )


@pytest.mark.parametrize("moment", [1e20, 1e300, -1e20])
def test_a_moment_beyond_the_calendar_is_shown_as_unix_seconds(moment: float) -> None:
    assert local_text(moment, ZoneInfo("Europe/Tallinn")).endswith("(unix seconds)")
