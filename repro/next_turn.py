import asyncio
import json

import httpx2
from openai import AsyncOpenAI, BadRequestError

from agents import Agent, OpenAIResponsesModel, Runner, function_tool, set_tracing_disabled

CALL = {"type": "function_call", "id": "fc_1", "call_id": "call_lookup", "name": "lookup"}
TEXT = {"type": "output_text", "text": "Anything else?", "annotations": []}
USAGE = {"input_tokens_details": {"cached_tokens": 0}, "input_tokens": 1, "total_tokens": 2}
USAGE |= {"output_tokens_details": {"reasoning_tokens": 0}, "output_tokens": 1}
conversation: list[dict] = []  # what the server holds for conv_123


async def server(request: httpx2.Request) -> httpx2.Response:
    """The Responses and Conversations APIs, as far as this repro needs them."""
    body = json.loads(request.content)
    if request.url.path.endswith("/items"):  # Create items: add them to the conversation
        conversation.extend(body["items"])
        return httpx2.Response(200, json={"object": "list", "data": [], "has_more": False})
    context = conversation + body["input"]
    answered = {i["call_id"] for i in context if i.get("type") == "function_call_output"}
    for item in context:  # the Responses API's answer, quoted in #3004 and #1061
        if item.get("type") == "function_call" and item["call_id"] not in answered:
            error = f"No tool output found for function call {item['call_id']}."
            return httpx2.Response(400, json={"error": {"message": error, "type": "invalid"}})
    if conversation:
        output = {"type": "message", "id": "msg_1", "role": "assistant", "content": [TEXT]}
    else:
        output = {**CALL, "arguments": '{"city": "Paris"}'}
    conversation[:] = [*context, output]
    response = {"id": f"resp_{len(conversation)}", "object": "response", "created_at": 0}
    response |= {"model": body["model"], "output": [output], "usage": USAGE}
    response |= {"parallel_tool_calls": True, "tool_choice": "auto", "tools": []}
    return httpx2.Response(200, json=response)


@function_tool
def lookup(city: str) -> str:
    return f"Sunny in {city}."


async def main() -> int:
    set_tracing_disabled(True)
    http = httpx2.AsyncClient(transport=httpx2.MockTransport(server))
    client = AsyncOpenAI(api_key="-", base_url="https://api.test/v1", http_client=http)
    model = OpenAIResponsesModel(model="gpt-4.1", openai_client=client)
    agent = Agent(
        name="weather", model=model, tools=[lookup], tool_use_behavior="stop_on_first_tool"
    )
    # Turn 1 ends on the tool's output: the SDK makes no request after the tool ran.
    first = await Runner.run(agent, "Weather in Paris?", conversation_id="conv_123")
    print("turn 1 final output:", first.final_output)
    outputs = [i["call_id"] for i in conversation if i.get("type") == "function_call_output"]
    print("outputs the conversation holds:", outputs)
    # Turn 2 as docs/running_agents.md says: the same conversation_id plus the new user turn.
    try:
        second = await Runner.run(agent, "And in Rome?", conversation_id="conv_123")
    except BadRequestError as error:
        print("turn 2:", error.status_code, error.body["message"])
        return 1
    print("turn 2 final output:", second.final_output)
    return 0


raise SystemExit(asyncio.run(main()))
