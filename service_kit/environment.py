"""Reading ``WAITROOM_*`` settings from an environment mapping, with errors that name the
variable. Shared by the connector's settings and the waiting room's."""

from __future__ import annotations

from collections.abc import Mapping

from service_kit.errors import SettingsError


def env_int(environ: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(name, raw, "not an integer") from None
    if value < minimum:
        raise SettingsError(name, raw, f"must be >= {minimum}")
    return value


def env_float(environ: Mapping[str, str], name: str, default: float, minimum: float = 0.0) -> float:
    raw = environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(name, raw, "not a number") from None
    if value < minimum:
        raise SettingsError(name, raw, f"must be >= {minimum}")
    return value


def env_bool(environ: Mapping[str, str], name: str, default: bool | None) -> bool | None:
    raw = environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(name, raw, "expected true/false")


def env_secret_keys(environ: Mapping[str, str]) -> tuple[str, ...]:
    """``WAITROOM_SECRET_KEYS``: comma-separated, newest last, 16+ characters each."""
    raw = environ.get("WAITROOM_SECRET_KEYS", "").strip()
    keys = tuple(key.strip() for key in raw.split(",") if key.strip())
    for key in keys:
        if len(key) < 16:
            raise SettingsError("WAITROOM_SECRET_KEYS", "<hidden>", "each key needs 16+ chars")
    return keys
