"""The matrix report: a table per run, written whole to build/matrix-report.{md,json}."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from releases import write_atomically

from .manifest import NOT_IN_MANIFEST
from .paths import BUILD
from .release import Row

COLUMNS = (
    "release",
    "file revision",
    "patch",
    "openai",
    "pydantic",
    "unpatched: failing groups",
    "patched",
    "upstream suite (patched)",
    "git apply / am",
    "seconds",
)


def row_cells(row: Row) -> list[str]:
    release = row.release if row.in_manifest else f"{row.release} ({NOT_IN_MANIFEST})"
    patch = f"{row.fix_file} + companion" if row.companion_file else row.fix_file
    if row.skipped:
        return [release, "", patch, "", "", f"skipped: {row.skipped}", "", "", "", ""]
    unpatched = ", ".join(row.unpatched) or "none"
    if row.unpatched != row.expected_unpatched:
        unpatched += f" (manifest: {', '.join(row.expected_unpatched) or 'none'})"
    return [
        release,
        row.revision,
        patch,
        row.openai,
        row.pydantic,
        unpatched,
        row.patched + (f"; still failing: {', '.join(row.open_groups)}" if row.open_groups else ""),
        row.upstream_suite,
        row.apply_check,
        f"{row.seconds:.1f}",
    ]


def markdown(rows: list[Row]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(row_cells(row)) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def write_report(rows: list[Row], wall: float, where: Path = BUILD) -> None:
    """Both files are written under temporary names and renamed: never seen half written."""
    payload = {"wall_seconds": round(wall, 1), "rows": [asdict(row) for row in rows]}
    problems = [f"- {row.release}: {p}" for row in rows for p in row.problems]
    expected = [
        f"- {row.release}: expected with the companion: {', '.join(row.expected_with_companion)}"
        for row in rows
        if row.expected_with_companion
    ]
    text = "# Fix matrix\n\n" + markdown(rows)
    text += f"\nWall time: {wall:.1f} s for {len(rows)} rows.\n"
    if expected:
        text += (
            "\n## Upstream tests that fail with the companion patch\n\n"
            "They compare the tracker's sent_items with set(); the companion makes it a dict from "
            "id() to the object (matrix/groups.py, EXPECTED_WITH_COMPANION). Each passed "
            "unpatched and with the fix alone.\n\n" + "\n".join(expected) + "\n"
        )
    if problems:
        text += "\n## Problems\n\n" + "\n".join(problems) + "\n"
    write_atomically(where / "matrix-report.json", json.dumps(payload, indent=2) + "\n")
    write_atomically(where / "matrix-report.md", text)
