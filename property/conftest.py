"""The property's pytest configuration: Hypothesis settings profiles, the run's options, the
property for the installed release as a fixture, and the report.

Profiles, chosen with Hypothesis's ``--hypothesis-profile``:

- ``ci``: 60 examples, derandomised, no example database; what CI runs.
- ``fresh``: the same with a random seed (``--hypothesis-seed`` repeats a run), failures saved
  in and replayed first from the example database that ``--property-db DIR`` names (the matrix
  names the cache's ``property-db``), and the blob that reproduces a failure printed.

Options (``python -m matrix property`` passes them): ``--property-examples N`` derives a profile
from the chosen one with N examples; ``--property-report PATH`` says where the report goes (none
is written without it); ``--property-without P,Q`` leaves producers out;
``--property-known-defects`` draws what known_defects.py would keep out.

Which scenarios the test draws depends on the installed release and on these options, so it is
registered here, once they are known, as the strategy for ``Scenario``: the test's
``st.from_type(Scenario)``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.database import DirectoryBasedExampleDatabase

from .harness import ResumeProperty, failure_body
from .resume_scenario import Scenario

settings.register_profile(
    "ci",
    max_examples=60,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=False,
)
settings.register_profile(
    "fresh",
    parent=settings.get_profile("ci"),
    derandomize=False,
    print_blob=True,
)

PROPERTY = pytest.StashKey[ResumeProperty]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("resume property")
    group.addoption(
        "--property-examples",
        type=int,
        metavar="N",
        help="scenarios to try, instead of the Hypothesis profile's max_examples",
    )
    group.addoption(
        "--property-db",
        type=Path,
        metavar="DIR",
        help="the example database's directory (none by default)",
    )
    group.addoption(
        "--property-report",
        type=Path,
        metavar="PATH",
        help="where the report goes (none is written without it)",
    )
    group.addoption("--property-without", default="", metavar="P,Q", help="producers to leave out")
    group.addoption(
        "--property-known-defects",
        action="store_true",
        help="do not work around known upstream defects (known_defects.py)",
    )


@pytest.hookimpl(trylast=True)  # after Hypothesis's plugin has loaded --hypothesis-profile
def pytest_configure(config: pytest.Config) -> None:
    derived: dict[str, Any] = {}
    examples = config.getoption("property_examples")
    if examples is not None:
        if examples < 1:
            raise pytest.UsageError("--property-examples must be at least 1")
        derived["max_examples"] = examples
    database = config.getoption("property_db")
    if database is not None:
        derived["database"] = DirectoryBasedExampleDatabase(database)
    if derived:
        name = "-".join([settings.get_current_profile_name(), *derived])
        settings.register_profile(name, **derived)
        settings.load_profile(name)
    # The SDK logs every refused request; the report already says what was refused.
    logging.getLogger("openai.agents").setLevel(logging.CRITICAL)
    without = frozenset(filter(None, config.getoption("property_without").split(",")))
    try:
        resume = ResumeProperty(
            without=without,
            work_around=not config.getoption("property_known_defects"),
            report=config.getoption("property_report"),
        )
    except ValueError as error:
        raise pytest.UsageError(f"--property-without: {error}") from None
    config.stash[PROPERTY] = resume
    st.register_type_strategy(Scenario, resume.scenarios())


@pytest.fixture(scope="session")
def resume_property(pytestconfig: pytest.Config) -> ResumeProperty:
    """The property on the installed release: it plays each scenario on a fresh double."""
    return pytestconfig.stash[PROPERTY]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Write the report once the test has run (or failed to set up): on failure, the minimal
    failing scenario, which Hypothesis replays last; on success, what the search tried."""
    outcome = yield
    report = outcome.get_result()
    resume = item.config.stash.get(PROPERTY, None)
    if resume is None or report.when == "teardown" or (report.when == "setup" and report.passed):
        return
    if report.failed and call.excinfo is not None:
        body = failure_body(call.excinfo.value)
    else:
        profile = item.config.getoption("hypothesis_profile", None) or "default"
        body = f"passed: {settings.default.max_examples} examples, profile {profile}"
        seed = item.config.getoption("hypothesis_seed", None)
        body += f", seed {seed}" if seed is not None else ""
        statistics = getattr(item, "hypothesis_statistics", "")
        body += f"\n\n```\n{statistics.strip()}\n```" if statistics else ""
    resume.write_report(body)
