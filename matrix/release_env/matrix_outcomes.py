"""A pytest plugin that records each test's outcome under pytest's own node id.

Loaded with `-p matrix_outcomes --outcomes=PATH`, from this folder on sys.path or PYTHONPATH. It
appends one JSON line per test to PATH, `{"nodeid": ..., "outcome": ...}`, plus the test's group
as "group" for a test marked `@pytest.mark.group(NAME)` (a test of ours: the marker names the
patches/manifest group it belongs to) and the first line of the failure as "message" for a failed
test. `--deselect-groups A,B` leaves out the tests of those groups. A test failed if any of its
phases (setup, call, teardown) failed; it was skipped if one was skipped (an xfail counts as
skipped); otherwise it passed. A module that fails to import or is skipped as a whole is
recorded under its own node id, as JUnit XML records it. It runs in a release's environment:
standard library and pytest only.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

# The most severe outcome of a test's phases is its outcome.
SEVERITY = {"passed": 0, "skipped": 1, "failed": 2}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--outcomes",
        metavar="PATH",
        help="append each test's pytest node id and outcome to PATH, one JSON line each",
    )
    parser.addoption(
        "--deselect-groups", default="", metavar="A,B", help="leave out the tests of these groups"
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "group(name): the patches/manifest group of our test")
    path = config.getoption("outcomes")
    # pytest-xdist forwards its workers' reports to the controller, which records them.
    if path and not hasattr(config, "workerinput"):
        config.pluginmanager.register(Recorder(Path(path)), "matrix_outcomes_recorder")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Put each test's group where its reports carry it, and leave out the groups asked for."""
    left_out = set(filter(None, config.getoption("deselect_groups").split(",")))
    kept, deselected = [], []
    for item in items:
        marker = item.get_closest_marker("group")
        if marker is not None:
            # user_properties travel with every report, from pytest-xdist's workers too.
            item.user_properties.append(("group", marker.args[0]))
        (deselected if marker is not None and marker.args[0] in left_out else kept).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept


class Recorder:
    """Combines a test's phases and appends its line once the last phase is reported."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.pending: dict[str, dict[str, str]] = {}
        # The file exists from here on, so a caller can tell a run without tests from a run
        # that never loaded the plugin.
        self.path.touch()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.combine(report)
        if report.when == "teardown":
            self.write(report.nodeid)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if not report.passed:
            self.combine(report)
            self.write(report.nodeid)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self) -> None:
        # A test whose teardown was never reported, such as one whose xdist worker crashed.
        for nodeid in list(self.pending):
            self.write(nodeid)

    def combine(self, report: pytest.TestReport | pytest.CollectReport) -> None:
        outcome = "failed" if report.failed else "skipped" if report.skipped else "passed"
        entry = self.pending.setdefault(report.nodeid, {"outcome": "passed"})
        entry.update((k, v) for k, v in getattr(report, "user_properties", ()) if k == "group")
        if SEVERITY[outcome] > SEVERITY[entry["outcome"]]:
            entry["outcome"] = outcome
            if outcome == "failed":
                entry["message"] = first_line(report)

    def write(self, nodeid: str) -> None:
        entry = self.pending.pop(nodeid)
        with self.path.open("a", encoding="utf-8") as out:
            out.write(json.dumps({"nodeid": nodeid, **entry}) + "\n")


def first_line(report: pytest.TestReport | pytest.CollectReport) -> str:
    """The failure's first line: the exception's message where pytest has one."""
    crash = getattr(report.longrepr, "reprcrash", None)
    if isinstance(report.longrepr, str):
        # Such as pytest-xdist's report of a crashed worker; longreprtext would put the
        # worker's description first.
        text = report.longrepr
    else:
        text = getattr(crash, "message", None) or report.longreprtext
    line = next((part.strip() for part in text.splitlines() if part.strip()), "failed")
    when = getattr(report, "when", "collect")
    return f"failed on {when}: {line}" if when in ("setup", "teardown", "collect") else line
