"""Where the matrix reads and writes: the checkout, its build directory and the shared cache."""

from __future__ import annotations

import os
from pathlib import Path

import hotfix

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
# Goes to upstream's integration_tests/ (trees that have it: main).
INTEGRATION_TESTS = ROOT / "integration_tests"
# Dropped into a release tree's tests/ by the matrix; not part of tests.patch.
LEGACY_TESTS = ROOT / "legacy_tests"
BUILD = ROOT / "build"
# Release files, unpacked trees, pins and environments, shared by every run on this checkout.
CACHE = Path(os.environ.get("HOTFIX_CACHE", BUILD / "cache"))
ISSUE = ROOT / "ISSUE.md"
SERIES = hotfix.SERIES
TESTS_PATCH = hotfix.PATCHES / "tests.patch"
