"""The property's pytest configuration: Hypothesis settings profiles, the property's two options,
and the property for the installed release as a fixture.

Profiles, chosen with Hypothesis's ``--hypothesis-profile`` (``ci`` when none is named):

- ``ci``: 60 examples, derandomised, no example database; what CI runs.
- ``fresh``: 60 examples with a random seed (``--hypothesis-seed`` repeats a run), failures saved
  in and replayed first from Hypothesis's example database (``.hypothesis/examples`` in the
  checkout, or under ``HYPOTHESIS_STORAGE_DIRECTORY``), and the blob that reproduces a failure
  printed.
- ``long``: ``fresh`` with 2,000 examples, for a long exploration.

The options are the property's own; Hypothesis and pytest have nothing for them:
``--property-without P,Q`` leaves producers out, so that a run can look past a failure it keeps
shrinking to; ``--property-known-defects`` draws what known_defects.py keeps out, to show an
upstream defect itself.

Which scenarios the test draws depends on the installed release and on these options, so it is
registered here, once they are known, as the strategy for ``Scenario``: the test's
``st.from_type(Scenario)``. pytest's header says what the release lets the property draw.
"""

from __future__ import annotations

import argparse
import logging

import pytest
from hypothesis import HealthCheck, settings, strategies as st

from .harness import ResumeProperty
from .resume_scenario import PROPERTY_PRODUCERS, Scenario
from .sdk_features import missing_producers

# A play takes from milliseconds to over a second, through Runner and the real client.
settings.register_profile(
    "fresh",
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.register_profile("long", settings.get_profile("fresh"), max_examples=2000)
settings.register_profile(
    "ci", settings.get_profile("fresh"), derandomize=True, database=None, print_blob=False
)
# Loaded before Hypothesis's plugin reads --hypothesis-profile, which overrides it.
settings.load_profile("ci")

PROPERTY = pytest.StashKey[ResumeProperty]()


def producer_names(text: str) -> frozenset[str]:
    names = frozenset(filter(None, text.split(",")))
    unknown = names - set(PROPERTY_PRODUCERS)
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown producers {sorted(unknown)}; known: {', '.join(PROPERTY_PRODUCERS)}"
        )
    return names


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("resume property")
    group.addoption(
        "--property-without",
        type=producer_names,
        default=frozenset(),
        metavar="P,Q",
        help="producers to leave out",
    )
    group.addoption(
        "--property-known-defects",
        action="store_true",
        help="do not work around known upstream defects (known_defects.py)",
    )


def pytest_configure(config: pytest.Config) -> None:
    # The SDK logs every refused request; a failing scenario already says what was refused.
    logging.getLogger("openai.agents").setLevel(logging.CRITICAL)
    resume = ResumeProperty(
        without=config.getoption("property_without"),
        work_around=not config.getoption("property_known_defects"),
    )
    config.stash[PROPERTY] = resume
    st.register_type_strategy(Scenario, resume.scenarios())


def pytest_report_header(config: pytest.Config) -> list[str]:
    resume = config.stash[PROPERTY]
    lines = [f"resume property on openai-agents {resume.release}: {', '.join(resume.producers)}"]
    lines += [f"  not on this release: {name} ({why})" for name, why in missing_producers().items()]
    lines += [f"  worked around: {name}: {why}" for name, why in resume.defects.items()]
    return lines


@pytest.fixture(scope="session")
def resume_property(pytestconfig: pytest.Config) -> ResumeProperty:
    """The property on the installed release: it plays each scenario on a fresh double."""
    return pytestconfig.stash[PROPERTY]
