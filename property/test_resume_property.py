"""Property: a saved server-managed run, once resumed, answers every call exactly once.

Hypothesis draws a conversation (resume_scenario.py) over the producers the installed release
supports (sdk_features.py), less those the run leaves out and the combinations known upstream
defects rule out (known_defects.py); conftest.py registers that strategy for ``Scenario``. The
``resume_property`` fixture (harness.py) plays it through ``Runner`` with the real
``openai.AsyncOpenAI`` client against a fresh strict Responses API double (resume_runner.py) and
checks that the double refused no request, that the final context answers every call exactly
once, and that every tool body that should run ran exactly once, gated ones only when approved
(resume_report.py). A failure is shrunk to a minimal conversation, which pytest prints as the
failure; ``--hypothesis-show-statistics`` shows what the search tried (the events below).

Settings come from the profile chosen with ``--hypothesis-profile`` (conftest.py); ``python -m
matrix property RELEASE -- ...`` passes pytest's arguments through.
"""

from __future__ import annotations

from hypothesis import event, given, strategies as st

from .harness import ResumeProperty
from .resume_scenario import Scenario


@given(scenario=st.from_type(Scenario))
def test_resumed_server_managed_runs_answer_every_call_exactly_once(
    resume_property: ResumeProperty, scenario: Scenario
) -> None:
    event("mode", scenario.mode)
    event("runner", "run_streamed" if scenario.streamed else "run")
    event("turns", len(scenario.turns))
    event("interrupting turns", sum(turn.interrupts for turn in scenario.turns))
    event("ending", scenario.ending)
    for producer in sorted({call.producer for call in scenario.calls()}):
        event(f"producer {producer}")
    resume_property.check(scenario)
