"""Where the repository is, for tests that read its files (docs, deploy, scripts)."""

from __future__ import annotations

from pathlib import Path

REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
"""The checkout: tests/support/paths.py is two levels below it."""
