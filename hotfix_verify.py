"""`hotfix.py verify`: the report's scenarios replayed through the installed openai-agents, on
the in-process double of the Responses API. Imported by hotfix.py for that command only; it
needs the SDK, hitl_testkit/ and repro/ of this checkout."""

from __future__ import annotations

from hotfix import Fix, HotfixError, VerifyFailed, next_turn_note


def verify(fix: Fix) -> str:
    """Replay the report's scenarios against the imported SDK: through Runner, then the tracker,
    and, where the release has the next-turn fix, the next turn after a run ends on a tool
    output."""
    try:
        failures = [failure for failure in _replay_through_runner(fix) if failure]
        tracker = _replay_report_scenario()
    except HotfixError:
        raise
    except Exception as error:
        import openai

        summary = f"{type(error).__name__}: {str(error).splitlines()[0]}"
        raise HotfixError(
            f"verify could not build the scenario ({summary}); this environment's openai "
            f"{openai.__version__} may be newer than the installed openai-agents supports"
        ) from None
    if failures:
        raise VerifyFailed("verify FAILED through Runner: " + "; ".join(failures))
    if tracker:
        raise VerifyFailed(
            f"verify FAILED at the tracker: {tracker}; Runner.run resumed every scenario in "
            "repro/resume_after_approval.py on this release, so only callers of "
            "hydrate_from_state() are hit"
        )
    done = (
        "verify ok: resumed HITL runs (Runner.run on the in-process double, conversation_id) "
        "send every output produced before the interruption, and so does the tracker"
    )
    if fix.next_turn:
        done += "; the next turn after a run that ends on a tool output is accepted"
    return f"{done}\n{next_turn_note(fix)}"


def _replay_through_runner(fix: Fix) -> list[str]:
    """Resume through Runner against the in-process double: repro/resume_after_approval.py."""
    import asyncio

    try:
        from repro.resume_after_approval import next_turn_verdict, verdicts
    except ModuleNotFoundError as error:
        if error.name not in {"repro", "repro.resume_after_approval", "hitl_testkit"}:
            raise
        raise HotfixError(f"run hotfix.py from a full checkout ({error})") from None
    results = {
        f"resuming a rejected call next to {k}": v for k, v in asyncio.run(verdicts()).items()
    }
    if fix.next_turn:
        results["the next turn on a conversation_id after a stop tool"] = asyncio.run(
            next_turn_verdict()
        )
    return [f"{name} ({verdict})" for name, verdict in results.items() if verdict != "ok"]


def _replay_report_scenario() -> str:
    """The report's scenario at the tracker: resumed after a rejected approval, it must send the
    output of the call that ran before the interruption as well as the rejection's."""
    from agents import Agent
    from agents.items import ModelResponse, ToolApprovalItem, ToolCallItem
    from agents.run_internal.oai_conversation import OpenAIServerConversationTracker
    from agents.usage import Usage

    import hitl_testkit.tracker_items as testkit

    agent: Agent = Agent(name="verify")
    gated = testkit.function_call("fc_call_GATED", "call_GATED", "run_cleanup")
    calls = [gated, testkit.function_call("fc_call_PLAIN", "call_PLAIN", "run_diagnostic")]
    items = [ToolCallItem(agent=agent, raw_item=call) for call in calls]
    items.append(testkit.tool_output(agent, "call_PLAIN", "plain ran"))
    approval = ToolApprovalItem(agent=agent, raw_item=gated, tool_name="run_cleanup")
    prepared = testkit.resumed_input(
        OpenAIServerConversationTracker(previous_response_id="resp_1"),
        [*items, approval],
        [ModelResponse(output=calls, usage=Usage(), response_id="resp_1")],
        [*items, testkit.tool_output(agent, "call_GATED", "not approved")],
    )
    sent = sorted(testkit.call_ids_with_output(prepared))
    if sent != ["call_GATED", "call_PLAIN"]:
        return (
            f"a resumed run would send outputs for {sent}, not for both calls, and the API "
            "would answer 400 'No tool output found for function call call_PLAIN'"
        )
    return ""
