"""Times in the organizer's own time zone (the browser's), for the dashboard's fields and texts.

The dashboard script reads the browser's zone (``Intl.DateTimeFormat().resolvedOptions()
.timeZone``) and keeps it in the cookie ``wr_tz``; pages render times in that zone and name it,
and a form's ``time_zone`` field says in which zone its local date and time were typed. Without
the cookie (no script has run yet) everything is in UTC, and says so.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from service_kit.errors import InvalidInput

TIME_ZONE_COOKIE = "wr_tz"
_ZONE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_+\-]{0,30}(/[A-Za-z0-9_+\-]{1,30}){0,2}$")
LOCAL_INPUT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?$")


def zone_named(name: str | None) -> tzinfo:
    """The IANA zone ``name`` (e.g. ``Europe/Tallinn``); UTC when absent or unknown."""
    if not name or not _ZONE_NAME.match(name) or name.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return UTC


def zone_name(zone: tzinfo) -> str:
    return "UTC" if zone is UTC else str(zone)


def zone_label(zone: tzinfo, at: float) -> str:
    """``Europe/Tallinn (EEST, UTC+03:00)`` at the moment ``at``; ``UTC`` for UTC."""
    if zone is UTC:
        return "UTC"
    moment = datetime.fromtimestamp(at, zone)
    offset = moment.utcoffset() or timedelta(0)
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    abbreviation = moment.tzname() or ""
    shown = f"{abbreviation}, " if abbreviation and abbreviation[0] not in "+-" else ""
    return f"{zone_name(zone)} ({shown}UTC{sign}{minutes // 60:02d}:{minutes % 60:02d})"


def local_text(unix_seconds: float, zone: tzinfo, seconds: bool = False) -> str:
    """``Fri 1 May 2026, 10:00`` in ``zone`` (with ``:05`` seconds when asked); a moment no
    calendar date can show (a record from before openings were bounded) as its unix seconds."""
    try:
        moment = datetime.fromtimestamp(unix_seconds, zone)
    except (OverflowError, ValueError, OSError):
        return f"{unix_seconds:.0f} (unix seconds)"
    clock = moment.strftime("%H:%M:%S" if seconds else "%H:%M")
    return f"{moment.strftime('%a')} {moment.day} {moment.strftime('%b %Y')}, {clock}"


def local_input_value(unix_seconds: float, zone: tzinfo) -> str:
    """The value of an ``<input type="datetime-local">`` showing ``unix_seconds`` in ``zone``."""
    moment = datetime.fromtimestamp(unix_seconds, zone)
    return moment.strftime("%Y-%m-%dT%H:%M:%S" if moment.second else "%Y-%m-%dT%H:%M")


def parse_local(text: str, zone: tzinfo, field: str = "opens_at") -> float:
    """Unix seconds of a local date and time typed in ``zone`` (``2026-05-01T10:00``).

    Raises InvalidInput for anything else, and for a time the zone skips (the hour lost when
    clocks go forward); a time that happens twice (clocks go back) is its first occurrence."""
    value = text.strip()
    if not LOCAL_INPUT.match(value):
        raise InvalidInput(f"{field}: a date and time like 2026-05-01T10:00", field=field)
    try:
        naive = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{field}: not a real date and time", field=field) from None
    moment = naive.replace(tzinfo=zone)
    back = datetime.fromtimestamp(moment.timestamp(), zone).replace(tzinfo=None)
    if back != naive:
        raise InvalidInput(
            f"{field}: {value.replace('T', ' ')} does not exist in {zone_name(zone)} "
            "(the clocks skip it); choose another time",
            field=field,
        )
    return moment.timestamp()
