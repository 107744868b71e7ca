"""The real ``openai.AsyncOpenAI`` client answered by the strict double (fake_responses_api.py)
through ``httpx.MockTransport``, the items a scripted model answers with, and what tests check
over the wire, with no socket, thread or event loop of its own::

    api = StrictResponsesAPI([[message("Hello!")]])
    async with openai_client(api) as client:  # a real openai.AsyncOpenAI
        model = OpenAIResponsesModel(model="gpt-4.1-mini", openai_client=client)
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from .fake_responses_api import CALL_TYPES, Item, StrictResponsesAPI, input_items

if TYPE_CHECKING:
    from openai import AsyncOpenAI

# Where openai_client() sends requests; the transport answers them, so the host is never resolved.
BASE_URL = "https://example.test/v1"


@asynccontextmanager
async def openai_client(
    api: StrictResponsesAPI, max_retries: int = 0
) -> AsyncIterator[AsyncOpenAI]:
    """The real ``openai.AsyncOpenAI`` client, answered by ``api`` through httpx.MockTransport.

    No retries unless asked: a refused request is the test's finding, not a reason to ask again.
    """
    # Imported here: the loopback server process (loopback_responses_api.py) needs neither.
    from openai import AsyncOpenAI, DefaultAsyncHttpxClient

    # The HTTP library the installed openai is built on: httpx2 from openai 3 on (0.24.0's lock
    # installs no httpx), httpx before.
    http = sys.modules[DefaultAsyncHttpxClient.__mro__[1].__module__.partition(".")[0]]
    http_client = http.AsyncClient(transport=http.MockTransport(api))
    try:
        yield AsyncOpenAI(
            api_key="test", base_url=BASE_URL, http_client=http_client, max_retries=max_retries
        )
    finally:
        await http_client.aclose()


def assert_every_call_answered_once(api: StrictResponsesAPI, last_response_id: str | None) -> None:
    """No request was refused, and every call of every kind was answered once, over the wire:
    in the final response's context each call has exactly one output, and no earlier context
    has an output without its call."""
    assert api.rejections == []
    assert len(api.requests) == len(api.accepted)
    assert last_response_id is not None
    for context in api.contexts.values():
        calls = Counter(
            (CALL_TYPES[item["type"]], item["call_id"])
            for item in context
            if item.get("type") in CALL_TYPES
        )
        answers = Counter(
            (item["type"], item["call_id"])
            for item in context
            if item.get("type") in CALL_TYPES.values()
        )
        if context is api.contexts[last_response_id]:
            assert answers == calls
        else:
            assert not answers - calls


def message(text: str) -> Item:
    return {
        "type": "message",
        "role": "assistant",
        "content": [{"type": "output_text", "text": text, "annotations": []}],
    }


def call(call_id: str, name: str, arguments: dict[str, Any] | None = None) -> Item:
    return {
        "type": "function_call",
        "call_id": call_id,
        "name": name,
        "arguments": json.dumps(arguments or {}),
    }


def outputs_by_call_id(api: StrictResponsesAPI) -> dict[str, list[Any]]:
    """Every tool output of any kind the double accepted, by call id, across all requests: the
    input of responses and the items added to conversations."""
    outputs: dict[str, list[Any]] = {}
    received = [input_items(request) for request in api.accepted]
    received += [items for _, items in api.conversation_items_created]
    for items in received:
        for item in items:
            if item.get("type") in CALL_TYPES.values():
                outputs.setdefault(item["call_id"], []).append(item.get("output"))
    return outputs
