"""Where the matrix reads and writes: the checkout, its build directory and the shared cache."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The command line the matrix applies and reverts the patches with, as a team would.
HOTFIX = ROOT / "hotfix.py"
# What goes upstream: upstream's test files as patches/upstream changes them.
TESTS = ROOT / "tests"
# The package's suite for every release, dropped into each release tree's tests/ by the matrix.
RELEASE_TESTS = ROOT / "release_tests"
# What that suite, the property and the repros import: the Responses API double and its client,
# the producers and the runner helpers; the matrix puts it at each release tree's root.
TESTKIT = ROOT / "hitl_testkit"
BUILD = ROOT / "build"
# Release files, unpacked trees, pins and environments, shared by every run on this checkout, or
# by several checkouts when HOTFIX_CACHE names one directory for them all.
CACHE = Path(os.environ.get("HOTFIX_CACHE") or BUILD / "cache")
# The evidence behind ISSUE.md; its affected-versions table is generated from patches/manifest.
EVIDENCE = ROOT / "docs" / "evidence.md"
