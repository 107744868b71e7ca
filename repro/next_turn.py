import asyncio

from agents import Agent, Runner, function_tool, set_tracing_disabled
from agents.testing import ScriptedModel, assistant_message, function_call


@function_tool
def lookup(city: str) -> str:
    return f"Sunny in {city}."


async def main() -> None:
    set_tracing_disabled(True)
    model = ScriptedModel(
        [
            [function_call("lookup", {"city": "Paris"}, call_id="call_lookup")],
            [assistant_message("Anything else?")],
        ]
    )
    agent = Agent(
        name="weather", model=model, tools=[lookup], tool_use_behavior="stop_on_first_tool"
    )

    # Turn 1 ends on the tool's output: the SDK makes no request after the tool ran.
    first = await Runner.run(agent, "Weather in Paris?", conversation_id="conv_123")
    print("turn 1 final output:", first.final_output)

    # Turn 2 as docs/running_agents.md says: the same conversation_id plus the new user turn.
    await Runner.run(agent, "And in Rome?", conversation_id="conv_123")
    print("turn 2 request input:", model.last_call.input)

    # The server holds call_lookup with no output, so the Responses API answers this request
    # with 400 "No tool output found for function call call_lookup."
    outputs = [i for i in model.last_call.input if i.get("type") == "function_call_output"]
    print("call_lookup's output sent:", bool(outputs))
    raise SystemExit(0 if outputs else 1)


asyncio.run(main())
