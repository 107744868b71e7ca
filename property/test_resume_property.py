"""Property: a saved server-managed run, once resumed, answers every call exactly once.

Hypothesis draws a conversation (resume_scenario.py) over the producers the installed release
supports (sdk_features.py), plays it through ``Runner`` with the real ``openai.AsyncOpenAI``
client against a fresh strict Responses API double (resume_runner.py), and checks that the
double refused no request, that the final context answers every call exactly once, and that
every tool body that should run ran exactly once, gated ones only when approved
(resume_report.py). A failure is shrunk to a minimal conversation, printed, and saved beside the
matrix report as build/property-<release>.md.

Known upstream defects that the patch cannot reach are worked around where the release has them
(known_defects.py), and the report says which.

Environment (property/run.py sets it): PROPERTY_EXAMPLES (default 60); PROPERTY_FRESH=1 for a
random seed and an example database in the cache's property-db, where failures found earlier are
replayed first (pass --hypothesis-seed to repeat a run); PROPERTY_REPORT (the report's path);
PROPERTY_KNOWN_DEFECTS=1 to turn the workarounds off; PROPERTY_WITHOUT, producers to leave out
(comma-separated).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, given, note, settings
from hypothesis.database import DirectoryBasedExampleDatabase
from known_defects import known_defects
from resume_report import failure_text, legend, problems, write_report
from resume_runner import play
from resume_scenario import PRODUCERS as ALL_PRODUCERS, Scenario, WireIds, scenarios
from sdk_features import (
    missing_producers,
    sdk_version,
    supported_endings,
    supported_modes,
    supported_producers,
)

ROOT = Path(__file__).resolve().parents[1]
CACHE = Path(os.environ.get("HOTFIX_CACHE") or ROOT / "build" / "cache")
EXAMPLES = int(os.environ.get("PROPERTY_EXAMPLES", "60"))
FRESH = os.environ.get("PROPERTY_FRESH") == "1"
RELEASE = sdk_version()
REPORT = Path(os.environ.get("PROPERTY_REPORT") or ROOT / "build" / f"property-{RELEASE}.md")
WITHOUT = set(filter(None, os.environ.get("PROPERTY_WITHOUT", "").split(",")))
if WITHOUT - set(ALL_PRODUCERS):
    raise ValueError(f"PROPERTY_WITHOUT: unknown producers {sorted(WITHOUT - set(ALL_PRODUCERS))}")
PRODUCERS = tuple(name for name in supported_producers() if name not in WITHOUT)
MODES = supported_modes()
ENDINGS = supported_endings(PRODUCERS)
# The SDK logs every refused request; the report below already says what was refused.
logging.getLogger("openai.agents").setLevel(logging.CRITICAL)
# Upstream defects the patch cannot reach, worked around where present (known_defects.py).
DEFECTS = known_defects()


# What the search tried: scenarios by mode, runner, turns and interruptions, calls by producer.
SEEN: Counter[str] = Counter()
# Every play's call ids carry its own serial on the wire (WireIds), as a real server's never repeat.
PLAYS = itertools.count(1)


class PropertyBroken(AssertionError):
    """The played scenario broke the property; the message is the readable report."""


@settings(
    max_examples=EXAMPLES,
    derandomize=not FRESH,
    database=(DirectoryBasedExampleDatabase(str(CACHE / "property-db")) if FRESH else None),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=FRESH,
)
@given(
    scenario=scenarios(
        PRODUCERS,
        MODES,
        ENDINGS,
        handoff_beside_interruption="handoff_beside_interruption" not in DEFECTS,
    )
)
def check_scenario(scenario: Scenario) -> None:
    interrupting = sum(turn.interrupts for turn in scenario.turns)
    SEEN.update(
        [
            scenario.mode,
            "run_streamed" if scenario.streamed else "run",
            f"{len(scenario.turns)} turn(s)",
            f"{interrupting} interrupting turn(s)",
            f"ending {scenario.ending}",
        ]
    )
    SEEN.update(call.producer for call in scenario.calls())
    api, outcome = asyncio.run(play(scenario, PRODUCERS, WireIds(next(PLAYS))))
    found = problems(api, scenario, outcome)
    if found:
        text = failure_text(api, scenario, outcome, found)
        note(text)
        raise PropertyBroken(text)


def test_resumed_server_managed_runs_answer_every_call_exactly_once() -> None:
    header = f"producers:\n{legend(PRODUCERS)}\n"
    if WITHOUT:
        header += f"\nleft out on request: {', '.join(sorted(WITHOUT))}\n"
    if DEFECTS:
        header += "\nworked around on this release (upstream defects out of the patch's reach):\n"
        header += "".join(f"  {name}: {reason}\n" for name, reason in DEFECTS.items())
    REPORT.unlink(missing_ok=True)
    try:
        check_scenario()
    except BaseException as error:
        if isinstance(error, PropertyBroken):
            found = f"the minimal failing scenario Hypothesis found\n\n{error}"
        else:
            found = f"{type(error).__name__}: {error}"
            found += "".join(f"\n{note}" for note in getattr(error, "__notes__", []))
        body = f"FAILED: {found}\n\n{header}"
        write_report(
            REPORT, release=RELEASE, producers=PRODUCERS, missing=missing_producers(), body=body
        )
        print(f"\n{body}\nsaved to {REPORT}")
        raise
    tried = sum(SEEN[mode] for mode in MODES)
    coverage = ", ".join(f"{key} {count}" for key, count in sorted(SEEN.items()))
    body = f"passed: {tried} scenarios{' (fresh seed)' if FRESH else ''}: {coverage}\n\n{header}"
    write_report(
        REPORT, release=RELEASE, producers=PRODUCERS, missing=missing_producers(), body=body
    )
