"""docs/operations.md carries the settings reference generated from the settings tree."""

from __future__ import annotations

import pytest

from tests.support.paths import REPOSITORY_ROOT
from waitroom.cli import main
from waitroom.settings_reference import END_MARKER, START_MARKER, reference, with_reference

OPERATIONS = REPOSITORY_ROOT / "docs" / "operations.md"


def test_the_documented_reference_is_current() -> None:
    document = OPERATIONS.read_text(encoding="utf-8")
    assert START_MARKER in document and END_MARKER in document
    assert with_reference(document) == document, (
        "docs/operations.md is out of date: regenerate its settings reference from "
        "`waitroom settings`"
    )


def test_waitroom_settings_prints_the_reference(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["settings"]) == 0
    printed = capsys.readouterr().out
    assert printed == reference() + "\n"
    assert "`WAITROOM_SALE_REDIS_MAX_CONNECTIONS`" in printed and "`REDIS_URL`" in printed
