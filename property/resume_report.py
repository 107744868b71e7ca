"""What the property asserts about one played scenario, and what a reviewer reads when it breaks."""

from __future__ import annotations

from collections import Counter
from typing import Any

from .resume_runner import FINAL, PlayOutcome
from .resume_scenario import Scenario, WireIds
from hitl_testkit.fake_responses_api import StrictResponsesAPI
from hitl_testkit.wire import outputs_by_call_id


def problems(api: StrictResponsesAPI, scenario: Scenario, outcome: PlayOutcome) -> list[str]:
    """Every way the played scenario broke the property; empty when it held.

    Call ids are compared as the scenario names them: what came back over the wire is read with
    ``outcome.ids.local``.
    """
    local = outcome.ids.local
    found: list[str] = []
    if outcome.error is not None:
        first_line = (local(str(outcome.error)).splitlines() or [""])[0]
        found.append(f"the run raised {type(outcome.error).__name__}: {first_line}")
    found += [f"the double refused a request: {local(message)}" for message in api.rejections]
    if outcome.error is None and outcome.final_output != FINAL:
        found.append(f"the run ended with {outcome.final_output!r}, not the final message")
    calls = [call.call_id for call in scenario.calls()]
    if outcome.error is None and outcome.last_response_id is not None:
        context = api.contexts.get(outcome.last_response_id, [])
        made = Counter(local(i["call_id"]) for i in context if i.get("type") == "function_call")
        answered = Counter(
            local(i["call_id"]) for i in context if i.get("type") == "function_call_output"
        )
        if made != Counter(calls):
            found.append(f"final context holds calls {dict(made)}, expected each of {calls} once")
        if answered != Counter(calls):
            found.append(f"final context answers {dict(answered)}, expected each of {calls} once")
    sent = {local(call_id): outputs for call_id, outputs in outputs_by_call_id(api).items()}
    twice = {call_id: len(sent[call_id]) for call_id in calls if len(sent.get(call_id, [])) > 1}
    if twice:
        found.append(f"outputs sent more than once across requests: {twice}")
    expected_runs = Counter(tag for call in scenario.calls() for tag in call.expected_runs())
    ran = [local(tag) for tag in outcome.ran]
    if Counter(ran) != expected_runs:
        found.append(
            f"tool bodies ran {sorted(ran)}, expected each of {sorted(expected_runs)} exactly once"
        )
    asked = [call_id for round_ in outcome.rounds for call_id in round_]
    if outcome.error is None and Counter(asked) != Counter(list(scenario.decisions())):
        found.append(f"approvals asked for {asked}, expected {sorted(scenario.decisions())}")
    return found


def _summary(item: dict[str, Any], ids: WireIds) -> str:
    kind = item.get("type", "message")
    if kind in {"function_call", "function_call_output"}:
        return f"{kind} {ids.local(str(item.get('call_id')))}"
    return f"{kind} {item.get('role', '')}".strip()


def refused_requests(api: StrictResponsesAPI, ids: WireIds) -> list[str]:
    """Each refused request: what it continued from, its input items (the scenario's call ids),
    and the error."""
    refused = [body for body in api.requests if not any(body is ok for ok in api.accepted)]
    lines = []
    for body, error in zip(refused, api.rejections, strict=False):
        number = next(n for n, request in enumerate(api.requests, 1) if request is body)
        anchor = body.get("previous_response_id") or body.get("conversation") or "nothing"
        anchor = ids.local(str(anchor))
        items = body.get("input")
        listed = (
            [items] if isinstance(items, str) else [_summary(item, ids) for item in items or []]
        )
        lines.append(
            f"request {number} of {len(api.requests)} (model {body.get('model')}, continues "
            f"{anchor}): input [{', '.join(map(str, listed))}]\n    -> 400 {ids.local(error)}"
        )
    return lines


def failure_text(
    api: StrictResponsesAPI, scenario: Scenario, outcome: PlayOutcome, found: list[str]
) -> str:
    refused = refused_requests(api, outcome.ids)
    parts = [scenario.render(), "", "broken:", *(f"  - {line}" for line in found)]
    if refused:
        parts += ["", "refused by the double:", *(f"  {line}" for line in refused)]
    return "\n".join(parts)
