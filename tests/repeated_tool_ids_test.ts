/**
 * Backends that repeat a tool-call id within one answer (Kimi, some gateways): the calls stay
 * separate, get ids unique within the message, and the next request gives the backend its own
 * ids back.
 */
import assert from "node:assert/strict";
import { MessagesRequest } from "../lib/anthropic/schema.ts";
import { validate } from "../lib/anthropic/validate.ts";
import { anthropicRequestToOpenAI } from "../lib/translate/anthropic_request_to_openai.ts";
import { openAIResponseToAnthropic } from "../lib/translate/openai_response_to_anthropic.ts";
import { repeatedToolId, upstreamToolId } from "../lib/translate/tool_names.ts";
import { OPTIONS } from "./_request.ts";
import { accumulate, assertGrammar, sseText, translateSse } from "./_helpers.ts";

const base = { id: "c", object: "chat.completion.chunk", created: 1, model: "kimi-k2" };
const call = (args: string) => ({
  index: 0,
  id: "functions.Bash:0",
  type: "function",
  function: { name: "Bash", arguments: args },
});

Deno.test("repeatedToolId decodes to the upstream id it repeats", () => {
  const id = repeatedToolId("functions.Bash:0", 1);
  assert.match(id, /^[a-zA-Z0-9_-]+$/);
  assert.equal(upstreamToolId(id), "functions.Bash:0");
  assert.equal(upstreamToolId("toolu_cpr_1_zz"), "toolu_cpr_1_zz");
});

Deno.test("OpenAIToAnthropicStream keeps two whole calls under one repeated id apart (kimi)", async () => {
  const events = await translateSse(sseText([
    {
      ...base,
      choices: [{ index: 0, delta: { role: "assistant", tool_calls: [call('{"command":"ls"}')] } }],
    },
    { ...base, choices: [{ index: 0, delta: { tool_calls: [call('{"command":"pwd"}')] } }] },
    { ...base, choices: [{ index: 0, delta: {}, finish_reason: "tool_calls" }] },
  ]));
  assertGrammar(events);
  const content = accumulate(events) as Array<{ id: string; input: unknown }>;
  assert.deepEqual(content.map((block) => block.input), [{ command: "ls" }, { command: "pwd" }]);
  assert.notEqual(content[0].id, content[1].id);
  assert.deepEqual(content.map((block) => upstreamToolId(block.id)), [
    "functions.Bash:0",
    "functions.Bash:0",
  ]);
});

Deno.test("repeated ids round-trip: the next request carries the backend's own ids", () => {
  const message = openAIResponseToAnthropic({
    id: "c",
    choices: [{
      index: 0,
      message: {
        role: "assistant",
        content: null,
        tool_calls: [call('{"command":"ls"}'), call('{"command":"pwd"}')],
      },
      finish_reason: "tool_calls",
    }],
  }, {
    id: "msg_1",
    model: "claude-sonnet-4-5",
    thinking: false,
    toolNames: new Map(),
    inputTokens: 1,
  });
  const ids = message.content.map((block) => (block as { id: string }).id);
  assert.equal(new Set(ids).size, 2);
  const next = anthropicRequestToOpenAI(
    validate(MessagesRequest, {
      model: "claude-sonnet-4-5",
      max_tokens: 100,
      messages: [
        { role: "user", content: "list and print" },
        { role: "assistant", content: message.content },
        {
          role: "user",
          content: ids.map((id, i) => ({
            type: "tool_result",
            tool_use_id: id,
            content: `out ${i}`,
          })),
        },
      ],
    }),
    OPTIONS,
  ).value;
  const assistant = next.messages[1] as { tool_calls: Array<{ id: string }> };
  assert.deepEqual(assistant.tool_calls.map((item) => item.id), [
    "functions.Bash:0",
    "functions.Bash:0",
  ]);
  assert.deepEqual(
    next.messages.slice(2).map((item) => (item as { tool_call_id?: string }).tool_call_id),
    ["functions.Bash:0", "functions.Bash:0"],
  );
});
