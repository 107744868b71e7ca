"""repro/live_api_check.py: skipped without a key, and each question sent the way it says.

Against the strict double the three next turns are accepted, the second by the double's
assumption that a second output for an answered call is accepted: what the real API answers is
what the script is for. These tests check what the script sends, not the answers.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from repro.live_api_check import NEW_TURN, QUESTIONS, check, output_item

from hitl_testkit.fake_responses_api import StrictResponsesAPI
from hitl_testkit.wire import message, openai_client

SCRIPT = Path(__file__).resolve().parent.parent / "repro" / "live_api_check.py"


def test_without_a_key_it_is_skipped_and_asks_nothing() -> None:
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    # Nothing listens here: a request would fail the run.
    env["OPENAI_BASE_URL"] = "http://127.0.0.1:9/v1"

    done = subprocess.run([sys.executable, SCRIPT], env=env, capture_output=True, text=True)

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("skipped: OPENAI_API_KEY is not set")


def model(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Call lookup when the request forces it, else answer."""
    if isinstance(body.get("tool_choice"), dict):
        return [{"type": "function_call", "name": "lookup", "arguments": '{"city": "Paris"}'}]
    return [message("Yes.")]


async def test_each_question_is_asked_as_it_says_and_answered_in_one_line() -> None:
    api = StrictResponsesAPI(model)
    async with openai_client(api) as client:
        lines = await check(client, "gpt-4.1-mini")

    assert [line.partition(": accepted (resp_")[0] for line in lines] == list(QUESTIONS)
    turns = [body for body in api.requests if body.get("tool_choice") == "none"]
    forced = [body for body in api.requests if isinstance(body.get("tool_choice"), dict)]
    assert len(forced) == len(turns) == 3
    # Questions 1 and 2: the output added with Create items, each to its own conversation, then
    # the next turn on it without and with the output carried again.
    delivered = [(conversation, items) for conversation, items in api.conversation_items_created]
    assert [[item["type"] for item in items] for _, items in delivered] == [
        ["function_call_output"]
    ] * 2
    first, second = (items[0]["call_id"] for _, items in delivered)
    assert [turn.get("conversation") for turn in turns[:2]] == [c for c, _ in delivered]
    assert turns[0]["input"] == [NEW_TURN]
    assert turns[1]["input"] == [output_item(second), NEW_TURN]
    assert first != second
    # Question 3: the output carried into the turn that continues the response that called.
    chained = api.contexts[turns[2]["previous_response_id"]]
    carried = turns[2]["input"][0]["call_id"]
    assert [item["call_id"] for item in chained if item["type"] == "function_call"] == [carried]
    assert turns[2]["input"] == [output_item(carried), NEW_TURN]
    assert "conversation" not in turns[2]
    # Both conversations are deleted again.
    assert api.conversations == {}
