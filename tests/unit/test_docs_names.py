"""docs/architecture.md names only what exists.

Every backticked path (``waitroom/fan/status_reply.py``, ``waitroom/fan/api.py:join_answer``),
file name (``join.lua``, ``witness.py``), dotted name (``waitroom.connector.passes``,
``service_kit.models.field_of``), class member (``QueueViewCache.note_place``), class name
(``StatusFastPath``), call (``read_settings(cls, environ)``) and setting
(``WAITROOM_PASS_TTL_SECONDS``) in the document must exist in the code. Every
``architecture.md#anchor`` another doc links to must be one of its headings, and every
``other.md#anchor`` it links to one of that doc's. Its picture of the packages must list the
waiting room's layers in the order of the import-linter layers contract in pyproject.toml.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import tomllib
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

from tests.support.paths import REPOSITORY_ROOT

ROOT = REPOSITORY_ROOT
ARCHITECTURE = ROOT / "docs" / "architecture.md"
PACKAGES = ("waitroom", "sale_backend", "service_kit")
EXTERNAL_MODULES = ("itsdangerous", "msgspec")
"""Classes of these libraries may be named too (``URLSafeTimedSerializer``, ``Struct``)."""
PICTURE_HEADING = "## The packages and their allowed imports"

FENCE = re.compile(r"^ *```.*?^ *```", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"`([^`\n]+)`")
PATH = re.compile(
    r"^(?P<path>(?:waitroom|sale_backend|service_kit|tests|loadtests|docs|deploy|scripts)/"
    r"[\w./-]*)(?::(?P<name>[\w.]+))?$"
)
FILE_NAME = re.compile(r"^(?P<file>[\w-]+\.(?:py|lua))(?::(?P<name>[\w.]+))?$")
DOTTED = re.compile(r"^(?P<dotted>(?:waitroom|sale_backend|service_kit)(?:\.\w+)+)(?:\(.*\))?$")
MEMBER = re.compile(r"^(?P<owner>[A-Z]\w+)\.(?P<member>\w+)(?:\(.*\))?$")
CLASS_NAME = re.compile(r"^[A-Z][a-z]+[A-Z]\w*$")
CALL = re.compile(r"^(?P<function>[a-z_]\w*)\((?:\.\.\.|\w+)?(?:, (?:\.\.\.|\w+))*\)$")
"""A call with plain arguments (``read_settings(cls, environ)``, ``json(...)``); formulas such
as ``floor(units / 60000)`` are no names."""
SETTING = re.compile(r"^(?:WAITROOM_[A-Z0-9_]+|REDIS_URL|SALE_REDIS_URL)$")
LINK_ANCHOR = re.compile(r"architecture\.md#([\w-]+)")
DOC_LINK = re.compile(r"\]\((?P<file>[\w-]+\.md)#(?P<anchor>[\w-]+)\)")


def inline_code(text: str) -> list[str]:
    """The backticked spans of a Markdown text, outside fenced code blocks."""
    return INLINE_CODE.findall(FENCE.sub("", text))


@cache
def package_modules() -> dict[str, ModuleType]:
    """Every module of the three packages, imported (nothing runs at import time)."""
    modules: dict[str, ModuleType] = {}
    for package_name in PACKAGES:
        package = importlib.import_module(package_name)
        modules[package_name] = package
        for info in pkgutil.walk_packages(package.__path__, package_name + "."):
            modules[info.name] = importlib.import_module(info.name)
    return modules


@cache
def top_level_names() -> dict[str, list[Any]]:
    """Name -> the objects of that name defined at the top of any module (ours, then the
    external libraries')."""
    names: dict[str, list[Any]] = {}
    for module in package_modules().values():
        for name, value in vars(module).items():
            names.setdefault(name, []).append(value)
    for module_name in EXTERNAL_MODULES:
        module = importlib.import_module(module_name)
        for name in dir(module):
            names.setdefault(name, []).append(getattr(module, name))
    return names


def has_member(owner: Any, name: str) -> bool:
    """An attribute, a declared field (dataclass, named tuple, struct) or an attribute the
    class's own code sets on ``self``."""
    if hasattr(owner, name):
        return True
    if not inspect.isclass(owner):
        return False
    for klass in owner.__mro__:
        if name in getattr(klass, "__annotations__", {}):
            return True
    try:
        source = inspect.getsource(owner)
    except (OSError, TypeError):
        return False
    return re.search(rf"\bself\.{re.escape(name)}\s*(?::[^=\n]+)?=", source) is not None


def resolves(owner: Any, dotted: str) -> bool:
    for part in dotted.split("."):
        if not has_member(owner, part):
            return False
        owner = getattr(owner, part, None)
    return True


def module_of_path(path: str) -> ModuleType:
    dotted = path.removesuffix(".py").replace("/", ".").removesuffix(".__init__")
    return importlib.import_module(dotted)


def dotted_exists(dotted: str) -> bool:
    parts = dotted.split(".")
    for split in range(len(parts), 0, -1):
        module_name = ".".join(parts[:split])
        if module_name in package_modules():
            rest = ".".join(parts[split:])
            return not rest or resolves(package_modules()[module_name], rest)
    return False


@cache
def package_source() -> str:
    return "\n".join(
        path.read_text(encoding="utf-8")
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
    )


def is_string_constant(span: str) -> bool:
    """A string the code spells as a constant (the salts ``waitroom.position``, ...)."""
    return f'"{span}"' in package_source()


@cache
def declared_settings() -> frozenset[str]:
    from service_kit.settings_tree import variables
    from waitroom.settings_reference import SECTIONS

    return frozenset(
        variable.name for settings in SECTIONS.values() for variable in variables(settings)
    )


def missing(span: str) -> str | None:
    """Why ``span`` names nothing that exists, or None (it exists, or is no name we check)."""
    if match := PATH.match(span):
        path = match["path"]
        if not (ROOT / path).exists():
            return f"no file or directory {path}"
        if match["name"] and not resolves(module_of_path(path), match["name"]):
            return f"{path} has no {match['name']}"
        return None
    if match := FILE_NAME.match(span):
        found = [path for package in PACKAGES for path in (ROOT / package).rglob(match["file"])]
        if not found:
            return f"no file named {match['file']} in {', '.join(PACKAGES)}"
        name = match["name"]
        if name and not any(
            resolves(module_of_path(str(path.relative_to(ROOT))), name) for path in found
        ):
            return f"no {match['file']} has {name}"
        return None
    if match := DOTTED.match(span):
        if dotted_exists(match["dotted"]) or is_string_constant(span):
            return None
        return f"no {match['dotted']}"
    if match := MEMBER.match(span):
        owners = top_level_names().get(match["owner"], [])
        if not owners:
            return f"no class {match['owner']}"
        if not any(has_member(owner, match["member"]) for owner in owners):
            return f"{match['owner']} has no {match['member']}"
        return None
    if CLASS_NAME.match(span):
        return None if span in top_level_names() else f"no class {span}"
    if match := CALL.match(span):
        function = match["function"]
        return None if function in top_level_names() else f"no function {function}"
    if SETTING.match(span):
        return None if span in declared_settings() else f"no setting {span}"
    return None


def checked_spans(text: str) -> Iterator[str]:
    for span in inline_code(text):
        if any(
            pattern.match(span)
            for pattern in (PATH, FILE_NAME, DOTTED, MEMBER, CLASS_NAME, CALL, SETTING)
        ):
            yield span


def test_every_name_in_the_architecture_exists() -> None:
    text = ARCHITECTURE.read_text(encoding="utf-8")
    spans = sorted(set(checked_spans(text)))
    problems = [f"`{span}`: {why}" for span in spans if (why := missing(span)) is not None]
    assert problems == []
    # the document is about the code: it cites plenty of it, in each checked form
    assert len(spans) > 150
    assert sum(bool(PATH.match(span)) for span in spans) > 40
    assert sum(bool(DOTTED.match(span)) for span in spans) > 10
    assert sum(bool(MEMBER.match(span)) for span in spans) > 20


def test_a_name_that_does_not_exist_is_caught() -> None:
    assert missing("waitroom/fan/no_such_module.py") is not None
    assert missing("waitroom/fan/api.py:no_such_function") is not None
    assert missing("no_such_script.lua") is not None
    assert missing("waitroom.fan.status.no_such_function") is not None
    assert missing("QueueViewCache.no_such_method") is not None
    assert missing("NoSuchClass") is not None
    assert missing("no_such_function(x)") is not None
    assert missing("WAITROOM_NO_SUCH_SETTING") is not None
    assert missing("waitroom.passes") is not None  # neither a module nor a salt
    assert missing("waitroom/fan/api.py:join_answer") is None
    assert missing("waitroom.pass") is None  # the passes' salt
    assert missing("AdmissionStore.scripts") is None  # set in __init__
    assert missing("Fulfilment.answer_of_error") is None  # a dataclass field


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading."""
    text = heading.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors_of(path: Path) -> set[str]:
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    return {slug(line.lstrip("#")) for line in text.splitlines() if line.startswith("#")}


def test_links_into_the_architecture_find_their_heading() -> None:
    anchors = anchors_of(ARCHITECTURE)
    linking = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    links = [
        (path.name, anchor)
        for path in linking
        for anchor in LINK_ANCHOR.findall(path.read_text(encoding="utf-8"))
    ]
    assert links, "other docs link into docs/architecture.md"
    assert [link for link in links if link[1] not in anchors] == []


def test_links_from_the_architecture_find_their_heading() -> None:
    links = DOC_LINK.findall(ARCHITECTURE.read_text(encoding="utf-8"))
    assert len(links) > 5
    broken = [
        (file, anchor)
        for file, anchor in links
        if anchor not in anchors_of(ARCHITECTURE.parent / file)
    ]
    assert broken == []


def test_the_picture_lists_the_layers_in_the_contracts_order() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = pyproject["tool"]["importlinter"]["contracts"]
    (layers,) = [contract["layers"] for contract in contracts if contract["type"] == "layers"]
    short_names = [layer.removeprefix("waitroom.") for layer in layers]
    text = ARCHITECTURE.read_text(encoding="utf-8")
    section = text[text.index(PICTURE_HEADING) :]
    picture = FENCE.search(section)
    assert picture is not None
    listed = [
        match[1]
        for line in picture[0].splitlines()
        if (match := re.match(r"^\|\s(\w+)\s", line)) and match[1] in short_names
    ]
    assert listed == short_names
