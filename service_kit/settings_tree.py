"""One typed description of every ``WAITROOM_*`` setting, and the one reader of them all.

A :class:`Variable` describes one environment variable: its name, its type (a :class:`Cast`),
its default (written here and nowhere else), its bounds and a line of help. A settings class is
a frozen dataclass whose fields are variables (``Variable.field()``) or groups of them
(:func:`group`): the waiting room's ``Settings``, the shop's ``ShopSettings``, the connector's
``ConnectorSettings`` and the CLI's settings form one tree. :func:`read_settings` reads a class
from an environment: it casts each value, applies the default for a missing or empty one and
refuses a bad one with a :class:`~service_kit.errors.SettingsError` whose one-line message names
the variable (a secret's value is never shown). :func:`settings_reference` writes the tree as
the Markdown reference in docs/operations.md (a test keeps that reference current).

Hand-written rather than pydantic-settings or environ-config: the casts are a few lines each, the
apps keep plain frozen dataclasses (read on the hot path), and the messages and the generated
reference are the project's own.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from service_kit.errors import ServiceError, SettingsError

T = TypeVar("T")
SETTING = "waitroom.setting"
GROUP = "waitroom.settings_group"
CONTROL_CHARACTERS = frozenset(chr(code) for code in (*range(0x20), 0x7F))


@dataclass(frozen=True, slots=True)
class Cast(Generic[T]):
    """How the text of a variable becomes a value. ``parse`` raises ``ValueError`` (or a
    :class:`ServiceError`) whose message says what is expected."""

    type_name: str
    """As the reference shows it: ``integer``, ``seconds``, ``true/false``, ..."""
    parse: Callable[[str], T]
    show: Callable[[T], str] = str
    """A value as the reference shows it."""
    garbage: str = "garbage"
    """A value this cast refuses (the CLI's tests set it on every variable)."""
    redact: Callable[[str], str] | None = None
    """How an error shows a refused value (a URL without its password); None: as it is."""


@dataclass(frozen=True, slots=True)
class Variable(Generic[T]):
    name: str
    cast: Cast[T]
    default: T
    help: str
    minimum: float | None = None
    maximum: float | None = None
    secret: bool = False
    """Its value is never shown (errors say ``<hidden>``)."""
    default_text: str | None = None
    """The reference's words for the default, when the value itself says too little."""
    aliases: tuple[str, ...] = ()
    """Older or standard names read when ``name`` is not set (``REDIS_URL``)."""

    def field(self) -> T:
        """A dataclass field read from this variable (default: :attr:`default`)."""
        return dataclasses.field(default=self.default, metadata={SETTING: self})

    def read(self, environ: Mapping[str, str]) -> T:
        """The value in ``environ``: cast, checked, or the default when unset or empty."""
        for name in (self.name, *self.aliases):
            raw = environ.get(name)
            if raw is not None and raw.strip() != "":
                return self._cast(name, raw)
        return self.default

    def _cast(self, name: str, raw: str) -> T:
        shown = "<hidden>" if self.secret else self.cast.redact(raw) if self.cast.redact else raw
        try:
            return checked_value(self.cast, raw, self.minimum, self.maximum)
        except ValueError as error:
            raise SettingsError(name, shown, str(error)) from None

    def default_shown(self) -> str:
        if self.default_text is not None:
            return self.default_text
        if self.default is None:
            return "unset"
        return self.cast.show(self.default)

    def bounds_shown(self) -> str:
        if self.minimum is not None and self.maximum is not None:
            return f"{_number(self.minimum)} to {_number(self.maximum)}"
        if self.minimum is not None:
            return f">= {_number(self.minimum)}"
        if self.maximum is not None:
            return f"<= {_number(self.maximum)}"
        return ""


def argument_type(
    caster: Cast[T], minimum: float | None = None, maximum: float | None = None
) -> Callable[[str], T]:
    """An argparse ``type`` that checks a command-line flag like a variable (same casts,
    same bounds); argparse reports a refusal as ``argument --flag: reason`` with exit 2."""

    def parse(raw: str) -> T:
        try:
            return checked_value(caster, raw, minimum, maximum)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    return parse


def checked_value(
    caster: Cast[T], raw: str, minimum: float | None = None, maximum: float | None = None
) -> T:
    """``raw`` cast and within the bounds; raises ``ValueError`` saying what is wrong."""
    if any(character in CONTROL_CHARACTERS for character in raw):
        raise ValueError("contains a control character")
    try:
        value = caster.parse(raw.strip())
    except ServiceError as error:
        raise ValueError(error.detail) from None
    except ValueError as error:
        raise ValueError(str(error) or f"expected {caster.type_name}") from None
    if isinstance(value, int | float) and not isinstance(value, bool):
        if minimum is not None and value < minimum:
            raise ValueError(f"must be >= {_number(minimum)}")
        if maximum is not None and value > maximum:
            raise ValueError(f"must be <= {_number(maximum)}")
    return value


def group(settings_class: type[T]) -> T:
    """A dataclass field holding a nested settings class (read with the same reader)."""
    return dataclasses.field(default_factory=settings_class, metadata={GROUP: settings_class})


def read_settings(settings_class: type[T], environ: Mapping[str, str] | None = None) -> T:
    """An instance of ``settings_class`` with every variable read from ``environ`` (default:
    the process environment); raises :class:`SettingsError` naming the first bad variable."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for field in dataclasses.fields(cast(Any, settings_class)):
        variable = field.metadata.get(SETTING)
        nested = field.metadata.get(GROUP)
        if isinstance(variable, Variable):
            values[field.name] = variable.read(env)
        elif nested is not None:
            values[field.name] = read_settings(nested, env)
    return settings_class(**values)


def variables(settings_class: type[Any]) -> Iterator[Variable[Any]]:
    """Every variable of a settings class, groups included, in field order."""
    for field in dataclasses.fields(settings_class):
        variable = field.metadata.get(SETTING)
        nested = field.metadata.get(GROUP)
        if isinstance(variable, Variable):
            yield variable
        elif nested is not None:
            yield from variables(nested)


def settings_reference(sections: Mapping[str, type[Any]]) -> str:
    """The Markdown reference of the tree: per section (an app and its settings class) a table
    of the variables not listed before, then the names of those it shares with earlier ones."""
    lines: list[str] = []
    listed: set[str] = set()
    for section, settings_class in sections.items():
        lines += [f"### {section}", ""]
        shared: list[Variable[Any]] = []
        rows: list[Variable[Any]] = []
        for variable in variables(settings_class):
            (shared if variable.name in listed else rows).append(variable)
        if rows:
            lines += ["| variable | type | default | bounds | meaning |", "| --- " * 5 + "|"]
        for variable in rows:
            listed.add(variable.name)
            names = " or ".join(f"`{name}`" for name in (variable.name, *variable.aliases))
            lines.append(
                f"| {names} | {variable.cast.type_name} | {_cell(variable.default_shown())} "
                f"| {variable.bounds_shown()} | {variable.help} |"
            )
        if shared:
            also = ", ".join(f"`{variable.name}`" for variable in shared)
            lines += ["", f"Also reads (see above): {also}."]
        lines.append("")
    return "\n".join(lines)


def _cell(text: str) -> str:
    return f"`{text}`" if text and not text.startswith(("unset", "generated", "the ")) else text


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


# casts ---------------------------------------------------------------------------------------


def _integer(raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise ValueError("not an integer") from None


def _number_value(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ValueError("not a number") from None
    if not math.isfinite(value):
        raise ValueError("not a finite number")
    return value


TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})


def _flag(raw: str) -> bool:
    lowered = raw.lower()
    if lowered in TRUE_WORDS:
        return True
    if lowered in FALSE_WORDS:
        return False
    raise ValueError("expected true/false")


def _items(raw: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in raw.split(",") if part.strip())


INTEGER: Cast[int] = Cast("integer", _integer)
NUMBER: Cast[float] = Cast("number", _number_value, show=lambda value: f"{value:g}")
FLAG: Cast[bool | None] = Cast(
    "true/false", _flag, show=lambda value: str(value).lower(), garbage="maybe"
)
ITEMS: Cast[tuple[str, ...]] = Cast(
    "comma-separated list", _items, show=", ".join, garbage="line\nbreak"
)
