"""What the next-turn fix rests on that no public source shows, asked of the real OpenAI API.

    OPENAI_API_KEY=sk-... python repro/live_api_check.py [--model gpt-4.1-mini]

Needs only ``openai``. Without ``OPENAI_API_KEY`` it says it is skipped and exits 0. It makes six
model requests of a few tokens each (three forced tool calls and three next turns), creates, fills
and deletes two conversations, and prints one line per question:

1. A ``function_call_output`` added with the Conversations API's Create items, then the next turn
   on that conversation with only a new user message: what the fix does on ``conversation_id``.
2. The same, with the output carried a second time in that next turn's input: what a caller who
   carries the output (the workaround) sends once the fix has delivered it.
3. The output carried into the next turn on ``previous_response_id``: the workaround on a chain.

Each line says whether the API accepted the request or how it rejected it; the script exits 0
either way, and 1 only when a step before the question fails.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Awaitable
from typing import Any

from openai import APIStatusError, AsyncOpenAI

LOOKUP_TOOL = {
    "type": "function",
    "name": "lookup",
    "description": "Look up the weather in a city.",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
        "additionalProperties": False,
    },
    "strict": True,
}
NEW_TURN = {"role": "user", "content": "Thanks. Answer in one word: is it warm?"}
QUESTIONS = (
    "1. Create items with the output, then the next turn on the conversation",
    "2. Create items with the output, then the next turn carrying the output again",
    "3. The next turn on previous_response_id carrying the output",
)


def output_item(call_id: str) -> dict[str, str]:
    return {"type": "function_call_output", "call_id": call_id, "output": "Sunny in Paris."}


async def lookup_call(client: AsyncOpenAI, model: str, **continuation: Any) -> tuple[str, str]:
    """A response that calls lookup, as a run that ends on the tool's output starts: its call id
    and the response id."""
    response = await client.responses.create(
        model=model,
        input="What is the weather in Paris?",
        tools=[LOOKUP_TOOL],  # type: ignore[list-item]
        tool_choice={"type": "function", "name": "lookup"},
        max_output_tokens=32,
        **continuation,
    )
    calls = [item.call_id for item in response.output if item.type == "function_call"]
    if not calls:
        raise RuntimeError(f"{response.id}: the model did not call lookup")
    return calls[0], response.id


async def verdict(request: Awaitable[Any]) -> str:
    try:
        response = await request
    except APIStatusError as error:
        return f"rejected ({error.status_code}: {error.message})"
    return f"accepted ({response.id})"


async def next_turn(client: AsyncOpenAI, model: str, input: list[Any], **continuation: Any) -> str:
    return await verdict(
        client.responses.create(
            model=model,
            input=input,
            tools=[LOOKUP_TOOL],  # type: ignore[list-item]
            tool_choice="none",
            max_output_tokens=16,
            **continuation,
        )
    )


async def on_conversation(client: AsyncOpenAI, model: str, carry: bool) -> str:
    conversation = await client.conversations.create()
    try:
        call_id, _ = await lookup_call(client, model, conversation=conversation.id)
        await client.conversations.items.create(conversation.id, items=[output_item(call_id)])
        carried = [output_item(call_id)] if carry else []
        return await next_turn(client, model, [*carried, NEW_TURN], conversation=conversation.id)
    finally:
        await client.conversations.delete(conversation.id)


async def check(client: AsyncOpenAI, model: str) -> list[str]:
    """One line per question, in order."""
    answers = [
        await on_conversation(client, model, carry=False),
        await on_conversation(client, model, carry=True),
    ]
    call_id, response_id = await lookup_call(client, model)
    answers.append(
        await next_turn(
            client, model, [output_item(call_id), NEW_TURN], previous_response_id=response_id
        )
    )
    return [f"{question}: {answer}" for question, answer in zip(QUESTIONS, answers, strict=False)]


async def ask(model: str) -> list[str]:
    async with AsyncOpenAI(max_retries=0) as client:
        return await check(client, model)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="gpt-4.1-mini", help="a Responses API model")
    args = parser.parse_args(argv)
    if not os.environ.get("OPENAI_API_KEY"):
        print("skipped: OPENAI_API_KEY is not set, so the real API was not asked")
        return 0
    try:
        lines = asyncio.run(ask(args.model))
    except Exception as error:
        print(f"could not ask: {type(error).__name__}: {error}")
        return 1
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
