"""Lua script sources shipped as package data (``<package>/lua/<name>.lua``)."""

from __future__ import annotations

from importlib import resources


def lua_source(package: str, name: str) -> str:
    """The text of ``<package>/lua/<name>.lua`` (``package`` is a dotted package name)."""
    return (resources.files(package) / "lua" / f"{name}.lua").read_text(encoding="utf-8")
