"""Where the matrix reads and writes: the checkout, its build directory and the shared cache."""

from __future__ import annotations

import os
from pathlib import Path

import hotfix

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
BUILD = ROOT / "build"
# Release files, unpacked trees, pins and environments, shared by every run on this checkout.
CACHE = Path(os.environ.get("HOTFIX_CACHE", BUILD / "cache"))
ISSUE = ROOT / "ISSUE.md"
SERIES = hotfix.SERIES
TESTS_PATCH = hotfix.PATCHES / "tests.patch"
