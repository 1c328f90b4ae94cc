/**
 * A complete Anthropic message → the stream events that would have produced it. Used when a
 * backend answers a streaming request with one JSON body (some gateways ignore `stream`).
 * @module
 */
import type { MessageResponse, StreamEvent } from "../anthropic/schema.ts";

/** The events for one message, in Anthropic's grammar. */
export function messageToEvents(message: MessageResponse): StreamEvent[] {
  const events: StreamEvent[] = [{
    type: "message_start",
    message: { ...message, content: [], stop_reason: null, stop_sequence: null },
  }];
  message.content.forEach((block, index) => {
    if (block.type === "text") {
      events.push(
        { type: "content_block_start", index, content_block: { type: "text", text: "" } },
        { type: "content_block_delta", index, delta: { type: "text_delta", text: block.text } },
      );
    } else if (block.type === "thinking") {
      events.push(
        {
          type: "content_block_start",
          index,
          content_block: { type: "thinking", thinking: "", signature: "" },
        },
        {
          type: "content_block_delta",
          index,
          delta: { type: "thinking_delta", thinking: block.thinking },
        },
        {
          type: "content_block_delta",
          index,
          delta: { type: "signature_delta", signature: block.signature },
        },
      );
    } else if (block.type === "web_search_tool_result") {
      // Anthropic sends the results whole in the block's start.
      events.push({ type: "content_block_start", index, content_block: block });
    } else {
      events.push(
        {
          type: "content_block_start",
          index,
          content_block: block.type === "server_tool_use"
            ? { ...block, input: {} }
            : { type: "tool_use", id: block.id, name: block.name, input: {} },
        },
        {
          type: "content_block_delta",
          index,
          delta: { type: "input_json_delta", partial_json: JSON.stringify(block.input) },
        },
      );
    }
    events.push({ type: "content_block_stop", index });
  });
  events.push(
    {
      type: "message_delta",
      delta: {
        stop_reason: message.stop_reason ?? "end_turn",
        stop_sequence: message.stop_sequence,
      },
      usage: message.usage,
    },
    { type: "message_stop" },
  );
  return events;
}
